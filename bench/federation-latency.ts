import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createApp } from '../gateway/app';
import { generateSigningKey, keySetFromPrivate } from '../gateway/auth/keys';
import { TokenIssuer, TokenVerifier } from '../gateway/auth/tokens';
import { projectRoot } from '../gateway/config';
import { openDatabaseServer } from '../gateway/db/database';
import { seedDemoIfEmpty } from '../gateway/demo/seed';
import { buildGateway } from '../gateway/gateway';
import { createApolloServer } from '../gateway/graphql/apollo';
import { buildCoalitionSchema } from '../gateway/graphql/schema';
import { createHttpServer } from '../gateway/http/server';
import { demoPartnerServices } from '../partners/demo';
import { gatewayKeys } from '../partners/shared/assertion-verifier';
import { startPartnerServices } from '../partners/start';

/**
 * Latency through the gateway, one request at a time over keep-alive (p50/p95 of
 * `requestsPerCase` after a warm-up), for:
 * - the wallet query on Apollo over the coalition schema alone (the spine before federation);
 * - the coalition-only wallet query through the gateway (direct route: no query plan);
 * - the same query forced through query planning (what the direct route saves);
 * - the wallet plus one partner's rewards with affordability (federated: the wallet runs on the
 *   coalition schema beside the rewards' query plan), and the same wholly through the planner.
 * `node dist/bench/federation-latency.js` after `npm run build`; embedded PostgreSQL in
 * .data/bench unless DATABASE_URL is set.
 */
const requestsPerCase = 2_000;
const warmupRequests = 300;

async function main() {
  const log = () => undefined;
  const database = await openDatabaseServer({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: join(projectRoot, '.data', 'bench'),
    log,
  });
  const app = await createApp({ databaseUrl: database.url });
  await seedDemoIfEmpty(app);
  const keySet = keySetFromPrivate(await generateSigningKey('bench-1'));
  const gateway = await buildGateway({
    app,
    keySet,
    production: true,
    corsOrigins: [],
    log: console.log,
  });
  gateway.httpServer.listen(0, '127.0.0.1');
  await once(gateway.httpServer, 'listening');
  const port = (gateway.httpServer.address() as { port: number }).port;
  const partners = await startPartnerServices(demoPartnerServices, {
    gatewayKeys: gatewayKeys({ jwks: gateway.federation.signer.publicJwks }),
    coalitionUrl: `http://127.0.0.1:${port}/graphql`,
    host: '127.0.0.1',
    ports: { ptr_skyair: 0, ptr_nordic: 0, ptr_freshmart: 0 },
    log,
  });
  for (const partner of partners) {
    const outcome = await gateway.federation.onboarding.register(app.systemContext(), {
      partnerId: partner.partnerId,
      url: partner.url,
      jwks: JSON.stringify(partner.publicJwks),
    });
    if (outcome instanceof Error) throw outcome;
  }
  const token = await new TokenIssuer(keySet.privateJwk!).issue({
    kind: 'member',
    subject: 'mbr_alice',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const wallet = '{ wallet { balances { currency available held } } }';
  const federated =
    '{ wallet { balances { currency available held } } nordicHotelRewards { id price { currency points affordability { affordable shortfallPoints } } } }';
  // The spine's setup before federation: Apollo over the coalition schema alone, no gateway.
  const plainApollo = await createApolloServer(await buildCoalitionSchema(), {
    production: true,
    log: console.log,
  });
  const plainServer = createHttpServer({
    app,
    apollo: plainApollo,
    verifier: new TokenVerifier(keySet),
    corsOrigins: [],
    publicJwks: keySet.publicJwks,
  });
  plainServer.listen(0, '127.0.0.1');
  await once(plainServer, 'listening');
  const plainPort = (plainServer.address() as { port: number }).port;
  const plainAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const results: Record<string, { p50: number; p95: number; cpuMsPerRequest: number }> = {};
  results.walletWithoutFederation = await measure(plainAgent, plainPort, token, wallet);
  results.walletDirect = await measure(agent, port, token, wallet);
  gateway.federation.gateway.directRouteEnabled = false;
  results.walletThroughPlanner = await measure(agent, port, token, wallet);
  results.walletPlusPartnerRewardsAllPlanned = await measure(agent, port, token, federated);
  gateway.federation.gateway.directRouteEnabled = true;
  results.walletPlusPartnerRewards = await measure(agent, port, token, federated);
  console.log(JSON.stringify(results, null, 2));
  console.log(
    `ratio p50 (wallet + one partner's rewards) / (wallet, direct) = ${(results.walletPlusPartnerRewards!.p50 / results.walletDirect!.p50).toFixed(2)}`,
  );
  agent.destroy();
  plainAgent.destroy();
  await plainApollo.stop();
  plainServer.close();
  await Promise.all(partners.map((partner) => partner.stop()));
  await gateway.stop();
  gateway.httpServer.close();
  await app.close();
  await database.stop();
}

async function measure(agent: Agent, port: number, token: string, query: string) {
  const body = JSON.stringify({ query });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const call = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (response.statusCode !== 200 || text.includes('"errors"')) reject(new Error(text));
            else resolve(Number(process.hrtime.bigint() - started) / 1e6);
          });
        },
      );
      call.on('error', reject);
      call.end(body);
    });
  for (let i = 0; i < warmupRequests; i++) await once();
  const samples: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < requestsPerCase; i++) samples.push(await once());
  const cpu = process.cpuUsage(cpuBefore);
  samples.sort((a, b) => a - b);
  const at = (fraction: number) =>
    Number(samples[Math.floor(samples.length * fraction)]!.toFixed(3));
  // One process: gateway, in-process partners and this client together.
  const cpuMsPerRequest = Number(((cpu.user + cpu.system) / 1_000 / requestsPerCase).toFixed(3));
  return { p50: at(0.5), p95: at(0.95), cpuMsPerRequest };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
