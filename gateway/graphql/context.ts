import type { App } from '../app';
import type { Caller, RequestContext } from '../shared/context';
import { createLoaders, type Loaders } from './loaders';

/** What every resolver receives: the caller, a forked EntityManager, the services, the loaders. */
export interface GraphQLContext {
  app: App;
  request: RequestContext;
  caller: Caller;
  loaders: Loaders;
}

export function createGraphQLContext(app: App, caller: Caller, requestId: string): GraphQLContext {
  const request: RequestContext = { caller, requestId, em: app.orm.em.fork() };
  return { app, request, caller, loaders: createLoaders(app, request) };
}
