import {
  createLocalJWKSet,
  errors,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import { BoundedMap } from '../shared/bounded-map';
import type { Caller } from '../shared/context';
import { idPatterns } from '../shared/ids';
import { Es256FastPath, signatureFailed, undecided } from './es256-fast-path';
import { type KeySet, signingAlgorithm } from './keys';

/**
 * Bearer tokens (JWT, ES256) for the four kinds of caller. Each kind has its own audience, so a
 * member's token is never accepted where a partner's is expected:
 *
 * | kind     | aud                 | sub                    | extra claim                      |
 * |----------|---------------------|------------------------|----------------------------------|
 * | partner  | coalition:partner   | partner id (ptr_...)   |                                  |
 * | member   | coalition:member    | member id (mbr_...)    |                                  |
 * | finance  | coalition:finance   | user id                | partner_id, or scope "operator"  |
 * | operator | coalition:operator  | user id                |                                  |
 *
 * Verification pins the algorithm, requires iss, aud, sub, iat and exp, allows 30 s of clock
 * skew, caps a token's life at a day, and takes keys only from our JWKS by `kid` (never from
 * the token's own jku/jwk/x5u headers).
 */
export type CallerKindWithToken = 'partner' | 'member' | 'finance' | 'operator';

export const audienceOf: Record<CallerKindWithToken, string> = {
  partner: 'coalition:partner',
  member: 'coalition:member',
  finance: 'coalition:finance',
  operator: 'coalition:operator',
};
const kindOfAudience = new Map(Object.entries(audienceOf).map(([kind, aud]) => [aud, kind]));

export const tokenType = 'at+jwt';
export const defaultIssuer = 'coalition';
const clockToleranceSeconds = 30;
/** A day: the most seconds since a token's iat (jose's maxTokenAge). */
const tokenAgeMaxSeconds = 86_400;
const requiredClaims = ['iss', 'aud', 'sub', 'iat', 'exp'];
const userIdPattern = /^[A-Za-z0-9_.@-]{1,100}$/;
/** How long a verified token is trusted without checking its signature again. */
export const verifiedTokenCacheMs = 60_000;
const verifiedTokensMax = 10_000;

export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  /** Our own tokens' common form, verified without WebCrypto; jose decides everything else. */
  private readonly fastPath: Es256FastPath;

  constructor(
    keySet: KeySet,
    private readonly issuer = defaultIssuer,
  ) {
    this.keys = createLocalJWKSet(keySet.publicJwks);
    this.fastPath = new Es256FastPath(keySet.publicJwks, {
      issuer,
      audiences: new Set(kindOfAudience.keys()),
      typ: tokenType,
      requiredClaims,
      clockToleranceSeconds,
      tokenAgeMaxSeconds,
    });
  }

  /** The caller a token stands for; throws with a reason when it is not acceptable. */
  /**
   * Verified tokens, remembered briefly: a point-of-sale system sends the same token with every
   * request, and an ECDSA verification per request was a visible share of the CPU. An entry
   * lives until the token's exp or verifiedTokenCacheMs, whichever is first, so a retired key
   * stops working within that time. Failures are never cached.
   */
  private readonly verified = new BoundedMap<string, { caller: Caller; validUntilMs: number }>(
    verifiedTokensMax,
  );

  async verify(token: string): Promise<Caller> {
    const cached = this.cached(token);
    if (cached) return cached;
    const now = Date.now();
    const { caller, expiresAtMs } = await this.verifyNow(token);
    this.verified.set(token, {
      caller,
      validUntilMs: Math.min(expiresAtMs, now + verifiedTokenCacheMs),
    });
    return caller;
  }

  /** The caller of a token this verifier accepted recently, without decoding it again. */
  cached(token: string): Caller | undefined {
    const entry = this.verified.get(token);
    return entry && entry.validUntilMs > Date.now() ? entry.caller : undefined;
  }

  private async verifyNow(token: string): Promise<{ caller: Caller; expiresAtMs: number }> {
    const payload = await this.payloadOf(token);
    return { caller: callerFromPayload(payload), expiresAtMs: payload.exp! * 1000 };
  }

  /**
   * The verified claims: from the fast path when it accepts, else from jose, which then also
   * throws the error of every rejection but a bad signature (es256-fast-path.ts says why that
   * one is the same error).
   */
  private async payloadOf(token: string): Promise<JWTPayload> {
    const fast = this.fastPath.verify(token, Math.floor(Date.now() / 1000));
    if (fast === signatureFailed) throw new errors.JWSSignatureVerificationFailed();
    if (fast !== undecided) return fast;
    const { payload } = await jwtVerify(token, this.keys, joseOptions(this.issuer));
    return payload;
  }
}

/** What jose checks (and the fast path as strictly): the class comment lists them. */
export function joseOptions(issuer: string) {
  return {
    algorithms: [signingAlgorithm],
    issuer,
    audience: [...kindOfAudience.keys()],
    requiredClaims,
    clockTolerance: clockToleranceSeconds,
    maxTokenAge: tokenAgeMaxSeconds,
    typ: tokenType,
  };
}

function callerFromPayload(payload: JWTPayload): Caller {
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length !== 1) throw new Error('a token must have exactly one audience');
  const kind = kindOfAudience.get(audiences[0]!);
  const subject = payload.sub!;
  switch (kind) {
    case 'partner':
      if (!idPatterns.partner.test(subject))
        throw new Error('partner token subject is not a partner id');
      return { kind, partnerId: subject };
    case 'member':
      if (!idPatterns.member.test(subject))
        throw new Error('member token subject is not a member id');
      return { kind, memberId: subject };
    case 'finance': {
      if (!userIdPattern.test(subject)) throw new Error('finance token subject is not a user id');
      const partnerId = payload.partner_id;
      if (typeof partnerId === 'string' && idPatterns.partner.test(partnerId)) {
        return { kind, userId: subject, partnerId };
      }
      if (payload.scope === 'operator') return { kind, userId: subject, partnerId: undefined };
      throw new Error('a finance token needs partner_id or scope "operator"');
    }
    case 'operator':
      if (!userIdPattern.test(subject)) throw new Error('operator token subject is not a user id');
      return { kind, userId: subject };
    default:
      throw new Error('unknown audience');
  }
}

export interface TokenRequest {
  kind: CallerKindWithToken;
  subject: string;
  /** For finance tokens: the partner whose statements the user sees; omit for the operator's. */
  partnerId?: string;
  lifetimeSeconds?: number;
}

/** Signs tokens; used by `npm run token`, the tests and the benchmarks (never by the server). */
export class TokenIssuer {
  constructor(
    private readonly privateJwk: JWK,
    private readonly issuer = defaultIssuer,
  ) {}

  async issue(request: TokenRequest): Promise<string> {
    const claims: JWTPayload =
      request.kind === 'finance'
        ? request.partnerId
          ? { partner_id: request.partnerId }
          : { scope: 'operator' }
        : {};
    return new SignJWT(claims)
      .setProtectedHeader({ alg: signingAlgorithm, kid: this.privateJwk.kid, typ: tokenType })
      .setIssuer(this.issuer)
      .setAudience(audienceOf[request.kind])
      .setSubject(request.subject)
      .setIssuedAt()
      .setExpirationTime(`${request.lifetimeSeconds ?? 12 * 3600}s`)
      .sign(await importJWK(this.privateJwk, signingAlgorithm));
  }
}
