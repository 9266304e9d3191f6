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
    const issuance = await accountId('ptr_fuelco', 'issuance');
    const member = await accountId('mbr_alice', 'member');
    // A writer that stamped its transfer inside the first period and commits only after its
    // close (written by hand: the ledger's own writes never take this long).
    const writer = await app.db.pool.connect();
    const lateId = newId('trf');
    try {
      await writer.query('begin');
      await writer.query(
        `insert into transfer (id, code, partner_id, member_id, external_id, created_at,
                               first_currency_code, first_amount_points, first_posting_kind)
         values ($1, 'earn', 'ptr_fuelco', 'mbr_alice', 'CUT-LATE', $2, 'SKY', 50, 'posted')`,
        [lateId, new Date(first.startsAt.getTime() + 120_000)],
      );
      await writer.query(
        `insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                              currency_code, amount_points)
         values ($1, 0, 'posted', $2, $3, 'SKY', 50)`,
        [lateId, issuance, member],
      );
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
    const issuance = await accountId('ptr_fuelco', 'issuance');
    const member = await accountId('mbr_alice', 'member');
    // Written by hand as a process of the previous version writes (no first_* columns), and
    // as a writer naming other points than it posts: the close prices the transfer's columns.
    for (const carried of [
      [null, null, null],
      ['SKY', 49n, 'posted'],
    ]) {
      const id = newId('trf');
      const written = app.db.transaction(async (sql) => {
        await sql.query(
          `insert into transfer (id, code, partner_id, member_id, external_id, created_at,
                                 first_currency_code, first_amount_points, first_posting_kind)
           values ($1, 'earn', 'ptr_fuelco', 'mbr_alice', $1, now(), $2, $3, $4)`,
          [id, ...carried],
        );
        await sql.query(
          `insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                                currency_code, amount_points)
           values ($1, 0, 'posted', $2, $3, 'SKY', 50)`,
          [id, issuance, member],
        );
      });
      await expect(written).rejects.toThrow(/transfer_first_posting_mismatch/);
      const left = await app.db.query('select 1 from transfer where id = $1', [id]);
      expect(left.rowCount).toBe(0);
    }
  });
});
