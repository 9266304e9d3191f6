import { createPrivateKey, type JsonWebKey, sign } from 'node:crypto';
import fc from 'fast-check';
import {
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import {
  Es256FastPath,
  type Es256Rules,
  type FastPathAnswer,
  signatureFailed,
  undecided,
} from '../../gateway/auth/es256-fast-path';
import { generateSigningKey, type KeySet, keySetFromPrivate } from '../../gateway/auth/keys';
import { audienceOf, joseOptions, TokenVerifier } from '../../gateway/auth/tokens';

/**
 * The fast path may only accept what jose accepts (with the same claims), and may only reject
 * with the error jose would throw: every rejection the token rules name is checked here against
 * jose with the same options at the same moment, and through TokenVerifier (error class, code
 * and message as jose's).
 */
let keySet: KeySet;
let fastPath: Es256FastPath;
const issuer = 'coalition';
const rules: Es256Rules = {
  issuer,
  audiences: new Set(Object.values(audienceOf)),
  typ: 'at+jwt',
  requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp'],
  clockToleranceSeconds: 30,
  tokenAgeMaxSeconds: 86_400,
};
const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  keySet = keySetFromPrivate(await generateSigningKey('test-1'));
  fastPath = new Es256FastPath(keySet.publicJwks, rules);
});

const claims = (now = nowSeconds()) => ({
  iss: issuer,
  aud: 'coalition:member',
  sub: 'mbr_alice',
  iat: now,
  exp: now + 600,
});

async function signed(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  privateJwk: JWK = keySet.privateJwk!,
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-1', ...header })
    .sign(await importJWK(privateJwk, 'ES256'));
}

/** A compact JWS with any header, signed with our key (jose's SignJWT refuses some headers). */
function signedRaw(header: Record<string, unknown>, payload: string): string {
  const input = `${base64url(header)}.${payload}`;
  const key = createPrivateKey({ key: keySet.privateJwk as JsonWebKey, format: 'jwk' });
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

type Outcome = { payload: unknown } | { error: { name: string; code: string; message: string } };

async function joseOutcome(token: string, now: number): Promise<Outcome> {
  try {
    const verified = await jwtVerify(token, createLocalJWKSet(keySet.publicJwks), {
      ...joseOptions(issuer),
      currentDate: new Date(now * 1000),
    });
    return { payload: verified.payload };
  } catch (error) {
    return { error: errorOf(error) };
  }
}

function errorOf(error: unknown) {
  const { name, code, message } = error as { name: string; code: string; message: string };
  return { name, code, message };
}

/** What the fast path answered agrees with jose: the rule it must keep, for any token. */
function expectAgreement(fast: FastPathAnswer, jose: Outcome): void {
  if (fast === undecided) return;
  if (fast === signatureFailed) {
    expect(jose).toEqual({ error: errorOf(new errors.JWSSignatureVerificationFailed()) });
    return;
  }
  expect(jose).toEqual({ payload: fast });
}

/**
 * Rejected by jose with `code`, not accepted by the fast path, and the same error from ours
 * (TokenVerifier reads the clock itself: the cases keep a margin of seconds from every edge,
 * which the edge tests below check at a fixed moment).
 */
async function expectRejected(token: string, code: string, now = nowSeconds()): Promise<void> {
  const fast = fastPath.verify(token, now);
  const jose = await joseOutcome(token, now);
  expect('error' in jose && jose.error.code).toBe(code);
  expect(fast === undecided || fast === signatureFailed).toBe(true);
  expectAgreement(fast, jose);
  const ours = await new TokenVerifier(keySet, issuer).verify(token).then(
    () => ({ payload: 'accepted' }),
    (error: unknown) => ({ error: errorOf(error) }),
  );
  expect(ours).toEqual(jose);
}

describe('the ES256 fast path', () => {
  test('accepts our own token with the claims jose returns', async () => {
    const now = nowSeconds();
    const token = await signed(claims(now));
    const fast = fastPath.verify(token, now);
    expect(fast).toEqual(claims(now));
    expectAgreement(fast, await joseOutcome(token, now));
  });

  describe('rejects, with jose’s error', () => {
    test('alg none', async () => {
      const token = `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(claims())}.`;
      await expectRejected(token, 'ERR_JOSE_ALG_NOT_ALLOWED');
    });

    test('HS256 signed with the public key as the secret (algorithm confusion)', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(keySet.publicJwks.keys[0]));
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'test-1' })
        .sign(secret);
      await expectRejected(token, 'ERR_JOSE_ALG_NOT_ALLOWED');
    });

    test('another algorithm of the family (ES384)', async () => {
      const { privateKey } = await generateKeyPair('ES384');
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: 'test-1' })
        .sign(privateKey);
      await expectRejected(token, 'ERR_JOSE_ALG_NOT_ALLOWED');
    });

    test('signed with another key under our kid', async () => {
      const other = await generateSigningKey('test-1');
      await expectRejected(
        await signed(claims(), {}, other),
        'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      );
    });

    test('a kid that is not in our JWKS', async () => {
      const other = await generateSigningKey('attacker-1');
      const token = await signed(claims(), { kid: 'attacker-1' }, other);
      await expectRejected(token, 'ERR_JWKS_NO_MATCHING_KEY');
    });

    test('a key offered in the header (jwk, no kid)', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', jwk: await exportJWK(publicKey) })
        .sign(privateKey);
      await expectRejected(token, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    });

    test('a key set offered in the header (jku) beside our kid', async () => {
      const other = await generateSigningKey('test-1');
      const token = await signed(claims(), { jku: 'https://attacker.example/jwks' }, other);
      await expectRejected(token, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    });

    test('a tampered payload', async () => {
      const [header, , signature] = (await signed(claims())).split('.');
      const token = `${header}.${base64url({ ...claims(), sub: 'mbr_bob' })}.${signature}`;
      await expectRejected(token, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    });

    test('without the at+jwt type, or another type', async () => {
      await expectRejected(
        await signed(claims(), { typ: undefined }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
      await expectRejected(
        await signed(claims(), { typ: 'JWT' }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
    });

    test('wrong issuer', async () => {
      await expectRejected(
        await signed({ ...claims(), iss: 'someone-else' }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
    });

    test('wrong audience', async () => {
      await expectRejected(
        await signed({ ...claims(), aud: 'coalition:admin' }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
    });

    test.each(['iss', 'aud', 'sub', 'iat', 'exp'])('without %s', async (claim) => {
      const { [claim as keyof ReturnType<typeof claims>]: _left, ...rest } = claims();
      await expectRejected(await signed(rest), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    });

    test('exp or iat that is not a number', async () => {
      const now = nowSeconds();
      await expectRejected(
        await signed({ ...claims(now), exp: String(now + 600) }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
      await expectRejected(
        await signed({ ...claims(now), iat: String(now) }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
      );
    });

    test('expired, beyond the clock tolerance', async () => {
      const now = nowSeconds();
      const token = await signed({ ...claims(now), iat: now - 3600, exp: now - 60 });
      await expectRejected(token, 'ERR_JWT_EXPIRED', now);
    });

    test('issued more than a day (and the tolerance) ago', async () => {
      const now = nowSeconds();
      const token = await signed({ ...claims(now), iat: now - 86_400 - 60 });
      await expectRejected(token, 'ERR_JWT_EXPIRED', now);
    });

    test('issued in the future, beyond the clock tolerance', async () => {
      const now = nowSeconds();
      await expectRejected(
        await signed({ ...claims(now), iat: now + 60 }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
        now,
      );
    });

    test('not yet valid (nbf), beyond the clock tolerance', async () => {
      const now = nowSeconds();
      await expectRejected(
        await signed({ ...claims(now), nbf: now + 60 }),
        'ERR_JWT_CLAIM_VALIDATION_FAILED',
        now,
      );
    });

    test('a critical header extension', async () => {
      const header = { alg: 'ES256', typ: 'at+jwt', kid: 'test-1', crit: ['x-ext'], 'x-ext': 1 };
      await expectRejected(signedRaw(header, base64url(claims())), 'ERR_JOSE_NOT_SUPPORTED');
    });

    test('an unencoded payload (b64 false)', async () => {
      const header = { alg: 'ES256', typ: 'at+jwt', kid: 'test-1', b64: false, crit: ['b64'] };
      await expectRejected(signedRaw(header, JSON.stringify(claims())), 'ERR_JWT_INVALID');
    });

    test('a claims set that is not an object', async () => {
      const header = { alg: 'ES256', typ: 'at+jwt', kid: 'test-1' };
      await expectRejected(signedRaw(header, base64url([claims()])), 'ERR_JWT_INVALID');
    });

    test('malformed: parts missing or extra, a signature not in base64url', async () => {
      const token = await signed(claims());
      const [header, payload, signature] = token.split('.') as [string, string, string];
      await expectRejected(`${header}.${payload}`, 'ERR_JWS_INVALID');
      await expectRejected(`${token}.${signature}`, 'ERR_JWS_INVALID');
      await expectRejected(`${header}.${payload}.${signature}*`, 'ERR_JWS_INVALID');
    });
  });

  describe('takes the clock tolerance as jose does, at its edges', () => {
    const now = 2_000_000_000;
    const atEdge = async (payload: Record<string, unknown>, accepted: boolean) => {
      const token = await signed({ ...claims(now), ...payload });
      const fast = fastPath.verify(token, now);
      const jose = await joseOutcome(token, now);
      expect('payload' in jose).toBe(accepted);
      if (accepted) expect(fast).not.toBe(undecided);
      expectAgreement(fast, jose);
    };
    test('exp', async () => {
      await atEdge({ exp: now - 29 }, true);
      await atEdge({ exp: now - 30 }, false);
    });
    test('iat in the past (a day at most)', async () => {
      await atEdge({ iat: now - 86_400 - 30 }, true);
      await atEdge({ iat: now - 86_400 - 31 }, false);
    });
    test('iat and nbf in the future', async () => {
      await atEdge({ iat: now + 30 }, true);
      await atEdge({ iat: now + 31 }, false);
      await atEdge({ nbf: now + 30 }, true);
      await atEdge({ nbf: now + 31 }, false);
    });
  });

  test('takes keys only from our JWKS, and leaves a kid shared by two keys to jose', async () => {
    const token = await signed(claims());
    const twice = new Es256FastPath(
      { keys: [...keySet.publicJwks.keys, ...keySet.publicJwks.keys] },
      rules,
    );
    expect(twice.verify(token, nowSeconds())).toBe(undecided);
    const none = new Es256FastPath({ keys: [] }, rules);
    expect(none.verify(token, nowSeconds())).toBe(undecided);
    const encryptionOnly = new Es256FastPath(
      { keys: keySet.publicJwks.keys.map((key) => ({ ...key, use: 'enc' })) },
      rules,
    );
    expect(encryptionOnly.verify(token, nowSeconds())).toBe(undecided);
    const notOnTheCurve = new Es256FastPath(
      { keys: keySet.publicJwks.keys.map((key) => ({ ...key, x: key.y })) },
      rules,
    );
    expect(notOnTheCurve.verify(token, nowSeconds())).toBe(undecided);
  });

  test('agrees with jose on tokens with any one character changed', async () => {
    const token = await signed(claims());
    const now = nowSeconds();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...alphabet),
        async (position, character) => {
          const mutated = token.slice(0, position) + character + token.slice(position + 1);
          expectAgreement(fastPath.verify(mutated, now), await joseOutcome(mutated, now));
        },
      ),
      { numRuns: 300 },
    );
  });
});
