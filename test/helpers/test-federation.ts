import { once } from 'node:events';
import request from 'supertest';
import { generateSigningKey, keySetFromPrivate } from '../../gateway/auth/keys';
import { TokenIssuer } from '../../gateway/auth/tokens';
import { buildGateway, type Gateway } from '../../gateway/gateway';
import { demoPartnerServices } from '../../partners/demo';
import { gatewayKeys } from '../../partners/shared/assertion-verifier';
import type { PartnerFaults } from '../../partners/shared/context';
import { type StartedPartner, startPartnerServices } from '../../partners/start';
import { type SwitchableProxy, startSwitchableProxy } from './switchable-proxy';
import { createTestApp, type TestApp } from './test-app';
import type { GraphQLBody } from './test-gateway';
import { testCompositionCacheDir } from './test-gateway';

export interface TestFederation {
  app: TestApp;
  gateway: Gateway;
  /** The gateway's GraphQL URL (it listens: partner services call it back). */
  url: string;
  partners: Record<string, StartedPartner>;
  /** Each partner service is registered through a proxy a test can make hang. */
  proxies: Record<string, SwitchableProxy>;
  issuer: TokenIssuer;
  token(kind: 'partner' | 'member' | 'operator' | 'finance', subject: string): Promise<string>;
  graphql(
    token: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: GraphQLBody }>;
  /** Registers a service through the operator mutation; returns the result object. */
  register(partnerId: string, url: string, jwks?: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export const registerMutation = `mutation Register($input: RegisterPartnerServiceInput!) {
  registerPartnerService(input: $input) {
    __typename
    ... on PartnerService { partnerId url keyIds }
    ... on ErrorResult { code message }
    ... on CompositionFailedError { messages }
    ... on PartnerServiceUnavailableError { reason }
  }
}`;

/**
 * The whole federated graph over a fresh database: the gateway listening on a free port, the
 * demo partner services on free ports (behind switchable proxies), registered by the operator
 * through the API.
 */
export async function createTestFederation(
  options: { subgraphTimeoutMs?: number; faults?: Record<string, PartnerFaults> } = {},
): Promise<TestFederation> {
  const app = await createTestApp();
  const keySet = keySetFromPrivate(await generateSigningKey('test-1'));
  const gateway = await buildGateway({
    app,
    keySet,
    production: false,
    corsOrigins: [],
    log: () => undefined,
    subgraphTimeoutMs: options.subgraphTimeoutMs,
    compositionCacheDir: testCompositionCacheDir,
  });
  gateway.httpServer.listen(0, '127.0.0.1');
  await once(gateway.httpServer, 'listening');
  const url = `http://127.0.0.1:${(gateway.httpServer.address() as { port: number }).port}/graphql`;
  const started = await startPartnerServices(demoPartnerServices, {
    gatewayKeys: gatewayKeys({ jwks: gateway.federation.signer.publicJwks }),
    coalitionUrl: url,
    host: '127.0.0.1',
    ports: Object.fromEntries(demoPartnerServices.map((partner) => [partner.partnerId, 0])),
    faults: options.faults,
    log: () => undefined,
  });
  const partners = Object.fromEntries(started.map((partner) => [partner.partnerId, partner]));
  const proxies: Record<string, SwitchableProxy> = {};
  for (const partner of started)
    proxies[partner.partnerId] = await startSwitchableProxy(partner.url);
  const issuer = new TokenIssuer(keySet.privateJwk!);
  const graphql: TestFederation['graphql'] = async (token, query, variables) => {
    let call = request(gateway.httpServer).post('/graphql').set('content-type', 'application/json');
    if (token) call = call.set('authorization', `Bearer ${token}`);
    const response = await call.send({ query, variables });
    return { status: response.status, body: response.body as GraphQLBody };
  };
  const operator = await issuer.issue({ kind: 'operator', subject: 'admin' });
  const register: TestFederation['register'] = async (partnerId, serviceUrl, jwks) => {
    const { body } = await graphql(operator, registerMutation, {
      input: { partnerId, url: serviceUrl, jwks },
    });
    if (!body.data) throw new Error(`registration failed: ${JSON.stringify(body.errors)}`);
    return body.data.registerPartnerService;
  };
  for (const partner of started) {
    const outcome = await register(partner.partnerId, proxies[partner.partnerId]!.url);
    if (outcome.__typename !== 'PartnerService') throw new Error(JSON.stringify(outcome));
  }
  return {
    app,
    gateway,
    url,
    partners,
    proxies,
    issuer,
    token: (kind, subject) => issuer.issue({ kind, subject }),
    graphql,
    register,
    close: async () => {
      await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
      await Promise.all(started.map((partner) => partner.stop()));
      await gateway.stop();
      await new Promise<void>((resolve) => {
        gateway.httpServer.close(() => resolve());
        gateway.httpServer.closeAllConnections();
      });
      await app.close();
    },
  };
}
