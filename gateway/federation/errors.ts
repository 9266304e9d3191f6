import { DomainError, type ErrorResultShape } from '../shared/errors';

/** Federation's expected failures: partner services that do not compose or cannot be reached. */

/** A partner service's schema does not compose with the graph; the previous graph keeps serving. */
export class CompositionFailed extends DomainError {
  static readonly code = 'COMPOSITION_FAILED';
  static readonly result: ErrorResultShape = {
    description:
      'The partner service’s schema does not compose with the graph. Nothing changed: the previous graph keeps serving.',
    fields: {
      partnerId: { type: 'ID', description: 'The partner whose service was being registered.' },
      messages: {
        type: '[String]',
        description: 'The composition errors, as reported by composition.',
      },
    },
  };
  readonly code = CompositionFailed.code;
  constructor(
    readonly partnerId: string,
    readonly messages: readonly string[],
  ) {
    super(`The service of ${partnerId} does not compose: ${messages.join('; ')}`);
  }
}

/** A partner service could not be reached (or answered nonsense) while registering it. */
export class PartnerServiceUnavailable extends DomainError {
  static readonly code = 'PARTNER_SERVICE_UNAVAILABLE';
  static readonly result: ErrorResultShape = {
    description:
      'The partner service could not be reached, or did not answer as a subgraph, while registering it. Nothing changed.',
    fields: {
      partnerId: { type: 'ID', description: 'The partner.' },
      reason: { type: 'String', description: 'What went wrong.' },
    },
  };
  readonly code = PartnerServiceUnavailable.code;
  constructor(
    readonly partnerId: string,
    readonly reason: string,
  ) {
    super(`The service of ${partnerId} could not be used: ${reason}`);
  }
}
