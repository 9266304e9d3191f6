import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { walletQuery } from '../../bench/requests';
import { asPartner } from '../../gateway/demo/seed';
import { DomainError } from '../../gateway/shared/errors';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * The wallet answer, byte for byte, pinned before the read path was rewritten for uncached
 * reads (issue 16, part 3): Alice's wallet (the demo's history and 26 more transfers: earns in
 * two currencies, pending ones, a payment and a refund) and Bob's (a pending earn), first through Apollo Server, then through the
 * compiled path, and a second history page by cursor. Transfer ids and timestamps differ from
 * one database to the next (see `normalised`); everything else (field order, numbers, null,
 * descriptions) must match the fixture exactly.
 * WRITE_WALLET_FIXTURE=1 writes the fixture instead (only ever from the code before a change).
 */
const fixture = join(__dirname, 'fixtures', 'wallet-answer.txt');
const secondPage = walletQuery
  .replace('history(first: 20)', 'history(first: 20, after: $after)')
  .replace('query Wallet {', 'query Wallet($after: String) {');

let t: TestGateway;
beforeAll(async () => {
  t = await createTestGateway({ demo: true });
  await longerHistory(t.app);
});

/**
 * Alice's demo history grown past two pages: earns in both of her currencies, with and without
 * a purchase, some pending, a payment with points and a partial refund.
 */
async function longerHistory(app: TestGateway['app']): Promise<void> {
  const alice = { memberId: 'mbr_alice' };
  const eur = (cents: bigint) => ({ amountMinor: cents, currency: 'EUR' });
  const done = (outcome: unknown) => {
    if (outcome instanceof DomainError) throw new Error(outcome.message);
  };
  for (let round = 0; round < 12; round++) {
    done(
      await app.purchases.award(asPartner(app, 'ptr_fuelco'), {
        member: alice,
        transactionId: `FC-LONG-${round}`,
        currency: 'SKY',
        purchase: eur(1_050n + BigInt(round) * 375n),
        ...(round % 4 === 3 ? { pendingDays: 14 } : {}),
      }),
    );
    done(
      await app.purchases.award(asPartner(app, 'ptr_nordic'), {
        member: alice,
        transactionId: `NH-LONG-${round}`,
        currency: 'HTL',
        points: BigInt(100 + round * 7),
      }),
    );
  }
  done(
    await app.purchases.payWithPoints(asPartner(app, 'ptr_telcoone'), {
      member: alice,
      transactionId: 'TEL-LONG-1',
      currency: 'SKY',
      points: 300n,
      purchase: eur(300n),
    }),
  );
  done(
    await app.purchases.refundPurchase(asPartner(app, 'ptr_fuelco'), {
      transactionId: 'FC-LONG-5',
      refundId: 'FC-LONG-REFUND-5',
      amount: eur(1_000n),
    }),
  );
}
afterAll(() => t.close());

async function post(token: string, query: string, variables: Record<string, unknown>) {
  const answer = await request(t.server)
    .post('/graphql')
    .set('content-type', 'application/json')
    .set('authorization', `Bearer ${token}`)
    .send({ query, variables });
  return { status: answer.status, text: answer.text };
}

/**
 * Ids by order of first appearance, instants as TIME (two transfers may or may not share a
 * millisecond from one run to the next): the rest stays byte for byte.
 */
function normalised(text: string): string {
  const seen = new Map<string, string>();
  const label = (value: string, prefix: string) => {
    let name = seen.get(value);
    if (!name) {
      name = `${prefix}${seen.size + 1}`;
      seen.set(value, name);
    }
    return name;
  };
  return text
    .replace(/trf_[a-z0-9]{26}/g, (id) => label(id, 'trf#'))
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'TIME');
}

it('answers the wallet query byte for byte as before, through Apollo and compiled', async () => {
  const lines: string[] = [];
  for (const member of ['mbr_alice', 'mbr_bob']) {
    const token = await t.token('member', member);
    // A nonce makes each body new: the member response cache never answers.
    const apollo = await post(token, walletQuery, { nonce: 1 });
    const compiled = await post(token, walletQuery, { nonce: 2 });
    expect(apollo.status).toBe(200);
    expect(compiled.text).toBe(apollo.text);
    const first = JSON.parse(apollo.text) as {
      data: { wallet: { history: { pageInfo: { endCursor: string | null } } } };
    };
    const cursor = first.data.wallet.history.pageInfo.endCursor;
    const next = await post(token, secondPage, { after: cursor, nonce: 3 });
    expect(next.status).toBe(200);
    lines.push(apollo.text, `${JSON.stringify(cursor)} ${next.text}`);
  }
  const answer = normalised(lines.join(''));
  if (process.env.WRITE_WALLET_FIXTURE) writeFileSync(fixture, answer);
  expect(answer).toBe(readFileSync(fixture, 'utf8'));
});
