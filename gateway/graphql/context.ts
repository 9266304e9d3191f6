import type { App } from '../app';
import type { FederationServices } from '../federation/federation';
import type { Caller, RequestContext } from '../shared/context';
import type { DeadlineAt } from '../shared/transient';
import { createLoaders, type Loaders } from './loaders';

/** What every resolver receives: the caller, a forked EntityManager, the services, the loaders. */
export interface GraphQLContext {
  app: App;
  /** Partner services and the supergraph, when a gateway serves this request (not in tools). */
  federation?: FederationServices;
  request: RequestContext;
  caller: Caller;
  loaders: Loaders;
  /** Written during execution, read by the HTTP layer (an object: Apollo copies the context). */
  reuse: AnswerReuse;
}

export interface AnswerReuse {
  /**
   * How long partners allow this request's answer to be reused, in seconds: the smallest
   * `max-age` their services sent, 0 when any call was not cacheable or failed, undefined when
   * no partner was called (PartnerDataSource records it).
   */
  partnerMaxAgeSeconds?: number;
}

export function createGraphQLContext(
  app: App,
  caller: Caller,
  requestId: string,
  options: { deadlineAt?: DeadlineAt; federation?: FederationServices } = {},
): GraphQLContext {
  const { deadlineAt, federation } = options;
  let em: RequestContext['em'] | undefined;
  const request: RequestContext = {
    caller,
    requestId,
    deadlineAt,
    // Forked on first use: the hot operations (earns, wallet reads) never touch the ORM, and a
    // fork per request showed in their profiles.
    get em() {
      em ??= app.orm.em.fork();
      return em;
    },
  };
  return { app, federation, request, caller, loaders: createLoaders(app, request), reuse: {} };
}
