import { readFileSync } from 'node:fs';
import request from 'supertest';
import { TrustedDocuments } from '../../gateway/http/trusted-documents';
import { trustedDocumentsFile } from '../../gateway/http/web';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

const manifest = JSON.parse(readFileSync(trustedDocumentsFile, 'utf8')) as Record<string, string>;
const walletHash = Object.entries(manifest).find(([, text]) =>
  text.startsWith('query Wallet {'),
)![0];

describe('the web apps’ routes on the gateway (development)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await createTestGateway();
  });
  afterAll(() => t.close());

  it('signs a demo member in, and no one else', async () => {
    const config = await request(t.server).get('/auth/config');
    expect(config.body.mode).toBe('development');
    expect(config.body.users).toContainEqual({
      kind: 'member',
      id: 'mbr_alice',
      name: 'Alice Andersen',
    });
    const signedIn = await request(t.server)
      .post('/auth/dev/token')
      .set('content-type', 'application/json')
      .send({ kind: 'member', id: 'mbr_alice' });
    expect(signedIn.status).toBe(200);
    const viewer = await t.graphql(signedIn.body.token, '{ viewer { kind id } }');
    expect(viewer.body.data.viewer).toEqual({ kind: 'member', id: 'mbr_alice' });
    const stranger = await request(t.server)
      .post('/auth/dev/token')
      .set('content-type', 'application/json')
      .send({ kind: 'member', id: 'mbr_mallory' });
    expect(stranger.status).toBe(403);
    // A form post from another site cannot sign a browser in.
    const form = await request(t.server).post('/auth/dev/token').type('form').send('kind=member');
    expect(form.status).toBe(400);
  });

  it('answers a registered document sent by its hash, and refuses an unknown hash', async () => {
    const token = await t.token('member', 'mbr_alice');
    const byHash = await request(t.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send({ extensions: { persistedQuery: { version: 1, sha256Hash: walletHash } } });
    expect(byHash.status).toBe(200);
    expect(byHash.body.data.wallet.memberId).toBe('mbr_alice');
    const unknown = await request(t.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send({ extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].message).toBe('PersistedQueryNotFound');
  });
});

describe('the web apps’ routes in production', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await createTestGateway({ production: true });
  });
  afterAll(() => t.close());

  it('has no development sign-in', async () => {
    expect((await request(t.server).get('/auth/config')).body.mode).toBe('none');
    const refused = await request(t.server)
      .post('/auth/dev/token')
      .set('content-type', 'application/json')
      .send({ kind: 'member', id: 'mbr_alice' });
    expect(refused.status).toBe(404);
  });
});

describe('TRUSTED_DOCUMENTS=required', () => {
  const documents = new TrustedDocuments(
    new Map([[walletHash, manifest[walletHash]!]]),
    'required',
  );
  const byHash = { extensions: { persistedQuery: { version: 1, sha256Hash: walletHash } } };

  it('lets members and finance users send only registered documents', () => {
    const member = { kind: 'member', memberId: 'mbr_alice' } as const;
    expect(documents.resolve(member, byHash)).toEqual({ body: { query: manifest[walletHash] } });
    expect(documents.resolve(member, { query: '{ wallet { memberId } }' })).toHaveProperty(
      'refused',
    );
    const finance = { kind: 'finance', userId: 'u', partnerId: undefined } as const;
    expect(documents.resolve(finance, { query: '{ settlementPeriods { id } }' })).toHaveProperty(
      'refused',
    );
  });

  it('leaves partners’ and the operator’s own documents alone', () => {
    const partner = { kind: 'partner', partnerId: 'ptr_fuelco' } as const;
    expect(documents.resolve(partner, { query: '{ viewer { kind } }' })).toEqual({
      body: { query: '{ viewer { kind } }' },
    });
  });
});
