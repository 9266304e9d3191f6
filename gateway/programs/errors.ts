import { DomainError, type ErrorResultShape } from '../shared/errors';

/** The programs module's expected failures. */

export class CurrencyNotSupported extends DomainError {
  static readonly code = 'CURRENCY_NOT_SUPPORTED';
  static readonly result: ErrorResultShape = {
    description: 'The partner does not award, or does not accept, this program currency.',
    fields: {
      currency: { type: 'String', description: 'The program currency.' },
      partnerId: { type: 'String', description: 'The partner.' },
      use: { type: 'String', description: '"earn" when awarding, "accept" when paying.' },
    },
  };
  readonly code = CurrencyNotSupported.code;
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
