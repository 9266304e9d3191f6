import { loadConfig } from '../config';
import { loadKeySet } from './keys';
import { type CallerKindWithToken, TokenIssuer } from './tokens';

/**
 * `npm run -s token -- <kind> <id>` prints a development token for the demo coalition:
 *   partner ptr_fuelco | member mbr_alice | operator admin | finance ptr_skyair | finance operator
 * Refuses in production: real tokens come from the identity provider (see README).
 */
const usage =
  'usage: npm run -s token -- partner <ptr_id> | member <mbr_id> | operator <user> | finance <ptr_id|operator>';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.production) {
    console.error(
      'npm run token is for development only; it refuses to run with NODE_ENV=production.',
    );
    process.exit(2);
  }
  const [kind, id] = process.argv.slice(2);
  if (!kind || !id || !['partner', 'member', 'operator', 'finance'].includes(kind)) {
    console.error(usage);
    process.exit(2);
  }
  const keySet = await loadKeySet({ production: false, dataDir: config.dataDir });
  if (!keySet.privateJwk) {
    console.error('No private key to sign with (JWT_PUBLIC_JWKS is set without JWT_PRIVATE_JWK).');
    process.exit(2);
  }
  const issuer = new TokenIssuer(keySet.privateJwk);
  const token =
    kind === 'finance'
      ? await issuer.issue({
          kind,
          subject: id === 'operator' ? 'finance_operator' : `finance_${id}`,
          partnerId: id === 'operator' ? undefined : id,
        })
      : await issuer.issue({ kind: kind as CallerKindWithToken, subject: id });
  console.log(token);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
