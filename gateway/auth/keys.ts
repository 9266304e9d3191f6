import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export const signingAlgorithm = 'ES256';

/** The keys tokens are verified with (public), and signed with when we hold the private key. */
export interface KeySet {
  publicJwks: { keys: JWK[] };
  privateJwk: JWK | undefined;
}

/**
 * Where keys come from:
 * - `JWT_PUBLIC_JWKS` (a JWKS document as JSON) names the keys to trust, e.g. the identity
 *   provider's; `JWT_PRIVATE_JWK` optionally holds a private key to sign with (tools only);
 * - otherwise, outside production, a development key pair is generated once and kept in
 *   `<dataDir>/keys/` (git-ignored), so `npm run token` and the server agree across restarts.
 * Production without JWT_PUBLIC_JWKS refuses to start: it must never invent its own trust.
 */
export async function loadKeySet(options: {
  production: boolean;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<KeySet> {
  const env = options.env ?? process.env;
  if (env.JWT_PUBLIC_JWKS) {
    const publicJwks = JSON.parse(env.JWT_PUBLIC_JWKS) as { keys: JWK[] };
    if (!Array.isArray(publicJwks.keys) || publicJwks.keys.length === 0) {
      throw new Error('JWT_PUBLIC_JWKS must be a JWKS document with at least one key');
    }
    // It is published at /.well-known/jwks.json: never a private key.
    if (publicJwks.keys.some(isPrivateJwk)) {
      throw new Error('JWT_PUBLIC_JWKS contains a private key: give only public keys');
    }
    const privateJwk = env.JWT_PRIVATE_JWK ? (JSON.parse(env.JWT_PRIVATE_JWK) as JWK) : undefined;
    return { publicJwks, privateJwk };
  }
  if (options.production) {
    throw new Error('Production mode needs JWT_PUBLIC_JWKS (the public keys that sign tokens)');
  }
  const file = join(options.dataDir, 'keys', 'development-signing-key.json');
  if (!existsSync(file)) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(await generateSigningKey('dev-1'), null, 2));
    await chmod(file, 0o600);
  }
  return keySetFromPrivate(JSON.parse(await readFile(file, 'utf8')) as JWK);
}

export async function generateSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: signingAlgorithm, use: 'sig' };
}

/** The members of a JWK that are secret: present, the key is a private (or symmetric) one. */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

export function isPrivateJwk(key: JWK): boolean {
  return privateMembers.some((member) => member in key);
}

export function keySetFromPrivate(privateJwk: JWK): KeySet {
  const { d: _private, ...publicJwk } = privateJwk;
  return { publicJwks: { keys: [publicJwk] }, privateJwk };
}
