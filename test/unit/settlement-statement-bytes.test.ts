import { createHash } from 'node:crypto';
import {
  generateTransfers,
  type SyntheticShape,
  seedSyntheticCoalition,
} from '../../bench/synthetic-activity';
import { seedExchangeDemo } from '../../gateway/exchange/demo-exchange';
import type { Period } from '../../gateway/settlement/model';
import type { CsvPage } from '../../gateway/settlement/settlement-service';
import type { RequestContext } from '../../gateway/shared/context';
import { convertAsMember } from '../helpers/exchange-conversions';
import { closeAtEnd, hourMs, seedCoalitionWithoutHistory } from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * Pins the exact bytes of every statement CSV (streamed, and paged through the API), every
 * netting table and a reconciliation of a fixed data set, so a change to how settlement stores
 * or derives its lines can prove it prints the same files (issue 16, part 2). Ids that differ
 * between runs (transfer, quote and period ids) are replaced by their rank in
 * sorted order, which is the order they were made in; everything else is compared byte for byte.
 *
 * The data: the DOMAIN.md worked example, a second purchase refunded in part and then in full
 * across a close, a purchase that both earns and spends refunded after the close, a transfer
 * stamped before a close but committed after it, 1,210 generated transfers over two periods
 * (operator fees, billing percentages, conversions, a refund of an earn of the earlier period),
 * and reconciliation exceptions resolved by adjustments that land in a third period.
 */
const shape: SyntheticShape = { partners: 7, currencies: 3, members: 40 };
let app: TestApp;
const periods: Period[] = [];
const files = new Map<string, string>();

const operatorFinance = (): RequestContext => ({
  caller: { kind: 'finance', userId: 'fin_ops', partnerId: undefined },
  requestId: 'test',
  em: app.orm.em.fork(),
});

beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
  await seedExchangeDemo(app);
  const start = app.clock.now();
  await seedSyntheticCoalition(app, shape, start);
  const system = app.systemContext('test');
  for (let index = 0; index < 3; index++) {
    periods.push(
      ok(
        await app.settlement.openPeriod(system, {
          startsAt: index === 0 ? start : null,
          endsAt: new Date(start.getTime() + (index + 1) * 2 * hourMs),
        }),
      ),
    );
  }
  await generateTransfers(app.db, shape, {
    count: 1_210,
    firstId: 1,
    startsAt: start,
    spanMs: 4 * hourMs,
  });
  await firstPeriodActivity();
  await closeAtEnd(app, periods[0]!);
  await secondPeriodActivity();
  await closeAtEnd(app, periods[1]!);
  await reconcileAndAdjust();
  await closeAtEnd(app, periods[2]!);
  await collectFiles();
}, 120_000);
afterAll(() => app.close());

const alice = { memberId: 'mbr_alice' };
const step = () => app.clock.advance(60_000);

async function firstPeriodActivity(): Promise<void> {
  step();
  ok(
    await app.purchases.award(app.asPartner('ptr_skyair'), {
      member: alice,
      transactionId: 'SK-TKT-0001',
      currency: 'SKY',
      points: 2000n,
    }),
  );
  step();
  ok(
    await app.purchases.award(app.asPartner('ptr_fuelco'), {
      member: alice,
      transactionId: 'FC-POS-1001',
      currency: 'SKY',
      purchase: { amountMinor: 5000n, currency: 'EUR' },
    }),
  );
  step();
  ok(
    await app.purchases.award(app.asPartner('ptr_nordic'), {
      member: alice,
      transactionId: 'NH-STAY-311',
      currency: 'HTL',
      points: 3000n,
    }),
  );
  step();
  ok(
    await convertAsMember(app, {
      memberId: 'mbr_alice',
      sourceCurrency: 'HTL',
      targetCurrency: 'SKY',
      sourcePoints: 3000n,
    }),
  );
  step();
  ok(
    await app.purchases.payWithPoints(app.asPartner('ptr_telcoone'), {
      member: alice,
      transactionId: 'TEL-BILL-2026-11',
      currency: 'SKY',
      points: 1500n,
    }),
  );
  step();
  ok(
    await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
      transactionId: 'FC-POS-1001',
      refundId: 'FC-RF-1001',
    }),
  );
  step(); // 0.125 EUR of points, refunded in part now and in full after the close.
  ok(
    await app.purchases.award(app.asPartner('ptr_fuelco'), {
      member: alice,
      transactionId: 'FC-POS-1002',
      currency: 'SKY',
      points: 7n,
      purchase: { amountMinor: 700n, currency: 'EUR' },
    }),
  );
  step();
  ok(
    await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
      transactionId: 'FC-POS-1002',
      refundId: 'FC-RF-1002-A',
      amount: { amountMinor: 300n, currency: 'EUR' },
    }),
  );
  step(); // A purchase that earns and spends under one transaction id.
  ok(
    await app.purchases.award(app.asPartner('ptr_fuelco'), {
      member: alice,
      transactionId: 'FC-MIX-1',
      currency: 'SKY',
      points: 40n,
    }),
  );
  step();
  ok(
    await app.purchases.payWithPoints(app.asPartner('ptr_fuelco'), {
      member: alice,
      transactionId: 'FC-MIX-1',
      currency: 'SKY',
      points: 1100n,
    }),
  );
}

async function secondPeriodActivity(): Promise<void> {
  app.clock.set(new Date(periods[0]!.endsAt.getTime() - hourMs));
  ok(
    await app.purchases.award(app.asPartner('ptr_fuelco'), {
      member: alice,
      transactionId: 'FC-LATE-1',
      currency: 'SKY',
      points: 33n,
    }),
  ); // stamped in the first period, committed after its close: the second takes it
  app.clock.set(new Date(periods[0]!.endsAt.getTime() + 60_000));
  ok(
    await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
      transactionId: 'FC-POS-1002',
      refundId: 'FC-RF-1002-B',
    }),
  );
  step();
  ok(
    await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
      transactionId: 'FC-MIX-1',
      refundId: 'FC-MIX-1-R',
    }),
  );
}

/** FuelCo sends back its first statement with one amount changed, one line dropped, one added. */
async function reconcileAndAdjust(): Promise<void> {
  const first = periods[0]!;
  const csv = files.get('statement-stream P1 ptr_fuelco') ?? (await streamCsv(first, 'ptr_fuelco'));
  const lines = csv.split('\r\n').filter((line) => line.startsWith('line,'));
  const edited = [
    csv.split('\r\n')[0],
    lines[0]!.replace(/,(-?[0-9.]+)$/, ',9.99'),
    ...lines.slice(2),
    `line,${first.id},ptr_fuelco,,,,,FC-EXTRA,,ptr_skyair,,,,EUR,-2.00`,
    '',
  ].join('\r\n');
  const fuelcoFinance: RequestContext = {
    caller: { kind: 'finance', userId: 'fin_fuelco', partnerId: 'ptr_fuelco' },
    requestId: 'test',
    em: app.orm.em.fork(),
  };
  const reconciliation = ok(
    await app.settlement.submitReconciliation(fuelcoFinance, {
      periodId: first.id,
      partnerId: null,
      records: null,
      csv: edited,
      idempotencyKey: null,
    }),
  );
  const items = ok(
    await app.settlement.reconciliationItems(
      operatorFinance(),
      reconciliation.id,
      null,
      1_000,
      null,
    ),
  ).items;
  files.set(
    'reconciliation',
    items
      .map((item) =>
        [
          item.reference,
          item.status,
          item.settlementCurrency,
          item.ourAmountMinor,
          item.theirAmountMinor,
          item.counterpartyId,
        ].join(','),
      )
      .sort()
      .join('\n'),
  );
  app.clock.set(new Date(periods[1]!.endsAt.getTime() + 60_000));
  for (const item of items.filter((item) => item.status !== 'matched')) {
    step();
    ok(
      await app.settlement.resolveException(operatorFinance(), {
        itemId: item.id,
        amountMinor: null,
        amountCurrency: null,
        counterpartyId: 'ptr_skyair',
        note: `agreed on ${item.reference}`,
      }),
    );
  }
}

async function streamCsv(period: Period, partnerId: string): Promise<string> {
  const chunks = ok(await app.settlement.exportStatement(operatorFinance(), period.id, partnerId));
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

async function pagedCsv(period: Period, partnerId: string): Promise<string> {
  let text = '';
  let after: string | null = null;
  for (;;) {
    const page: CsvPage = ok(
      await app.settlement.statementCsvPage(operatorFinance(), period.id, partnerId, 7, after),
    );
    text += page.text;
    if (!page.hasNextPage) return text;
    after = page.endCursor;
  }
}

async function collectFiles(): Promise<void> {
  const partners = await app.db.query<{ id: string }>('select id from partner order by id');
  for (const [index, period] of periods.entries()) {
    for (const table of ['positions', 'payments', 'gross', 'bilateral'] as const) {
      files.set(
        `${table} P${index + 1}`,
        ok(await app.settlement.settlementCsv(operatorFinance(), period.id, table)),
      );
    }
    for (const { id } of partners.rows) {
      const streamed = await streamCsv(period, id);
      files.set(`statement-stream P${index + 1} ${id}`, streamed);
      expect(await pagedCsv(period, id)).toBe(streamed);
    }
  }
}

/** Replaces ids that differ between runs with their rank; the rest stays byte for byte. */
async function normalised(text: string): Promise<string> {
  const transfers = await app.db.query<{ id: string }>('select id from transfer order by id');
  const rank = new Map(transfers.rows.map((row, index) => [row.id, `T${index + 1}`]));
  const periodRank = new Map(periods.map((period, index) => [period.id, `P${index + 1}`]));
  const quotes = [...new Set(text.match(/qte_[0-9a-z]{26}/g) ?? [])].sort();
  return text
    .replace(/trf_[0-9a-z]{26}/g, (id) => rank.get(id) ?? 'T?')
    .replace(/qte_[0-9a-z]{26}/g, (id) => `Q${quotes.indexOf(id) + 1}`)
    .replace(/per_[0-9a-z]{26}/g, (id) => periodRank.get(id) ?? 'P?');
}

describe('settlement files of a fixed data set', () => {
  it('are byte for byte what they were when pinned', async () => {
    const pinned: Record<string, { sha256: string; lines: string[] }> = {};
    for (const [name, text] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const bytes = await normalised(text);
      pinned[name] = {
        sha256: createHash('sha256').update(bytes).digest('hex'),
        // JSON keeps the CRLFs visible; the hash covers the exact bytes.
        lines: bytes.split('\n').map((line) => JSON.stringify(line)),
      };
    }
    expect(pinned).toMatchSnapshot();
  });

  it('covers every kind of line the close derives', async () => {
    const kinds = new Set<string>();
    for (const [name, text] of files) {
      if (!name.startsWith('statement-stream')) continue;
      for (const line of text.split('\r\n')) {
        if (line.startsWith('line,')) kinds.add(`${line.split(',')[6]}:${line.split(',')[8]}`);
      }
    }
    expect([...kinds].sort()).toEqual([
      'adjust:adjustment',
      'convert:exchange',
      'convert:exchange_fee',
      'convert:transfer_fee',
      'earn:issuance',
      'earn:issuance_fee',
      'earn:transfer_fee',
      'redeem:reimbursement',
      'redeem:reimbursement_fee',
      'redeem:transfer_fee',
      'refund:issuance',
      'refund:issuance_fee',
      'refund:reimbursement',
    ]);
  });
});
