import { resolve } from 'node:path';
import { projectRoot } from '../gateway/config';
import { exitWithParent } from '../gateway/lifecycle';
import { demoPartnerServices } from './demo';
import { gatewayKeys } from './shared/assertion-verifier';
import { startPartnerServices } from './start';

/**
 * One partner service on its own (docker-compose runs one container per partner):
 *   PARTNER=ptr_skyair|ptr_nordic|ptr_freshmart   which one
 *   PORT, HOST                                    where it listens (its default port, 127.0.0.1)
 *   GATEWAY_JWKS_URL                              the gateway's assertion keys
 *   COALITION_GRAPHQL_URL                         the gateway, for holds and confirmations
 *   PARTNER_PRIVATE_JWK or COALITION_DATA_DIR     its own signing key (a dev key in .data/keys)
 * `npm start` does not need this: it runs the demo partners inside the gateway's process.
 */
async function main(): Promise<void> {
  const env = process.env;
  const definition = demoPartnerServices.find((partner) => partner.partnerId === env.PARTNER);
  if (!definition) {
    const known = demoPartnerServices.map((partner) => partner.partnerId).join(', ');
    throw new Error(`PARTNER must be one of ${known}`);
  }
  const log = (line: string) => console.log(`[${definition.partnerId}] ${line}`);
  // Before the start: a harness killed while this process starts sends no signal later.
  let partner: Awaited<ReturnType<typeof startPartnerServices>>[number] | undefined;
  const stop = async () => {
    await partner?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  exitWithParent(env, () => void stop());
  [partner] = await startPartnerServices([definition], {
    gatewayKeys: gatewayKeys({
      url: env.GATEWAY_JWKS_URL ?? 'http://127.0.0.1:4000/.well-known/gateway-jwks.json',
    }),
    coalitionUrl: env.COALITION_GRAPHQL_URL ?? 'http://127.0.0.1:4000/graphql',
    host: env.HOST || '127.0.0.1',
    ports: env.PORT ? { [definition.partnerId]: Number(env.PORT) } : undefined,
    dataDir: resolve(env.COALITION_DATA_DIR ?? resolve(projectRoot, '.data')),
    log,
  });
  log(`${definition.name} subgraph ready at ${partner!.url}`);
}

main().catch((error: unknown) => {
  console.error(`partner service failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
