import {
  generateTransfers,
  type SyntheticShape,
  seedSyntheticCoalition,
} from '../../bench/synthetic-activity';
import type { Period } from '../../gateway/settlement/model';
import { closeAtEnd, hourMs } from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * A period closed before migration 0040 has no cut-off: its membership rows
 * (settlement_item_stored) say which transfers it took, and its lines are derived from them.
 * Here a period closed the new way is turned into such a period (as the migration finds one),
 * and everything it shows must stay exactly the same; so must the next period's refunds of
 * its earns, which read their origins through the stored rows.
 */
const shape: SyntheticShape = { partners: 5, currencies: 4, members: 20 };
let app: TestApp;
let first: Period;
let second: Period;

beforeAll(async () => {
  app = await createTestApp({ demo: false });
  const start = app.clock.now();
  await seedSyntheticCoalition(app, shape, start);
  const system = app.systemContext('test');
  first = ok(
    await app.settlement.openPeriod(system, {
      startsAt: start,
      endsAt: new Date(start.getTime() + hourMs),
    }),
  );
  second = ok(
    await app.settlement.openPeriod(system, {
      startsAt: null,
      endsAt: new Date(start.getTime() + 2 * hourMs),
    }),
  );
  // 610 transfers over two hours: the refund at 318 reverses the earn at 300, across the two.
  await generateTransfers(app.db, shape, {
    count: 610,
    firstId: 1,
    startsAt: start,
    spanMs: 2 * hourMs,
  });
  await closeAtEnd(app, first);
}, 60_000);
afterAll(() => app.close());

async function files(period: Period): Promise<string[]> {
  const operator = app.systemContext('test');
  const texts = [];
  for (let partner = 0; partner < shape.partners; partner++) {
    const chunks = ok(await app.settlement.exportStatement(operator, period.id, `ptr_s${partner}`));
    let text = '';
    for await (const chunk of chunks) text += chunk;
    texts.push(text);
    const page = ok(
      await app.settlement.statementLines(operator, period.id, `ptr_s${partner}`, 1_000, null),
    );
    texts.push(
      JSON.stringify(page.items, (_, value) => (typeof value === 'bigint' ? `${value}` : value)),
    );
  }
  return texts;
}

/** What migration 0040 finds of a period closed before it: stored rows, no cut-off. */
async function asStoredMembership(period: Period): Promise<void> {
  // Written as the old close wrote them: before the period was marked closed, which the
  // triggers now refuse, so they step aside for this.
  const triggers = [
    'settlement_item_stored disable trigger settlement_item_needs_open_period',
    'settlement_period disable trigger settlement_period_is_immutable',
  ];
  for (const trigger of triggers) await app.db.query(`alter table ${trigger}`);
  try {
    await app.db.query(
      `insert into settlement_item_stored (transfer_id, period_id)
       select transfer_id, period_id from settlement_item where period_id = $1`,
      [period.id],
    );
    await app.db.query(
      `update settlement_period
       set cutoff_snapshot = null, takes_from = null, first_transfer_id = null,
           last_transfer_id = null
       where id = $1`,
      [period.id],
    );
  } finally {
    for (const trigger of triggers) {
      await app.db.query(`alter table ${trigger.replace('disable', 'enable')}`);
    }
  }
}

describe('a period closed before lines were derived on read', () => {
  it('shows the same statements through its stored membership rows', async () => {
    const before = await files(first);
    expect(before.some((text) => text.includes('line,'))).toBe(true);
    await asStoredMembership(first);
    const stored = await app.db.query<{ count: bigint }>(
      'select count(*) from settlement_item_stored where period_id = $1',
      [first.id],
    );
    expect(stored.rows[0]!.count).toBe(305n);
    expect(await files(first)).toEqual(before);
  });

  it('lets the next period take the rest and reverse the stored period’s earns', async () => {
    const closed = await closeAtEnd(app, second);
    expect(closed.transferCount).toBe(305n);
    const operator = app.systemContext('test');
    const lines = ok(
      await app.settlement.statementLines(operator, second.id, 'ptr_s0', 1_000, null),
    ).items;
    const crossing = lines.find((line) => line.reference === 'SYN-R-318');
    expect(crossing?.originTransferId).toBe(`trf_${(301).toString(16).padStart(26, '0')}`);
    const settlement = ok(await app.settlement.periodSettlement(operator, second.id));
    expect(settlement.positions.reduce((sum, p) => sum + p.positionMinor, 0n)).toBe(0n);
  });
});
