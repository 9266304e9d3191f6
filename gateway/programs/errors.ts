import { DomainError } from '../shared/errors';

/** The programs module's expected failures. */

export class CurrencyNotSupported extends DomainError {
  readonly code = 'CURRENCY_NOT_SUPPORTED';
  constructor(
    readonly currency: string,
    readonly partnerId: string,
    readonly use: 'earn' | 'accept',
  ) {
    super(
      use === 'earn'
        ? `Partner ${partnerId} does not award ${currency}`
        : `Partner ${partnerId} does not accept ${currency} as payment`,
    );
  }
}
