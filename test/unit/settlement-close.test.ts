import { AgreementMissing, PeriodStateConflict } from '../../gateway/settlement/errors';
import type { Period } from '../../gateway/settlement/model';
import { convertAsMember } from '../helpers/exchange-conversions';
import {
  closeAtEnd,
  hourMs,
  openNextPeriod,
  priceSky,
  seedCoalitionWithoutHistory,
} from '../helpers/settlement-fixtures';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
});
afterAll(() => app.close());

const system = () => app.systemContext('test');
const eur = (cents: bigint) => ({ amountMinor: cents, currency: 'EUR' });
let sequence = 0;

async function fuelcoEarn(points: bigint, purchaseCents = points * 100n): Promise<string> {
  sequence += 1;
  app.clock.advance(1_000);
  return ok(
    await app.purchases.award(app.asPartner('ptr_fuelco'), {
      member: { memberId: 'mbr_alice' },
      transactionId: `CLOSE-${sequence}`,
      currency: 'SKY',
      points,
      purchase: eur(purchaseCents),
    }),
  ).transferId;
}

async function refund(transactionId: string, cents?: bigint): Promise<string> {
  sequence += 1;
  app.clock.advance(1_000);
  return ok(
    await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
      transactionId,
      refundId: `REFUND-${sequence}`,
      amount: cents === undefined ? undefined : eur(cents),
    }),
  ).transferId;
}

async function obligationsOf(transferId: string) {
  const rows = await app.db.query<{
    period_id: string;
    kind: string;
    debtor_id: string;
    creditor_id: string;
    points: bigint;
    amount_minor: bigint;
    origin_transfer_id: string;
  }>(
    `select period_id, kind, debtor_id, creditor_id, points, amount_minor, origin_transfer_id
     from settlement_obligation where transfer_id = $1 order by kind`,
    [transferId],
  );
  return rows.rows;
}

async function tableCounts() {
  const rows = await app.db.query<{ name: string; count: bigint }>(
    `select 'item' as name, count(*) from settlement_item
     union all select 'obligation', count(*) from settlement_obligation
     union all select 'gross', count(*) from settlement_gross
     union all select 'sum', coalesce(sum(amount_minor), 0)::bigint from settlement_obligation`,
  );
  return rows.rows;
}

describe('closing a period', () => {
  let first: Period;
  let second: Period;
  let earnId: string;

  it('refuses before the period ends, and refuses a later period while an earlier is open', async () => {
    first = await openNextPeriod(app, 2);
    second = await openNextPeriod(app, 2);
    earnId = await fuelcoEarn(100n);
    const early = failure(await app.settlement.closePeriod(system(), first.id));
    expect(early).toBeInstanceOf(PeriodStateConflict);
    app.clock.set(second.endsAt);
    const outOfOrder = failure(await app.settlement.closePeriod(system(), second.id));
    expect(outOfOrder).toBeInstanceOf(PeriodStateConflict);
    expect((outOfOrder as PeriodStateConflict).reason).toBe(`close ${first.id} first`);
  });

  it('is idempotent: closing twice returns the same period and writes nothing more', async () => {
    const closed = ok(await app.settlement.closePeriod(system(), first.id));
    const counts = await tableCounts();
    const again = ok(await app.settlement.closePeriod(system(), first.id));
    expect(again).toEqual(closed);
    expect(await tableCounts()).toEqual(counts);
    expect(await obligationsOf(earnId)).toEqual([
      {
        period_id: first.id,
        kind: 'issuance',
        debtor_id: 'ptr_fuelco',
        creditor_id: 'ptr_skyair',
        points: 100n,
        amount_minor: 120n,
        origin_transfer_id: earnId,
      },
    ]);
  });

  it('puts a refund posted after the close in the next period only, referencing the original', async () => {
    app.clock.set(new Date(first.endsAt.getTime() + 60_000));
    const refundId = await refund('CLOSE-1');
    await closeAtEnd(app, second);
    expect(await obligationsOf(refundId)).toEqual([
      {
        period_id: second.id,
        kind: 'issuance',
        debtor_id: 'ptr_fuelco',
        creditor_id: 'ptr_skyair',
        points: -100n,
        amount_minor: -120n,
        origin_transfer_id: earnId,
      },
    ]);
    const firstGross = ok(await app.settlement.periodSettlement(system(), first.id)).gross;
    expect(firstGross.map((g) => g.amountMinor)).toEqual([120n]);
  });

  it('lets nothing change a closed period', async () => {
    await fuelcoEarn(1n); // a transfer no period has taken yet
    const attempts = [
      `update settlement_obligation set amount_minor = 0 where period_id = '${first.id}'`,
      `delete from settlement_item where period_id = '${first.id}'`,
      `update settlement_period set ends_at = ends_at + interval '1 hour' where id = '${first.id}'`,
      `insert into settlement_item (transfer_id, period_id)
         select id, '${first.id}' from transfer where id not in (select transfer_id from settlement_item) limit 1`,
      `insert into settlement_gross values ('${first.id}', 'EUR', 'ptr_nordic', 'ptr_skyair', 1, 1)`,
      `insert into settlement_obligation (period_id, transfer_id, kind, currency_code,
         origin_transfer_id, debtor_id, creditor_id, settlement_currency, points, unit_price,
         amount_minor, agreement_id, transfer_code, reference, transfer_created_at)
       values ('${first.id}', '${earnId}', 'adjustment', '', '${earnId}', 'ptr_nordic',
         'ptr_skyair', 'EUR', 0, null, 1, null, 'adjust', 'x', now())`,
      // Lines are derived from the period's cut-off and the transfers' parties: neither moves.
      `update settlement_period set cutoff_snapshot = pg_current_snapshot() where id = '${first.id}'`,
      `update transfer set partner_id = 'ptr_nordic' where id = '${earnId}'`,
    ];
    for (const attempt of attempts) {
      await expect(app.db.query(attempt)).rejects.toThrow(/immutable/);
    }
    await expect(
      app.db.query(`update currency set owner_partner_id = 'ptr_nordic' where code = 'SKY'`),
    ).rejects.toThrow(/currency_owner_is_fixed/);
  });

  it('takes a transfer stamped inside a closed period but committed after its close into the next', async () => {
    const third = await openNextPeriod(app, 2);
    app.clock.set(new Date(second.endsAt.getTime() - hourMs));
    const late = await fuelcoEarn(10n);
    await closeAtEnd(app, third);
    expect((await obligationsOf(late))[0]?.period_id).toBe(third.id);
  });
});

describe('pricing obligations', () => {
  it('fails with AgreementMissing and writes nothing when a partner has no terms', async () => {
    const system = app.systemContext('test');
    ok(await app.catalog.createPartner(system, { id: 'ptr_gasnet', name: 'GasNet' }));
    ok(
      await app.catalog.setPartnerCurrency(system, {
        partnerId: 'ptr_gasnet',
        currency: 'SKY',
        earns: true,
        accepts: true,
        earnRatePoints: 1n,
        earnRatePerMinor: 100n,
        moneyCurrency: 'EUR',
      }),
    );
    ok(
      await app.members.linkMember(app.systemContext(), {
        partnerId: 'ptr_gasnet',
        externalId: 'GN-1',
        memberId: 'mbr_bob',
      }),
    );
    const period = await openNextPeriod(app, 1);
    app.clock.advance(1_000);
    const earn = ok(
      await app.purchases.award(app.asPartner('ptr_gasnet'), {
        member: { externalId: 'GN-1' },
        transactionId: 'GN-POS-1',
        currency: 'SKY',
        points: 1000n,
      }),
    );
    app.clock.set(period.endsAt);
    const before = await tableCounts();
    const missing = failure(await app.settlement.closePeriod(system, period.id));
    expect(missing).toBeInstanceOf(AgreementMissing);
    expect(missing).toMatchObject({
      partnerId: 'ptr_gasnet',
      currency: 'SKY',
      transferId: earn.transferId,
    });
    expect(await tableCounts()).toEqual(before);
    expect(ok(await app.settlement.period(system, period.id)).status).toBe('open');

    // Operator fees: 1.5% of each obligation and 0.05 EUR per transfer, owed by GasNet.
    await priceSky(app, period, 'ptr_gasnet', {
      issuancePrice: '0.0125',
      billingPercent: '80',
      operatorFeePercent: '1.5',
      operatorFeePerTransferMinor: 5n,
    });
    await closeAtEnd(app, period);
    // 1000 x 0.0125 x 80% = 10.00 EUR; the fee 1.5% of that = 0.15; plus 0.05 per transfer.
    expect(
      (await obligationsOf(earn.transferId)).map((o) => [o.kind, o.creditor_id, o.amount_minor]),
    ).toEqual([
      ['issuance', 'ptr_skyair', 1000n],
      ['issuance_fee', 'operator', 15n],
      ['transfer_fee', 'operator', 5n],
    ]);
    const positions = ok(await app.settlement.periodSettlement(system, period.id)).positions;
    expect(positions.map((p) => [p.partyId, p.positionMinor])).toEqual([
      ['operator', 20n],
      ['ptr_gasnet', -1020n],
      ['ptr_skyair', 1000n],
    ]);
  });

  it('rounds cumulatively, so partial refunds reverse exactly what was billed', async () => {
    const period = await openNextPeriod(app, 1);
    // 0.0125 EUR per point at FuelCo from now on: 10 points bill 0.125, rounded to 0.13.
    await priceSky(app, period, 'ptr_fuelco', { issuancePrice: '0.0125' });
    const earn = await fuelcoEarn(10n, 1000n);
    const half = await refund(`CLOSE-${sequence}`, 500n);
    const rest = await refund(`CLOSE-${sequence - 1}`);
    await closeAtEnd(app, period);
    expect((await obligationsOf(earn))[0]?.amount_minor).toBe(13n);
    // round(5 x 0.0125) - round(10 x 0.0125) = 0.06 - 0.13; then round(0) - round(0.0625) = -0.06.
    expect((await obligationsOf(half))[0]).toMatchObject({ points: -5n, amount_minor: -7n });
    expect((await obligationsOf(rest))[0]).toMatchObject({ points: -5n, amount_minor: -6n });
  });

  it('prices each partial refund from the points left, so a full refund in parts nets to zero', async () => {
    const period = await openNextPeriod(app, 1);
    // 0.0025 EUR per point: 6 points bill 0.015, rounded to 0.02; 3 points 0.0075, to 0.01.
    await priceSky(app, period, 'ptr_fuelco', { issuancePrice: '0.0025' });
    const earn = await fuelcoEarn(6n, 600n);
    const half = await refund(`CLOSE-${sequence}`, 300n);
    const rest = await refund(`CLOSE-${sequence - 1}`);
    const closed = await closeAtEnd(app, period);
    // round(3 x 0.0025) - round(6 x 0.0025) = 0.01 - 0.02; then round(0) - round(0.0075) = -0.01.
    // (Before migration 0097 the second was priced from 6 + 3 points: round(0.015) -
    // round(0.0225) = 0.00, and the purchase stayed billed 0.01.)
    expect((await obligationsOf(earn))[0]?.amount_minor).toBe(2n);
    expect((await obligationsOf(half))[0]).toMatchObject({ points: -3n, amount_minor: -1n });
    expect((await obligationsOf(rest))[0]).toMatchObject({ points: -3n, amount_minor: -1n });
    const gross = await app.db.query<{ amount_minor: bigint; obligation_count: bigint }>(
      'select amount_minor, obligation_count from settlement_gross where period_id = $1',
      [closed.id],
    );
    expect(gross.rows).toEqual([{ amount_minor: 0n, obligation_count: 3n }]);

    // A period closed before migration 0097 keeps the lines it was billed by (its gross matrix
    // was stored then): marked as such, the same transfers derive the old rule's amounts.
    await app.db
      .transaction(async (sql) => {
        await sql.query(
          'alter table settlement_period disable trigger settlement_period_is_immutable',
        );
        await sql.query(
          "update settlement_period set reversal_rounding = 'added_before_0097' where id = $1",
          [closed.id],
        );
        const old = await sql.query(
          'select points, amount_minor from settlement_obligation where transfer_id = $1',
          [rest],
        );
        expect(old.rows).toEqual([{ points: -3n, amount_minor: 0n }]);
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    expect((await obligationsOf(rest))[0]).toMatchObject({ amount_minor: -1n });
  });

  it('refuses a close that does not name its reversal rule, as code before migration 0097 would', async () => {
    const period = await openNextPeriod(app, 1);
    app.clock.set(period.endsAt);
    const closedByOldCode = app.db.query(
      `update settlement_period
       set status = 'closed', closed_at = now(), closed_by = 'old gateway', transfer_count = 0,
           obligation_count = 0
       where id = $1`,
      [period.id],
    );
    await expect(closedByOldCode).rejects.toThrow(/closed_period_names_its_rounding/);
    const closed = await closeAtEnd(app, period);
    const rule = await app.db.query<{ reversal_rounding: string }>(
      'select reversal_rounding from settlement_period where id = $1',
      [closed.id],
    );
    expect(rule.rows).toEqual([{ reversal_rounding: 'points_left' }]);
  });

  it('bills a conversion’s base points only, not the promotion’s bonus', async () => {
    const operator = system();
    ok(
      await app.exchangeAdmin.setRate(operator, {
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        sourceUnits: 5n,
        targetUnits: 1n,
        incrementPoints: 1_000n,
      }),
    );
    ok(
      await app.exchangeAdmin.setLiquidityFloor(operator, {
        currency: 'SKY',
        floorPoints: -1_000_000n,
      }),
    );
    ok(
      await app.exchangeAdmin.addPromotion(operator, {
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        bonusPerMille: 250n,
        endsAt: new Date(app.clock.now().getTime() + 86_400_000),
      }),
    );
    const period = await openNextPeriod(app, 1);
    ok(
      await app.purchases.award(app.asPartner('ptr_nordic'), {
        member: { memberId: 'mbr_bob' },
        transactionId: 'NH-BONUS-1',
        currency: 'HTL',
        points: 1000n,
      }),
    );
    app.clock.advance(1_000);
    const conversion = ok(
      await convertAsMember(app, {
        memberId: 'mbr_bob',
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        sourcePoints: 1000n,
      }),
    );
    expect(conversion).toMatchObject({ baseTargetPoints: 200n, bonusPoints: 50n });
    await closeAtEnd(app, period);
    expect(await obligationsOf(conversion.transferId)).toEqual([
      expect.objectContaining({
        kind: 'exchange',
        debtor_id: 'ptr_nordic',
        creditor_id: 'ptr_skyair',
        points: 200n,
        amount_minor: 200n,
      }),
    ]);
  });

  it('lets two concurrent closes of one period yield one close', async () => {
    const period = await openNextPeriod(app, 1);
    await fuelcoEarn(7n);
    app.clock.set(period.endsAt);
    const [a, b] = await Promise.all([
      app.settlement.closePeriod(system(), period.id),
      app.settlement.closePeriod(system(), period.id),
    ]);
    expect(ok(a)).toEqual(ok(b));
    expect(ok(a)).toMatchObject({ transferCount: 1n, obligationCount: 1n });
  });
});
