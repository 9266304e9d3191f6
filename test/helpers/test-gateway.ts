import { once } from 'node:events';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import request from 'supertest';
import { generateSigningKey, type KeySet, keySetFromPrivate } from '../../gateway/auth/keys';
import { TokenIssuer, type TokenRequest } from '../../gateway/auth/tokens';
import type { DatabaseTimeouts } from '../../gateway/db/sql';
import { buildGateway, type Gateway } from '../../gateway/gateway';
import { defaultRequestLimits, type RequestLimits } from '../../gateway/http/admission';
import type { MetricsAccess } from '../../gateway/http/operations-endpoints';
import type { RateLimitSettings } from '../../gateway/http/rate-limits';
import type { Logger } from '../../gateway/observability/logger';
import { createTestApp, type TestApp } from './test-app';

export interface TestGateway {
  app: TestApp;
  gateway: Gateway;
  server: Server;
  keySet: KeySet;
  issuer: TokenIssuer;
  /** A token for the given caller, signed with this gateway's test key. */
  token(kind: TokenRequest['kind'], subject: string, partnerId?: string): Promise<string>;
  /** POSTs a GraphQL operation through real HTTP; returns status and parsed body. */
  graphql(
    token: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: GraphQLBody; headers: Record<string, string> }>;
  close(): Promise<void>;
}

export interface GraphQLBody {
  // biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field in tests.
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Composed supergraphs, kept across the run's test files like a gateway keeps them across
 * restarts (gateway/federation/composition-cache.ts): composing is most of a gateway's start.
 */
export const testCompositionCacheDir = resolve(__dirname, '../../.data/cache/supergraphs');

/** The whole gateway over a fresh database, driven through supertest (real HTTP, no mocks). */
export async function createTestGateway(
  options: {
    demo?: boolean;
    production?: boolean;
    limits?: Partial<RequestLimits>;
    rateLimits?: RateLimitSettings;
    databaseTimeouts?: Partial<DatabaseTimeouts>;
    connectThrough?: (databaseUrl: string) => Promise<string>;
    logger?: Logger;
    metrics?: MetricsAccess;
  } = {},
): Promise<TestGateway> {
  const app = await createTestApp({
    demo: options.demo,
    databaseTimeouts: options.databaseTimeouts,
    connectThrough: options.connectThrough,
  });
  const keySet = keySetFromPrivate(await generateSigningKey('test-1'));
  const gateway = await buildGateway({
    app,
    keySet,
    production: options.production ?? false,
    corsOrigins: ['https://wallet.example'],
    log: process.env.DEBUG_GATEWAY_LOG ? console.log : () => undefined,
    limits: { ...defaultRequestLimits, ...options.limits },
    rateLimits: options.rateLimits,
    logger: options.logger,
    metrics: options.metrics,
    compositionCacheDir: testCompositionCacheDir,
  });
  const issuer = new TokenIssuer(keySet.privateJwk!);
  const server = gateway.httpServer;
  // Listen once, on loopback: supertest then reuses the server instead of binding per request.
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    app,
    gateway,
    server,
    keySet,
    issuer,
    token: (kind, subject, partnerId) => issuer.issue({ kind, subject, partnerId }),
    graphql: async (token, query, variables) => {
      let call = request(server).post('/graphql').set('content-type', 'application/json');
      if (token) call = call.set('authorization', `Bearer ${token}`);
      const response = await call.send({ query, variables });
      return {
        status: response.status,
        body: response.body as GraphQLBody,
        headers: response.headers as Record<string, string>,
      };
    },
    close: async () => {
      await gateway.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
    },
  };
}
