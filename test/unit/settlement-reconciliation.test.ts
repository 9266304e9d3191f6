import { IdempotencyKeyReused } from '../../gateway/ledger/errors';
import { PeriodStateConflict } from '../../gateway/settlement/errors';
import type { Period } from '../../gateway/settlement/model';
import type { Reconciliation } from '../../gateway/settlement/reconciliation';
import type { CsvPage } from '../../gateway/settlement/settlement-service';
import type { RequestContext } from '../../gateway/shared/context';
import { Forbidden, InvalidInput } from '../../gateway/shared/errors';
import {
  closeAtEnd,
  openNextPeriod,
  seedCoalitionWithoutHistory,
} from '../helpers/settlement-fixtures';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
let first: Period;
let reconciliation: Reconciliation;

const operatorFinance = (): RequestContext => ({
  caller: { kind: 'finance', userId: 'fin_ops', partnerId: undefined },
  requestId: 'test',
  em: app.orm.em.fork(),
});
const fuelcoFinance = (): RequestContext => ({
  caller: { kind: 'finance', userId: 'fin_fuelco', partnerId: 'ptr_fuelco' },
  requestId: 'test',
  em: app.orm.em.fork(),
});

async function earn(transactionId: string, points: bigint) {
  app.clock.advance(1_000);
  ok(
    await app.purchases.award(app.asPartner('ptr_fuelco'), {
      member: { externalId: 'FC-0001' },
      transactionId,
      currency: 'SKY',
      points,
    }),
  );
}

beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
  first = await openNextPeriod(app, 24);
  await earn('FC-A', 100n); // FuelCo owes SkyAir 1.20
  await earn('FC-B', 50n); // 0.60
  await earn('FC-C', 10n); // 0.12
  await earn('FC-SEED', 500n);
  app.clock.advance(1_000);
  ok(
    await app.purchases.payWithPoints(app.asPartner('ptr_fuelco'), {
      member: { externalId: 'FC-0001' },
      transactionId: 'FC-D',
      currency: 'SKY',
      points: 200n,
    }),
  ); // SkyAir owes FuelCo 200 x 0.008 = 1.60
  first = await closeAtEnd(app, first);
});
afterAll(() => app.close());

describe('a partner reconciles a closed period', () => {
  it('refuses a period that is not closed yet', async () => {
    const open = await openNextPeriod(app, 24);
    const error = failure(
      await app.settlement.submitReconciliation(fuelcoFinance(), {
        periodId: open.id,
        partnerId: null,
        records: [],
        csv: null,
        idempotencyKey: null,
      }),
    );
    expect(error).toBeInstanceOf(PeriodStateConflict);
  });

  it('sorts its CSV records into each kind of exception, with counts and totals', async () => {
    const csv = [
      '\ufefftransaction_id,amount,currency,counterparty',
      'FC-A,-1.20,EUR,ptr_skyair',
      '"FC-B",-0.50,EUR,ptr_skyair',
      'FC-X,-2.00,EUR,ptr_skyair',
      'FC-D,1.60,EUR,',
      'FC-SEED,-6.00,EUR,ptr_skyair',
      '',
    ].join('\r\n');
    reconciliation = ok(
      await app.settlement.submitReconciliation(fuelcoFinance(), {
        periodId: first.id,
        partnerId: null,
        records: null,
        csv,
        idempotencyKey: 'fuelco-first-period',
      }),
    );
    expect(reconciliation).toMatchObject({
      partnerId: 'ptr_fuelco',
      source: 'csv',
      recordCount: 5,
    });
    expect(
      reconciliation.totals.map((t) => [t.status, t.count, t.ourAmountMinor, t.theirAmountMinor]),
    ).toEqual([
      ['amount_differs', 1n, -60n, -50n],
      ['matched', 3n, -560n, -560n],
      ['missing_on_our_side', 1n, 0n, -200n],
      ['missing_on_their_side', 1n, -12n, 0n],
    ]);
  });

  it('returns the same reconciliation for a retry, and refuses other records under its key', async () => {
    const records = [{ reference: 'FC-A', amount: '-1.20', currency: 'EUR' }];
    const submit = (amount: string) =>
      app.settlement.submitReconciliation(fuelcoFinance(), {
        periodId: first.id,
        partnerId: null,
        records: [{ ...records[0]!, amount }],
        csv: null,
        idempotencyKey: 'fuelco-structured',
      });
    const original = ok(await submit('-1.20'));
    expect(ok(await submit('-1.20'))).toEqual(original);
    expect(failure(await submit('-1.21'))).toBeInstanceOf(IdempotencyKeyReused);
  });

  it('matches our own statement CSV sent back unchanged, line for line', async () => {
    let text = '';
    let after: string | null = null;
    for (;;) {
      const page: CsvPage = ok(
        await app.settlement.statementCsvPage(fuelcoFinance(), first.id, null, 2, after),
      );
      text += page.text;
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    const roundTrip = ok(
      await app.settlement.submitReconciliation(fuelcoFinance(), {
        periodId: first.id,
        partnerId: null,
        records: null,
        csv: text,
        idempotencyKey: null,
      }),
    );
    expect(roundTrip.totals.map((t) => [t.status, t.count])).toEqual([['matched', 5n]]);
  });
});

describe('resolving exceptions with adjustments', () => {
  it('lets only the operator’s finance users post adjustments', async () => {
    const items = ok(
      await app.settlement.reconciliationItems(
        operatorFinance(),
        reconciliation.id,
        null,
        10,
        null,
      ),
    );
    const error = failure(
      await app.settlement.resolveException(fuelcoFinance(), {
        itemId: items.items[0]!.id,
        amountMinor: null,
        amountCurrency: null,
        counterpartyId: null,
        note: '',
      }),
    );
    expect(error).toBeInstanceOf(Forbidden);
  });

  it('refuses to adjust a matched item', async () => {
    const matched = ok(
      await app.settlement.reconciliationItems(
        operatorFinance(),
        reconciliation.id,
        'matched',
        10,
        null,
      ),
    );
    const error = failure(
      await app.settlement.resolveException(operatorFinance(), {
        itemId: matched.items[0]!.id,
        amountMinor: null,
        amountCurrency: null,
        counterpartyId: null,
        note: '',
      }),
    );
    expect(error).toBeInstanceOf(InvalidInput);
  });

  it('refuses an adjustment in another currency than the exception’s', async () => {
    const [item] = ok(
      await app.settlement.reconciliationItems(operatorFinance(), reconciliation.id, null, 1, null),
    ).items;
    const error = failure(
      await app.settlement.resolveException(operatorFinance(), {
        itemId: item!.id,
        amountMinor: 10n,
        amountCurrency: 'SEK',
        counterpartyId: null,
        note: '',
      }),
    );
    expect(error).toMatchObject({ field: 'amount.currency', reason: 'the exception is in EUR' });
  });

  it('posts an adjust transfer per exception, idempotently, and the next period settles them', async () => {
    const exceptions = ok(
      await app.settlement.reconciliationItems(
        operatorFinance(),
        reconciliation.id,
        null,
        10,
        null,
      ),
    ).items.sort((a, b) => (a.reference < b.reference ? -1 : 1));
    expect(exceptions.map((item) => [item.reference, item.status, item.counterpartyId])).toEqual([
      ['FC-B', 'amount_differs', 'ptr_skyair'],
      ['FC-C', 'missing_on_their_side', 'ptr_skyair'],
      ['FC-X', 'missing_on_our_side', 'ptr_skyair'],
    ]);
    const receipts = [];
    for (const item of exceptions) {
      const request = {
        itemId: item.id,
        amountMinor: null,
        amountCurrency: null,
        counterpartyId: null,
        note: `agreed with FuelCo on ${item.reference}`,
      };
      const receipt = ok(await app.settlement.resolveException(operatorFinance(), request));
      expect(ok(await app.settlement.resolveException(operatorFinance(), request))).toEqual(
        receipt,
      );
      receipts.push(receipt);
    }
    // Theirs minus ours, from FuelCo's side: +0.10, +0.12, -2.00.
    expect(receipts.map((r) => [r.debtorId, r.creditorId, r.amountMinor])).toEqual([
      ['ptr_skyair', 'ptr_fuelco', 10n],
      ['ptr_skyair', 'ptr_fuelco', 12n],
      ['ptr_fuelco', 'ptr_skyair', -200n],
    ]);
    const changed = failure(
      await app.settlement.resolveException(operatorFinance(), {
        itemId: exceptions[0]!.id,
        amountMinor: 5n,
        amountCurrency: 'EUR',
        counterpartyId: null,
        note: '',
      }),
    );
    expect(changed).toBeInstanceOf(IdempotencyKeyReused);

    const periods = ok(await app.settlement.periods(operatorFinance()));
    const second = periods[1]!;
    await earn('FC-E', 100n); // 1.20 more in the second period
    await closeAtEnd(app, second);
    const settlement = ok(await app.settlement.periodSettlement(operatorFinance(), second.id));
    // -1.20 + 0.10 + 0.12 - 2.00
    expect(settlement.positions.map((p) => [p.partyId, p.positionMinor])).toEqual([
      ['ptr_fuelco', -298n],
      ['ptr_skyair', 298n],
    ]);
    const lines = ok(
      await app.settlement.statementLines(fuelcoFinance(), second.id, null, 10, null),
    );
    expect(lines.items.map((l) => [l.transferCode, l.kind, l.reference, l.amountMinor])).toEqual([
      ['adjust', 'adjustment', 'FC-B', 10n],
      ['adjust', 'adjustment', 'FC-C', 12n],
      ['adjust', 'adjustment', 'FC-X', -200n],
      ['earn', 'issuance', 'FC-E', -120n],
    ]);
    const firstAgain = ok(await app.settlement.periodSettlement(operatorFinance(), first.id));
    expect(firstAgain.positions.map((p) => p.positionMinor)).toEqual([-632n, 632n]);
  });
});
