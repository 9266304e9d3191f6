import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWK,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import {
  assertionIssuer,
  assertionLifetimeSeconds,
  assertionType,
} from '../../gateway/federation/assertions';

/** Who the gateway says is calling. */
export interface AssertedCaller {
  kind: 'partner' | 'member' | 'finance' | 'operator' | 'system' | 'anonymous';
  /** The partner, member or user id ('system' / 'anonymous' for those). */
  id: string;
}

const callerKinds = new Set(['partner', 'member', 'finance', 'operator', 'system', 'anonymous']);
/** Partner and gateway clocks may disagree a little; assertions live 60 s. */
const clockToleranceSeconds = 5;
/** Verified assertions remembered (the gateway reuses one per caller for up to 30 s). */
const verifiedCacheSizeMax = 10_000;

/** The gateway's public keys: given at start (a JWKS document) or fetched from its URL. */
export function gatewayKeys(source: { jwks: { keys: JWK[] } } | { url: string }): JWTVerifyGetKey {
  return 'jwks' in source
    ? createLocalJWKSet(source.jwks)
    : createRemoteJWKSet(new URL(source.url));
}

/**
 * Verifies the gateway's assertion on every request to a partner service: ES256 only, issued by
 * the gateway, for this partner (audience), typed as an assertion, at most 60 s old. A service
 * that refuses requests without one cannot be called around the gateway.
 */
export class AssertionVerifier {
  private readonly verified = new Map<string, { caller: AssertedCaller; expiresAtMs: number }>();

  constructor(
    private readonly partnerId: string,
    private readonly keys: JWTVerifyGetKey,
  ) {}

  /**
   * The caller an assertion names; throws when it is not acceptable. A token verified before
   * is answered from memory until it expires (an ES256 verification costs about as much as the
   * rest of a small request).
   */
  async verify(token: string): Promise<AssertedCaller> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return cached.caller;
    const caller = await this.verifySignature(token);
    if (this.verified.size >= verifiedCacheSizeMax) this.verified.clear();
    this.verified.set(token, { caller: caller.caller, expiresAtMs: caller.expiresAtMs });
    return caller.caller;
  }

  private async verifySignature(
    token: string,
  ): Promise<{ caller: AssertedCaller; expiresAtMs: number }> {
    const { payload } = await jwtVerify(token, this.keys, {
      algorithms: ['ES256'],
      issuer: assertionIssuer,
      audience: this.partnerId,
      typ: assertionType,
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp'],
      maxTokenAge: `${assertionLifetimeSeconds}s`,
      clockTolerance: clockToleranceSeconds,
    });
    const kind = payload.caller_kind;
    if (typeof kind !== 'string' || !callerKinds.has(kind)) {
      throw new Error('the assertion names no known kind of caller');
    }
    return {
      caller: { kind: kind as AssertedCaller['kind'], id: payload.sub! },
      expiresAtMs: payload.exp! * 1000,
    };
  }
}
