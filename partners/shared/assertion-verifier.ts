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
  constructor(
    private readonly partnerId: string,
    private readonly keys: JWTVerifyGetKey,
  ) {}

  async verify(token: string): Promise<AssertedCaller> {
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
    return { kind: kind as AssertedCaller['kind'], id: payload.sub! };
  }
}
