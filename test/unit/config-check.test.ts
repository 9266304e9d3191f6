import { generateSigningKey, keySetFromPrivate, loadKeySet } from '../../gateway/auth/keys';
import { environmentProblems } from '../../gateway/config-check';
import { loadAssertionKey } from '../../gateway/federation/assertions';

/** Production start-up checks (issue 17): every problem at once, each naming its variable. */
describe('the environment check', () => {
  it('accepts the development defaults (no variable set)', () => {
    expect(environmentProblems({})).toEqual([]);
  });

  it('lists every missing or invalid production setting in one answer', async () => {
    const problems = environmentProblems({
      NODE_ENV: 'production',
      PORT: 'eighty',
      DB_LOCK_TIMEOUT_MS: '-1',
      DATABASE_URL: 'mysql://db',
      PARTNER_SERVICES: 'ptr_skyair=ftp://x',
    });
    expect(problems).toEqual([
      'PORT must be a non-negative integer, got "eighty"',
      'DB_LOCK_TIMEOUT_MS must be a non-negative integer, got "-1"',
      'DATABASE_URL must be a postgres:// or postgresql:// URL',
      'JWT_PUBLIC_JWKS is required in production (the public keys tokens are signed with)',
      expect.stringMatching(/^GATEWAY_ASSERTION_PRIVATE_JWK is required in production/),
      'PARTNER_SERVICES entry "ptr_skyair=ftp://x" must be ptr_id=http(s)://url',
    ]);
  });

  it('names the variable holding malformed JSON, without quoting it', () => {
    const problems = environmentProblems({ JWT_PUBLIC_JWKS: '{"keys": [secret-material' });
    expect(problems).toEqual(['JWT_PUBLIC_JWKS is not valid JSON']);
  });

  it('refuses a private key among the published public keys, and a public-only signing key', async () => {
    const privateJwk = await generateSigningKey('k-1');
    const { publicJwks } = keySetFromPrivate(privateJwk);
    const env = {
      NODE_ENV: 'production',
      JWT_PUBLIC_JWKS: JSON.stringify({ keys: [privateJwk] }),
      GATEWAY_ASSERTION_PRIVATE_JWK: JSON.stringify(publicJwks.keys[0]),
    };
    expect(environmentProblems(env)).toEqual([
      expect.stringMatching(/^JWT_PUBLIC_JWKS contains a private key/),
      expect.stringMatching(/^GATEWAY_ASSERTION_PRIVATE_JWK is a public key/),
    ]);
    // The loaders refuse them too, whoever calls them.
    await expect(loadKeySet({ production: true, dataDir: '/nonexistent', env })).rejects.toThrow(
      /contains a private key/,
    );
    await expect(
      loadAssertionKey({ production: true, dataDir: '/nonexistent', env }),
    ).rejects.toThrow(/is a public key/);
  });

  it('accepts a complete production environment', async () => {
    const identity = keySetFromPrivate(await generateSigningKey('idp-1'));
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://coalition@db:5432/coalition',
      JWT_PUBLIC_JWKS: JSON.stringify(identity.publicJwks),
      GATEWAY_ASSERTION_PRIVATE_JWK: JSON.stringify(await generateSigningKey('gw-1')),
    };
    expect(environmentProblems(env)).toEqual([]);
  });
});
