import { type App, createApp } from '../../gateway/app';
import { asPartner } from '../../gateway/demo/seed';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Members' wallet reads are answered from memory until a transfer changes the member. To see
 * whether an answer came from the cache, the tests change an account behind the ledger's back
 * (plain SQL, no transfer, so nothing announces it): a cached answer still shows the old total.
 */
let t: TestGateway;
let alice: string;
let other: App;
beforeAll(async () => {
  t = await createTestGateway();
  alice = await t.token('member', 'mbr_alice');
  other = await createApp({ databaseUrl: t.app.databaseUrl, migrate: false });
});
afterAll(async () => {
  await other.close();
  await t.close();
});

const walletQuery =
  '{ wallet { balances { currency available } history(first: 3) { entries { code } } } }';

async function availableSky(query = walletQuery): Promise<string> {
  const { body } = await t.graphql(alice, query);
  expect(body.errors).toBeUndefined();
  return body.data.wallet.balances.find(
    (balance: { currency: string }) => balance.currency === 'SKY',
  ).available;
}

/** Adds points to Alice's SKY account without a transfer: invisible to the change feed. */
async function tamperBehindTheLedger(points: number): Promise<void> {
  await t.app.db.query(
    `update account set credits_posted = credits_posted + $1
     where member_id = 'mbr_alice' and currency_code = 'SKY'`,
    [points],
  );
}

/** Polls until `check` holds; the limit only catches a change that never arrives. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What the database holds right now for Alice's SKY, as the wallet would show it. */
async function skyInDatabase(): Promise<string> {
  const rows = await t.app.db.query<{ available: bigint }>(
    `select credits_posted - debits_posted - debits_pending as available from account
     where member_id = 'mbr_alice' and currency_code = 'SKY'`,
  );
  return String(rows.rows[0]!.available);
}

describe('cached wallet reads', () => {
  it('answers a repeated read from memory, and a transfer through this gateway drops it at once', async () => {
    const shown = await availableSky();
    await tamperBehindTheLedger(1);
    expect(await availableSky()).toBe(shown); // from the cache
    const fuelco = await t.token('partner', 'ptr_fuelco');
    const { body } = await t.graphql(
      fuelco,
      `mutation { awardPoints(input: {member: {externalId: "FC-0001"}, transactionId: "CACHE-1", currency: "SKY", points: "10"}) { __typename } }`,
    );
    expect(body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
    // Read-your-writes: the earn dropped the entry before it answered.
    expect(await availableSky()).toBe(await skyInDatabase());
  });

  it('drops a member’s answers when another process moves their points (the change feed)', async () => {
    const shown = await availableSky();
    await tamperBehindTheLedger(1);
    expect(await availableSky()).toBe(shown);
    const earned = await other.purchases.award(asPartner(other, 'ptr_fuelco'), {
      member: { externalId: 'FC-0001' },
      transactionId: 'CACHE-2',
      currency: 'SKY',
      points: 5n,
    });
    expect(earned).toMatchObject({ points: 5n });
    const truth = await skyInDatabase();
    expect(truth).not.toBe(shown);
    await eventually(async () => (await availableSky()) === truth);
  });

  it('drops a member’s answers after any mutation the member makes', async () => {
    const shown = await availableSky();
    await tamperBehindTheLedger(1);
    expect(await availableSky()).toBe(shown);
    const { body } = await t.graphql(alice, 'mutation { issueLinkCode { code } }');
    expect(body.data.issueLinkCode.code).toHaveLength(10);
    expect(await availableSky()).toBe(await skyInDatabase());
  });

  it('never caches a read that selects data other than the member’s ledger', async () => {
    const withValues = '{ wallet { balances { currency available value { amount } } } }';
    await availableSky(withValues);
    await tamperBehindTheLedger(1);
    expect(await availableSky(withValues)).toBe(await skyInDatabase());
  });

  it('keeps members apart: one member’s cached answer is never another’s', async () => {
    const bob = await t.token('member', 'mbr_bob');
    const mine = await t.graphql(alice, walletQuery);
    const theirs = await t.graphql(bob, walletQuery);
    expect(theirs.body.data).not.toEqual(mine.body.data);
    expect(theirs.body.data.wallet.balances.map((b: { currency: string }) => b.currency)).toEqual([
      'HTL',
    ]);
  });

  it('drops a member’s answers before this process’s expiry sweep returns, not when the feed tells it', async () => {
    const shown = await availableSky();
    expect(shown).not.toBe('0');
    // The ledger's own report, which the change feed does not call: told means told in time.
    const told: string[] = [];
    t.app.ledger.onMembersChanged((memberIds) => told.push(...memberIds));
    const pastEveryExpiry = new Date(t.app.clock.now().getTime() + 40 * 365 * 24 * 3_600_000);
    expect(await t.app.ledger.expireDue(pastEveryExpiry)).toBeGreaterThan(0);
    expect(told).toContain('mbr_alice');
    const truth = await skyInDatabase();
    expect(truth).not.toBe(shown);
    expect(await availableSky()).toBe(truth);
  });
});
