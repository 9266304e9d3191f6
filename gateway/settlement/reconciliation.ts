import type { Sql } from '../db/sql';
import { InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { reconciliationInsertBatch } from './limits';
import { allPartnerLinesSql, periodWindow } from './line-reader';
import type { Page } from './model';
import type { PartnerRecord } from './reconciliation-records';
import { closedPeriod } from './statements';

/**
 * Reconciliation: a partner's own records of a closed period, matched against its statement by
 * the partner's transaction id (our `reference`) and amount, per settlement currency. Each
 * reference on either side becomes one item: matched, missing on our side, missing on theirs,
 * or amount differs. All but matched are exceptions, which a finance user resolves with an
 * adjustment (adjustments.ts). Matching is one set-based statement in the database.
 */

export type ItemStatus =
  | 'matched'
  | 'missing_on_our_side'
  | 'missing_on_their_side'
  | 'amount_differs';

export interface ReconciliationTotal {
  status: ItemStatus;
  settlementCurrency: string;
  count: bigint;
  /** Sums of the items' amounts on each side (a missing side counts as zero). */
  ourAmountMinor: bigint;
  theirAmountMinor: bigint;
}

export interface Reconciliation {
  id: string;
  periodId: string;
  partnerId: string;
  source: 'api' | 'csv';
  recordCount: number;
  submittedBy: string;
  createdAt: Date;
  totals: ReconciliationTotal[];
}

export interface ReconciliationItem {
  id: bigint;
  reconciliationId: string;
  reference: string;
  settlementCurrency: string;
  status: ItemStatus;
  ourAmountMinor: bigint | null;
  theirAmountMinor: bigint | null;
  ourLineCount: number;
  theirLineCount: number;
  counterpartyId: string | null;
  transferId: string | null;
  /** The adjust transfer that resolved this exception, if one did. */
  adjustmentTransferId: string | null;
}

export interface Submission {
  periodId: string;
  partnerId: string;
  source: 'api' | 'csv';
  submittedBy: string;
  createdAt: Date;
  records: Iterable<PartnerRecord> | AsyncIterable<PartnerRecord>;
  /** Most records accepted; more is InvalidInput. */
  recordsMax: number;
}

/**
 * Stores the records and matches them, in the caller's transaction: all of it or nothing.
 * Errors: NotFound (period), PeriodStateConflict (not closed), InvalidInput (too many records,
 * or a record the stream rejects).
 */
export async function submitReconciliation(
  sql: Sql,
  submission: Submission,
): Promise<Reconciliation> {
  await closedPeriod(sql, submission.periodId);
  const id = newId('rec');
  const recordCount = await insertRecords(sql, id, submission);
  await sql.query(
    `insert into reconciliation (id, period_id, partner_id, source, record_count, submitted_by, created_at)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [
      id,
      submission.periodId,
      submission.partnerId,
      submission.source,
      recordCount,
      submission.submittedBy,
      submission.createdAt,
    ],
  );
  const window = await periodWindow(sql, submission.periodId);
  await sql.query(matchSql, [
    ...window.parameters,
    submission.partnerId,
    window.firstTransferId,
    window.lastTransferId,
    id,
  ]);
  return findReconciliation(sql, id);
}

async function insertRecords(sql: Sql, id: string, submission: Submission): Promise<number> {
  let batch: PartnerRecord[] = [];
  let count = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await sql.query(
      `insert into reconciliation_record (reconciliation_id, line_number, reference,
                                          settlement_currency, amount_minor, counterparty_id)
       select $1, $2::integer + n, r, c, a, p
       from unnest($3::text[], $4::text[], $5::bigint[], $6::text[])
         with ordinality as u(r, c, a, p, n)`,
      [
        id,
        count - batch.length,
        batch.map((record) => record.reference),
        batch.map((record) => record.settlementCurrency),
        batch.map((record) => record.amountMinor),
        batch.map((record) => record.counterpartyId),
      ],
    );
    batch = [];
  };
  for await (const record of submission.records) {
    count += 1;
    if (count > submission.recordsMax) {
      throw new InvalidInput(
        'records',
        `at most ${submission.recordsMax} records per reconciliation`,
      );
    }
    batch.push(record);
    if (batch.length >= reconciliationInsertBatch) await flush();
  }
  await flush();
  return count;
}

/**
 * $1-$5 the period (periodMembersSql), $6 partner, $7-$8 the period's id range, $9
 * reconciliation. Amounts from the partner's side.
 */
const matchSql = `
with ours as (
  select reference, settlement_currency,
         sum(case when creditor_id = $6 then amount_minor else -amount_minor end)::bigint as amount,
         count(*)::integer as lines,
         case when count(distinct case when creditor_id = $6 then debtor_id else creditor_id end) = 1
              then min(case when creditor_id = $6 then debtor_id else creditor_id end) end
           as counterparty_id,
         case when count(distinct transfer_id) = 1 then min(transfer_id) end as transfer_id
  from (${allPartnerLinesSql}) lines
  group by reference, settlement_currency
), theirs as (
  select reference, settlement_currency, sum(amount_minor)::bigint as amount,
         count(*)::integer as lines,
         case when count(distinct counterparty_id) = 1 and count(counterparty_id) = count(*)
              then min(counterparty_id) end as counterparty_id
  from reconciliation_record where reconciliation_id = $9
  group by reference, settlement_currency
)
insert into reconciliation_item (reconciliation_id, reference, settlement_currency, status,
  our_amount_minor, their_amount_minor, our_line_count, their_line_count, counterparty_id,
  transfer_id)
select $9, coalesce(o.reference, t.reference), coalesce(o.settlement_currency, t.settlement_currency),
       case when o.reference is null then 'missing_on_our_side'
            when t.reference is null then 'missing_on_their_side'
            when o.amount = t.amount then 'matched'
            else 'amount_differs' end,
       o.amount, t.amount, coalesce(o.lines, 0), coalesce(t.lines, 0),
       coalesce(o.counterparty_id, t.counterparty_id), o.transfer_id
from ours o
full join theirs t on t.reference = o.reference and t.settlement_currency = o.settlement_currency`;

/** Errors: NotFound. */
export async function findReconciliation(sql: Sql, id: string): Promise<Reconciliation> {
  const rows = await sql.query<{
    id: string;
    period_id: string;
    partner_id: string;
    source: 'api' | 'csv';
    record_count: number;
    submitted_by: string;
    created_at: Date;
  }>(
    `select id, period_id, partner_id, source, record_count, submitted_by, created_at
     from reconciliation where id = $1`,
    [id],
  );
  const row = rows.rows[0];
  if (!row) throw new NotFound('reconciliation', id);
  const totals = await sql.query<{
    status: ItemStatus;
    settlement_currency: string;
    count: bigint;
    ours: bigint;
    theirs: bigint;
  }>(
    `select status, settlement_currency, count(*) as count,
            coalesce(sum(our_amount_minor), 0)::bigint as ours,
            coalesce(sum(their_amount_minor), 0)::bigint as theirs
     from reconciliation_item where reconciliation_id = $1
     group by status, settlement_currency order by settlement_currency, status`,
    [id],
  );
  return {
    id: row.id,
    periodId: row.period_id,
    partnerId: row.partner_id,
    source: row.source,
    recordCount: row.record_count,
    submittedBy: row.submitted_by,
    createdAt: row.created_at,
    totals: totals.rows.map((total) => ({
      status: total.status,
      settlementCurrency: total.settlement_currency,
      count: total.count,
      ourAmountMinor: total.ours,
      theirAmountMinor: total.theirs,
    })),
  };
}

/** Ids of reconciliations, newest first; of one partner and/or period when given. */
export async function listReconciliationIds(
  sql: Sql,
  filter: { partnerId: string | null; periodId: string | null },
  limit: number,
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `select id from reconciliation
     where ($1::text is null or partner_id = $1) and ($2::text is null or period_id = $2)
     order by id desc limit $3`,
    [filter.partnerId, filter.periodId, limit],
  );
  return rows.rows.map((row) => row.id);
}

/** Items of a reconciliation in id order; exceptions only unless a status is asked for. */
export async function reconciliationItems(
  sql: Sql,
  reconciliationId: string,
  status: ItemStatus | null,
  first: number,
  after: bigint | null,
): Promise<Page<ReconciliationItem>> {
  const rows = await sql.query<ItemRow>(
    `${itemSelect}
     where i.reconciliation_id = $1
       and (case when $2::text is null then i.status <> 'matched' else i.status = $2 end)
       and i.id > $3
     order by i.id limit $4`,
    [reconciliationId, status, after ?? 0n, first + 1],
  );
  const items = rows.rows.slice(0, first).map(itemFromRow);
  return {
    items,
    endCursor: items.at(-1)?.id.toString() ?? null,
    hasNextPage: rows.rows.length > first,
  };
}

/** One item, with the partner and period of its reconciliation. Errors: NotFound. */
export async function findItem(
  sql: Sql,
  itemId: bigint,
): Promise<ReconciliationItem & { partnerId: string; periodId: string }> {
  const rows = await sql.query<ItemRow & { partner_id: string; period_id: string }>(
    `${itemSelect.replace('select ', 'select r.partner_id, r.period_id, ')}
     join reconciliation r on r.id = i.reconciliation_id
     where i.id = $1`,
    [itemId],
  );
  const row = rows.rows[0];
  if (!row) throw new NotFound('exception', itemId.toString());
  return { ...itemFromRow(row), partnerId: row.partner_id, periodId: row.period_id };
}

const itemSelect = `select i.id, i.reconciliation_id, i.reference, i.settlement_currency,
       i.status, i.our_amount_minor, i.their_amount_minor, i.our_line_count, i.their_line_count,
       i.counterparty_id, i.transfer_id, a.transfer_id as adjustment_transfer_id
from reconciliation_item i
left join settlement_adjustment a on a.reconciliation_item_id = i.id`;

interface ItemRow {
  id: bigint;
  reconciliation_id: string;
  reference: string;
  settlement_currency: string;
  status: ItemStatus;
  our_amount_minor: bigint | null;
  their_amount_minor: bigint | null;
  our_line_count: number;
  their_line_count: number;
  counterparty_id: string | null;
  transfer_id: string | null;
  adjustment_transfer_id: string | null;
}

function itemFromRow(row: ItemRow): ReconciliationItem {
  return {
    id: row.id,
    reconciliationId: row.reconciliation_id,
    reference: row.reference,
    settlementCurrency: row.settlement_currency,
    status: row.status,
    ourAmountMinor: row.our_amount_minor,
    theirAmountMinor: row.their_amount_minor,
    ourLineCount: row.our_line_count,
    theirLineCount: row.their_line_count,
    counterpartyId: row.counterparty_id,
    transferId: row.transfer_id,
    adjustmentTransferId: row.adjustment_transfer_id,
  };
}
