import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * A partner service's own signing key (ES256): it signs the tokens the service presents when it
 * calls the coalition (placeRedemptionHold...). The public half is served at
 * /.well-known/jwks.json and registered with the coalition by the operator.
 *
 * From `PARTNER_PRIVATE_JWK`, or a development key kept in `<dataDir>/keys/` (created once).
 */
export async function loadPartnerKey(options: {
  partnerId: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<JWK> {
  const env = options.env ?? process.env;
  if (env.PARTNER_PRIVATE_JWK) return JSON.parse(env.PARTNER_PRIVATE_JWK) as JWK;
  const file = join(options.dataDir, 'keys', `partner-${options.partnerId}.json`);
  if (!existsSync(file)) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(await generatePartnerKey(options.partnerId), null, 2));
    await chmod(file, 0o600);
  }
  return JSON.parse(await readFile(file, 'utf8')) as JWK;
}

export async function generatePartnerKey(partnerId: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `${partnerId}-1`, alg: 'ES256', use: 'sig' };
}

export function publicJwksOf(privateJwk: JWK): { keys: JWK[] } {
  const { d: _private, ...publicJwk } = privateJwk;
  return { keys: [publicJwk] };
}
