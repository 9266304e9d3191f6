import request from 'supertest';
import { ledgerFingerprint, ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Issue 17.6 through the API: a demo member's export (streamed JSON) and erasure (personal data
 * gone, sign-in refused, ledger, statements and settlement byte-identical), and who may do
 * either.
 */
let t: TestGateway;
let alice: string;
let bob: string;
let operator: string;
let operatorFinance: string;
let periodId: string;

beforeAll(async () => {
  t = await createTestGateway();
  alice = await t.token('member', 'mbr_alice');
  bob = await t.token('member', 'mbr_bob');
  operator = await t.token('operator', 'admin');
  operatorFinance = await t.token('finance', 'fin_ops');
  // A closed period holding the demo history, Alice's transfers included.
  const start = new Date(t.app.clock.now().getTime() - 3_600_000);
  const end = new Date(start.getTime() + 2 * 3_600_000);
  const opened = await t.graphql(
    operatorFinance,
    `mutation($input: OpenSettlementPeriodInput!) {
       openSettlementPeriod(input: $input) { ... on SettlementPeriod { id } }
     }`,
    { input: { startsAt: start.toISOString(), endsAt: end.toISOString() } },
  );
  periodId = opened.body.data.openSettlementPeriod.id;
  t.app.clock.set(end);
  const closed = await t.graphql(
    operatorFinance,
    'mutation($id: ID!) { closeSettlementPeriod(periodId: $id) { __typename } }',
    { id: periodId },
  );
  expect(closed.body.data.closeSettlementPeriod.__typename).toBe('SettlementPeriod');
});
afterAll(() => t.close());

function exportAs(token: string | undefined, memberId?: string) {
  let call = request(t.server).get(
    `/members/export${memberId ? `?memberId=${encodeURIComponent(memberId)}` : ''}`,
  );
  if (token) call = call.set('authorization', `Bearer ${token}`);
  return call.buffer(true).parse((response, done) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
    });
    response.on('end', () => done(null, text));
  });
}

async function exported(token: string, memberId?: string) {
  const response = await exportAs(token, memberId);
  expect(response.status).toBe(200);
  return JSON.parse(response.body as string);
}

const erase = `mutation($input: EraseMemberInput!) {
  eraseMember(input: $input) {
    __typename
    ... on MemberErasure { memberId erasedAt }
    ... on ErrorResult { code message }
  }
}`;

/** Every settlement output of the period as text: each partner's statement CSV and the tables. */
async function settlementTexts(): Promise<string[]> {
  const texts: string[] = [];
  for (const partnerId of ['ptr_skyair', 'ptr_nordic', 'ptr_fuelco', 'ptr_telcoone']) {
    let after: string | null = null;
    let csv = '';
    for (;;) {
      const { body } = await t.graphql(
        operatorFinance,
        `query($periodId: ID!, $partnerId: ID, $after: String) {
          statementCsv(periodId: $periodId, partnerId: $partnerId, first: 2, after: $after) {
            text pageInfo { endCursor hasNextPage }
          }
        }`,
        { periodId, partnerId, after },
      );
      csv += body.data.statementCsv.text;
      if (!body.data.statementCsv.pageInfo.hasNextPage) break;
      after = body.data.statementCsv.pageInfo.endCursor;
    }
    texts.push(csv);
  }
  for (const table of ['gross', 'bilateral', 'positions', 'payments']) {
    const { body } = await t.graphql(
      operatorFinance,
      'query($periodId: ID!, $table: SettlementTable!) { settlementCsv(periodId: $periodId, table: $table) }',
      { periodId, table },
    );
    texts.push(body.data.settlementCsv);
  }
  return texts;
}

/** The ledger's and settlement's rows, without the member's personal rows and the audit log. */
async function ledgerRows(): Promise<string> {
  // Segment membership and offers' lists of members are about the person, not the ledger.
  const personal =
    /^(member|member_link|member_link_code|audit_entry|mikro_orm_migrations|segment|segment_member|offer_target_member):/;
  return (await ledgerFingerprint(t.app.db))
    .split('\n')
    .filter((line) => !personal.test(line))
    .join('\n');
}

describe('exporting a member’s data', () => {
  it('gives a member everything about themself, streamed as one JSON document', async () => {
    await t.app.segments.refreshAll(t.app.clock.now());
    const response = await exportAs(alice);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const data = JSON.parse(response.body as string);
    expect(data.member).toEqual({
      id: 'mbr_alice',
      displayName: 'Alice Andersen',
      email: 'alice@example.com',
      birthday: '03-14',
      createdAt: expect.any(String),
      erasedAt: null,
    });
    expect(data.links.map((link: { partnerId: string }) => link.partnerId)).toEqual([
      'ptr_fuelco',
      'ptr_nordic',
      'ptr_skyair',
      'ptr_telcoone',
    ]);
    expect(data.links).toContainEqual(
      expect.objectContaining({ partnerId: 'ptr_skyair', externalId: 'SK-100001' }),
    );
    const count = await t.app.db.query<{ transfers: bigint; lots: bigint }>(
      `select (select count(*) from transfer where member_id = 'mbr_alice') as transfers,
              (select count(*) from lot l join account a on a.id = l.account_id
               where a.member_id = 'mbr_alice') as lots`,
    );
    expect(BigInt(data.transfers.length)).toBe(count.rows[0]!.transfers);
    expect(BigInt(data.lots.length)).toBe(count.rows[0]!.lots);
    expect(data.transfers[0].postings.length).toBeGreaterThan(0);
    expect(data.balances.map((balance: { currency: string }) => balance.currency).sort()).toEqual([
      'HTL',
      'SKY',
    ]);
    expect(Array.isArray(data.holds)).toBe(true);
    // Earning rules' personal data: vouchers, referrals, registered receipts.
    expect(data.vouchers).toEqual([]);
    expect(data.referrals).toEqual({ code: null, referredBy: [], referred: [] });
    expect(data.receipts).toEqual([]);
    // Segments (as last refreshed) and offers.
    expect(data.segments).toContainEqual(
      expect.objectContaining({ id: 'seg_active', partnerId: null, kind: 'active' }),
    );
    expect(data.offers).toEqual([]);
    for (const section of [
      'tiers',
      'tierGrants',
      'tierQualification',
      'tierInvitationsUsed',
      'vipSubscriptions',
      'tierEvents',
      'surveyAnswers',
    ]) {
      expect(Array.isArray(data[section])).toBe(true);
    }
    expect(Array.isArray(data.linkCodes)).toBe(true);
  });

  it('gives the operator any member’s, by id', async () => {
    expect((await exported(operator, 'mbr_alice')).member.id).toBe('mbr_alice');
    expect((await exportAs(operator)).status).toBe(400);
    expect((await exportAs(operator, 'mbr_nobody')).status).toBe(404);
  });

  it('refuses another member, partners, finance users and anonymous callers', async () => {
    expect((await exportAs(bob, 'mbr_alice')).status).toBe(403);
    expect((await exportAs(await t.token('partner', 'ptr_skyair'), 'mbr_alice')).status).toBe(403);
    expect((await exportAs(operatorFinance, 'mbr_alice')).status).toBe(403);
    expect((await exportAs(undefined, 'mbr_alice')).status).toBe(401);
  });
});

describe('erasing a member', () => {
  let settlementBefore: string[];
  let rowsBefore: string;

  it('is refused to another member and to partners, and without confirmation', async () => {
    settlementBefore = await settlementTexts();
    rowsBefore = await ledgerRows();
    const byBob = await t.graphql(bob, erase, { input: { memberId: 'mbr_alice', confirm: true } });
    expect(byBob.body.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    const byPartner = await t.graphql(await t.token('partner', 'ptr_skyair'), erase, {
      input: { memberId: 'mbr_alice', confirm: true },
    });
    expect(byPartner.body.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    const unconfirmed = await t.graphql(alice, erase, { input: { confirm: false } });
    expect(unconfirmed.body.data.eraseMember).toMatchObject({
      __typename: 'InvalidInputError',
      code: 'INVALID_INPUT',
    });
    expect((await exported(operator, 'mbr_alice')).member.email).toBe('alice@example.com');
  });

  it('anonymises a member who asks, who then cannot sign in', async () => {
    const { body } = await t.graphql(alice, erase, { input: { confirm: true } });
    expect(body.data.eraseMember).toEqual({
      __typename: 'MemberErasure',
      memberId: 'mbr_alice',
      erasedAt: t.app.clock.now().toISOString(),
    });
    const signIn = await t.graphql(alice, '{ wallet { balances { currency } } }');
    expect(signIn.status).toBe(401);
    expect(signIn.body.errors![0]!.message).toBe('Invalid bearer token: the member was erased');
    expect((await exportAs(alice)).status).toBe(401);

    const data = await exported(operator, 'mbr_alice');
    expect(data.member).toMatchObject({
      id: 'mbr_alice',
      displayName: 'Erased member',
      email: null,
      birthday: null,
      erasedAt: t.app.clock.now().toISOString(),
    });
    expect(data.links).toEqual([]);
    expect(data.transfers.length).toBeGreaterThan(0);
    // She left every segment at once, and their counts with her.
    expect(data.segments).toEqual([]);
    const counts = await t.app.db.query<{ stored: bigint; counted: bigint }>(
      `select (select sum(member_count) from segment)::bigint as stored,
              (select count(*) from segment_member) as counted`,
    );
    expect(counts.rows[0]!.stored).toBe(counts.rows[0]!.counted);
    // A partner no longer finds her by its own customer number.
    const skyair = await t.token('partner', 'ptr_skyair');
    const found = await t.graphql(skyair, '{ member(ref: { externalId: "SK-100001" }) { id } }');
    expect(found.body.data.member).toBeNull();
  });

  it('leaves the ledger, statements and settlement exactly as they were', async () => {
    expect(await settlementTexts()).toEqual(settlementBefore);
    expect(await ledgerRows()).toBe(rowsBefore);
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });

  it('is idempotent, and recorded as who and when without the erased data', async () => {
    const first = (await exported(operator, 'mbr_alice')).member.erasedAt;
    t.app.clock.advance(60_000);
    const again = await t.graphql(operator, erase, {
      input: { memberId: 'mbr_alice', confirm: true },
    });
    expect(again.body.data.eraseMember).toMatchObject({ memberId: 'mbr_alice', erasedAt: first });
    const audit = await t.graphql(
      operator,
      `{ auditLog(entityType: "member", first: 10) {
          entries { actor { kind id } entityId action before after }
        } }`,
    );
    expect(audit.body.data.auditLog.entries).toEqual([
      {
        actor: { kind: 'member', id: 'mbr_alice' },
        entityId: 'mbr_alice',
        action: 'erase',
        before: null,
        after: null,
      },
    ]);
  });

  it('lets the operator erase any member', async () => {
    const { body } = await t.graphql(operator, erase, {
      input: { memberId: 'mbr_chloe', confirm: true },
    });
    expect(body.data.eraseMember).toMatchObject({
      __typename: 'MemberErasure',
      memberId: 'mbr_chloe',
    });
    const missing = await t.graphql(operator, erase, {
      input: { memberId: 'mbr_nobody', confirm: true },
    });
    expect(missing.body.data.eraseMember).toMatchObject({ __typename: 'NotFoundError' });
    expect(await settlementTexts()).toEqual(settlementBefore);
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
});
