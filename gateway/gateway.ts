import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { App } from './app';
import type { KeySet } from './auth/keys';
import { TokenVerifier } from './auth/tokens';
import { createApolloServer } from './graphql/apollo';
import type { GraphQLContext } from './graphql/context';
import { buildCoalitionSchema } from './graphql/schema';
import { createHttpServer } from './http/server';

export interface GatewayOptions {
  app: App;
  keySet: KeySet;
  production: boolean;
  corsOrigins: readonly string[];
  log: (line: string) => void;
}

export interface Gateway {
  httpServer: Server;
  apollo: ApolloServer<GraphQLContext>;
  /** Stops Apollo; the caller closes the HTTP server (it may never have listened). */
  stop(): Promise<void>;
}

/** The GraphQL gateway over an App: schema, Apollo, the HTTP server. Not yet listening. */
export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const schema = await buildCoalitionSchema();
  const apollo = await createApolloServer(schema, {
    production: options.production,
    log: options.log,
  });
  const httpServer = createHttpServer({
    app: options.app,
    apollo,
    verifier: new TokenVerifier(options.keySet),
    corsOrigins: options.corsOrigins,
    publicJwks: options.keySet.publicJwks,
  });
  return { httpServer, apollo, stop: () => apollo.stop() };
}
