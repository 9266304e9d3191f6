import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { importJWK, type JWK, SignJWT } from 'jose';
import { generateSigningKey, isPrivateJwk, signingAlgorithm } from '../auth/keys';
import { BoundedMap } from '../shared/bounded-map';
import type { Caller } from '../shared/context';

/**
 * The gateway tells each partner service who is calling with a short-lived signed assertion
 * (ES256, the gateway's own key), in the `x-coalition-assertion` header of every subgraph
 * request. A partner service verifies it with the gateway's public keys (served at
 * /.well-known/gateway-jwks.json) and refuses requests without a valid one, so it cannot be
 * called around the gateway.
 *
 * Claims: iss `coalition-gateway`; aud the partner id (an assertion for SkyAir is worthless at
 * Nordic); sub the caller's id; `caller_kind`; iat and exp (60 s); typ `coalition-assertion+jwt`
 * so a bearer token is never mistaken for one.
 */
export const assertionHeader = 'x-coalition-assertion';
export const assertionIssuer = 'coalition-gateway';
export const assertionType = 'coalition-assertion+jwt';
export const assertionLifetimeSeconds = 60;
/** An assertion is reused while it has this much life left; signing each request costs CPU. */
const assertionReuseSecondsMin = 30;
const assertionCacheSizeMax = 10_000;

export class AssertionSigner {
  private readonly cache = new BoundedMap<string, { token: string; expiresAtMs: number }>(
    assertionCacheSizeMax,
  );
  private key: ReturnType<typeof importJWK> | undefined;

  constructor(private readonly privateJwk: JWK) {}

  /** The public keys partner services verify assertions with. */
  get publicJwks(): { keys: JWK[] } {
    const { d: _private, ...publicJwk } = this.privateJwk;
    return { keys: [publicJwk] };
  }

  async sign(caller: Caller | undefined, audience: string): Promise<string> {
    const { kind, id } = describe(caller);
    const financePartner = caller?.kind === 'finance' ? (caller.partnerId ?? '') : '';
    const cacheKey = `${audience}\u0000${kind}\u0000${id}\u0000${financePartner}`;
    const cached = this.cache.get(cacheKey);
    const nowMs = Date.now();
    if (cached && cached.expiresAtMs - nowMs > assertionReuseSecondsMin * 1000) return cached.token;
    this.key ??= importJWK(this.privateJwk, signingAlgorithm);
    const issuedAt = Math.floor(nowMs / 1000);
    const claims: Record<string, string> = { caller_kind: kind };
    if (caller?.kind === 'finance' && caller.partnerId) claims.partner_id = caller.partnerId;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: signingAlgorithm, kid: this.privateJwk.kid, typ: assertionType })
      .setIssuer(assertionIssuer)
      .setAudience(audience)
      .setSubject(id)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + assertionLifetimeSeconds)
      .sign(await this.key);
    this.cache.set(cacheKey, { token, expiresAtMs: (issuedAt + assertionLifetimeSeconds) * 1000 });
    return token;
  }
}

function describe(caller: Caller | undefined): { kind: string; id: string } {
  switch (caller?.kind) {
    case 'partner':
      return { kind: 'partner', id: caller.partnerId };
    case 'member':
      return { kind: 'member', id: caller.memberId };
    case 'finance':
    case 'operator':
      return { kind: caller.kind, id: caller.userId };
    case 'anonymous':
      return { kind: 'anonymous', id: 'anonymous' };
    default:
      return { kind: 'system', id: 'system' };
  }
}

/**
 * The gateway's assertion key: `GATEWAY_ASSERTION_PRIVATE_JWK` (a private JWK as JSON), or
 * outside production a development key kept in `<dataDir>/keys/` so partner services started
 * separately keep trusting the gateway across restarts. Production without it refuses to start.
 */
export async function loadAssertionKey(options: {
  production: boolean;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<JWK> {
  const env = options.env ?? process.env;
  if (env.GATEWAY_ASSERTION_PRIVATE_JWK) {
    const key = JSON.parse(env.GATEWAY_ASSERTION_PRIVATE_JWK) as JWK;
    if (!isPrivateJwk(key)) {
      throw new Error('GATEWAY_ASSERTION_PRIVATE_JWK is a public key: give the private key');
    }
    return key;
  }
  if (options.production) {
    throw new Error('Production mode needs GATEWAY_ASSERTION_PRIVATE_JWK (signs subgraph calls)');
  }
  const file = join(options.dataDir, 'keys', 'gateway-assertion-key.json');
  if (!existsSync(file)) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(await generateSigningKey('gateway-1'), null, 2));
    await chmod(file, 0o600);
  }
  return JSON.parse(await readFile(file, 'utf8')) as JWK;
}
