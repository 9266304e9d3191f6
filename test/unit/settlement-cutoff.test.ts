import type { Sql } from '../../gateway/db/sql';
import { newId } from '../../gateway/shared/ids';
import {
  closeAtEnd,
  openNextPeriod,
  seedCoalitionWithoutHistory,
} from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * A period takes what its close's snapshot saw committed (issue 16, part 2): a transfer whose
 * transaction is still open while the period closes is not in it, even though it is stamped
 * inside it, and the next close takes it, like a refund after the close.
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
});
afterAll(() => app.close());

const system = () => app.systemContext('test');

async function accountId(ownerId: string, kind: string): Promise<bigint> {
  const rows = await app.db.query<{ id: bigint }>(
    `select id from account where owner_id = $1 and kind = $2 and currency_code = 'SKY'`,
    [ownerId, kind],
  );
  return rows.rows[0]!.id;
}

/**
 * FuelCo's earn of 50 SKY for Alice, written by hand on `sql` (a connection or a transaction):
 * its transfer, carrying `carried` as its first posting (migration 0098), then the posting.
 */
async function writeEarnByHand(
  sql: Pick<Sql, 'query'>,
  earn: { id: string; reference: string; createdAt: Date },
  carried: readonly [string | null, bigint | null, string | null] = ['SKY', 50n, 'posted'],
): Promise<void> {
  await sql.query(
    `insert into transfer (id, code, partner_id, member_id, external_id, created_at,
                           first_currency_code, first_amount_points, first_posting_kind)
     values ($1, 'earn', 'ptr_fuelco', 'mbr_alice', $2, $3, $4, $5, $6)`,
    [earn.id, earn.reference, earn.createdAt, ...carried],
  );
  await sql.query(
    `insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                          currency_code, amount_points)
     values ($1, 0, 'posted', $2, $3, 'SKY', 50)`,
    [earn.id, await accountId('ptr_fuelco', 'issuance'), await accountId('mbr_alice', 'member')],
  );
}

describe('a period’s cut-off', () => {
  it('leaves a transfer committed after the close to the next period', async () => {
    const first = await openNextPeriod(app, 1);
    const second = await openNextPeriod(app, 1);
    app.clock.advance(60_000);
    ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: { memberId: 'mbr_alice' },
        transactionId: 'CUT-1',
        currency: 'SKY',
        points: 100n,
      }),
    );
    // A writer that stamped its transfer inside the first period and commits only after its
    // close (written by hand: the ledger's own writes never take this long).
    const writer = await app.db.pool.connect();
    const lateId = newId('trf');
    try {
      await writer.query('begin');
      await writeEarnByHand(writer, {
        id: lateId,
        reference: 'CUT-LATE',
        createdAt: new Date(first.startsAt.getTime() + 120_000),
      });
      const closed = await closeAtEnd(app, first);
      expect(closed).toMatchObject({ transferCount: 1n, obligationCount: 1n });
      await writer.query('commit');
    } finally {
      writer.release();
    }
    const firstLines = ok(
      await app.settlement.statementLines(system(), first.id, 'ptr_fuelco', 10, null),
    ).items;
    expect(firstLines.map((line) => [line.reference, line.amountMinor])).toEqual([
      ['CUT-1', -120n],
    ]);
    // Committed now: the first period still does not take it, the second does.
    expect(
      ok(await app.settlement.statementLines(system(), first.id, 'ptr_fuelco', 10, null)).items,
    ).toEqual(firstLines);
    const closedSecond = await closeAtEnd(app, second);
    expect(closedSecond).toMatchObject({ transferCount: 1n, obligationCount: 1n });
    const secondLines = ok(
      await app.settlement.statementLines(system(), second.id, 'ptr_fuelco', 10, null),
    ).items;
    expect(secondLines.map((line) => [line.transferId, line.reference, line.amountMinor])).toEqual([
      [lateId, 'CUT-LATE', -60n],
    ]);
    const gross = ok(await app.settlement.periodSettlement(system(), first.id)).gross;
    expect(gross.map((flow) => flow.amountMinor)).toEqual([120n]);
  });
});

describe('a transfer’s first posting (migration 0098)', () => {
  it('refuses postings a transfer does not carry, as code before 0098 wrote them, and writes nothing', async () => {
    // Written by hand as a process of the previous version writes (no first_* columns), and
    // as a writer naming other points than it posts: the close prices the transfer's columns.
    const carriedCopies = [
      [null, null, null],
      ['SKY', 49n, 'posted'],
    ] as const;
    for (const carried of carriedCopies) {
      const id = newId('trf');
      const written = app.db.transaction((sql) =>
        writeEarnByHand(sql, { id, reference: id, createdAt: app.clock.now() }, carried),
      );
      await expect(written).rejects.toThrow(/transfer_first_posting_mismatch/);
      const left = await app.db.query('select 1 from transfer where id = $1', [id]);
      expect(left.rowCount).toBe(0);
    }
  });
});
