import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { trustedDocumentsFile } from '../../gateway/http/web';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * The gateway's routes for the web apps: the built files, the development sign-in (never in
 * production) and the apps' trusted documents, sent by hash.
 */
const manifest = require(trustedDocumentsFile) as Record<string, string>;
const hashOf = (operationName: string) => {
  const found = Object.entries(manifest).find(([, text]) =>
    new RegExp(`^(query|mutation) ${operationName}\\b`).test(text),
  );
  if (!found) throw new Error(`no trusted document ${operationName}`);
  return found[0];
};
const persisted = (operationName: string, variables: Record<string, unknown> = {}) => ({
  operationName,
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(operationName) } },
});

let distDir: string;
beforeAll(() => {
  distDir = mkdtempSync(join(tmpdir(), 'web-dist-'));
  mkdirSync(join(distDir, 'finance'));
  mkdirSync(join(distDir, 'assets'));
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>wallet</title>');
  writeFileSync(join(distDir, 'finance', 'index.html'), '<!doctype html><title>finance</title>');
  writeFileSync(join(distDir, 'assets', 'wallet-abc.js'), 'console.log(1)');
  writeFileSync(join(distDir, 'assets', 'wallet-abc.js.gz'), gzipSync('console.log(1)'));
});
afterAll(() => rmSync(distDir, { recursive: true, force: true }));

describe('in development', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await createTestGateway({ web: { webDistDir: distDir } });
  });
  afterAll(() => t.close());

  it('serves the wallet at /, the console at /finance and hashed assets for a year', async () => {
    const wallet = await request(t.server).get('/');
    expect(wallet.status).toBe(200);
    expect(wallet.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(wallet.headers['cache-control']).toBe('no-cache');
    expect(wallet.headers['content-security-policy']).toContain("default-src 'self'");
    expect(wallet.text).toContain('<title>wallet</title>');
    const finance = await request(t.server).get('/finance/statements');
    expect(finance.text).toContain('<title>finance</title>');
    const asset = await request(t.server).get('/assets/wallet-abc.js');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gzipped = await request(t.server)
      .get('/assets/wallet-abc.js')
      .set('accept-encoding', 'gzip');
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.text).toBe('console.log(1)');
    const plain = await request(t.server)
      .get('/assets/wallet-abc.js')
      .set('accept-encoding', 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe('console.log(1)');
    expect((await request(t.server).get('/assets/../../etc/passwd')).status).toBe(404);
    expect((await request(t.server).get('/assets/missing.js')).status).toBe(404);
  });

  it('lists the demo members and finance users, and signs one in with a token /graphql accepts', async () => {
    const config = await request(t.server).get('/auth/config');
    expect(config.body.mode).toBe('development');
    expect(config.body.users).toContainEqual({
      kind: 'member',
      id: 'mbr_alice',
      name: 'Alice Andersen',
    });
    expect(config.body.users).toContainEqual({
      kind: 'finance',
      id: 'operator',
      name: 'Coalition finance (operator)',
    });
    const signIn = await request(t.server)
      .post('/auth/dev/token')
      .set('content-type', 'application/json')
      .send({ kind: 'member', id: 'mbr_alice' });
    expect(signIn.status).toBe(200);
    expect(signIn.headers['cache-control']).toBe('no-store');
    expect(signIn.body.expiresInSeconds).toBe(3600);
    const viewer = await t.graphql(signIn.body.token, '{ viewer { kind id } }');
    expect(viewer.body.data).toEqual({ viewer: { kind: 'member', id: 'mbr_alice' } });
  });

  it('refuses anyone not listed, and a body a plain HTML form could send', async () => {
    const stranger = await request(t.server)
      .post('/auth/dev/token')
      .set('content-type', 'application/json')
      .send({ kind: 'operator', id: 'admin' });
    expect(stranger.status).toBe(403);
    const form = await request(t.server)
      .post('/auth/dev/token')
      .type('form')
      .send({ kind: 'member', id: 'mbr_alice' });
    expect(form.status).toBe(400);
  });

  it('accepts calls from the origin it serves the apps on, and no other not listed', async () => {
    const token = await t.token('member', 'mbr_alice');
    const { port } = t.server.address() as { port: number };
    const call = (origin: string) =>
      request(t.server)
        .post('/graphql')
        .set('host', `127.0.0.1:${port}`)
        .set('origin', origin)
        .set('authorization', `Bearer ${token}`)
        .set('content-type', 'application/json')
        .send({ query: '{ viewer { kind } }' });
    expect((await call(`http://127.0.0.1:${port}`)).status).toBe(200);
    expect((await call('https://wallet.example')).status).toBe(200);
    expect((await call(`http://evil.example:${port}`)).status).toBe(403);
  });

  it('passes every trusted document through the gateway’s limits (depth, aliases, cost)', async () => {
    const finance = await t.token('finance', 'fin_ops');
    const refused: string[] = [];
    for (const [hash, text] of Object.entries(manifest)) {
      // Validation runs before variables are read: missing ones fail later, with another code.
      const response = await request(t.server)
        .post('/graphql')
        .set('authorization', `Bearer ${finance}`)
        .set('content-type', 'application/json')
        .send({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
      const codes = (response.body.errors ?? []).map(
        (error: { extensions?: { code?: string } }) => error.extensions?.code,
      );
      // Partners' fields are validated by the browser tests, against the whole federation.
      const partnerField = /^Cannot query field "(skyAir|nordic|freshMart|redeem)/;
      if (
        codes.includes('GRAPHQL_VALIDATION_FAILED') &&
        !partnerField.test(response.body.errors[0].message)
      ) {
        refused.push(`${text.split('(')[0]!.split(' {')[0]}: ${response.body.errors[0].message}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it('runs a trusted document sent by its hash, and refuses an unknown hash', async () => {
    const token = await t.token('member', 'mbr_alice');
    const wallet = await request(t.server)
      .post('/graphql')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .send(persisted('Wallet'));
    expect(wallet.body.errors).toBeUndefined();
    expect(wallet.body.data.wallet.memberId).toBe('mbr_alice');
    const unknown = await request(t.server)
      .post('/graphql')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .send({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('in production', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await createTestGateway({
      production: true,
      web: {
        webDistDir: join(distDir, 'not-built'),
        env: {
          TRUSTED_DOCUMENTS: 'required',
          OIDC_ISSUER: 'https://id.coalition.example/',
          OIDC_CLIENT_ID: 'coalition-web',
        },
      },
    });
  });
  afterAll(() => t.close());

  it('has no development sign-in; the apps sign in with the identity provider', async () => {
    expect((await request(t.server).post('/auth/dev/token').send({})).status).toBe(404);
    const config = await request(t.server).get('/auth/config');
    expect(config.body).toEqual({
      mode: 'oidc',
      issuer: 'https://id.coalition.example',
      clientId: 'coalition-web',
      scopes: 'openid profile',
    });
  });

  it('lets the apps call only the gateway and the identity provider', async () => {
    const page = await request(t.server).get('/');
    expect(page.headers['content-security-policy']).toContain(
      "connect-src 'self' https://id.coalition.example;",
    );
  });

  it('says how to build the apps when they are not built', async () => {
    const page = await request(t.server).get('/');
    expect(page.status).toBe(503);
    expect(page.text).toContain('npm run web:build');
  });

  it('accepts only the apps’ documents from members and finance users, anything from partners', async () => {
    const member = await t.token('member', 'mbr_alice');
    const text = await t.graphql(member, '{ wallet { memberId } }');
    expect(text.status).toBe(400);
    expect(text.body.errors![0]!.extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const byHash = await request(t.server)
      .post('/graphql')
      .set('authorization', `Bearer ${member}`)
      .set('content-type', 'application/json')
      .send(persisted('Wallet'));
    expect(byHash.body.data.wallet.memberId).toBe('mbr_alice');
    const partner = await t.graphql(await t.token('partner', 'ptr_fuelco'), '{ viewer { kind } }');
    expect(partner.body.data).toEqual({ viewer: { kind: 'partner' } });
  });
});
