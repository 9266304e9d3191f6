import { DomainError } from '../shared/errors';

/** Federation's expected failures: partner services that do not compose or cannot be reached. */

/** A partner service's schema does not compose with the graph; the previous graph keeps serving. */
export class CompositionFailed extends DomainError {
  readonly code = 'COMPOSITION_FAILED';
  constructor(
    readonly partnerId: string,
    readonly messages: readonly string[],
  ) {
    super(`The service of ${partnerId} does not compose: ${messages.join('; ')}`);
  }
}

/** A partner service could not be reached (or answered nonsense) while registering it. */
export class PartnerServiceUnavailable extends DomainError {
  readonly code = 'PARTNER_SERVICE_UNAVAILABLE';
  constructor(
    readonly partnerId: string,
    readonly reason: string,
  ) {
    super(`The service of ${partnerId} could not be used: ${reason}`);
  }
}
