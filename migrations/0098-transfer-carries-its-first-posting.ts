import { Migration } from '@mikro-orm/migrations';
import { earnBatchFunction0096 } from './0096-earn-rules-as-arrays';

/**
 * A transfer carries its first posting's currency, points and kind (issue 16, part 2:
 * `settle_vs_scan`). What a close prices of an earn, a redemption or a hold's post is that
 * posting (line-sql.ts, movedTransfersSql); reading it meant joining every posting of the period
 * to its transfer, a parallel hash of a million transfers that was half the direct obligations'
 * time (docs/settlement.md). With the three columns the close scans transfers alone; only a
 * conversion still reads its second posting.
 *
 * The invariant: `first_currency_code`, `first_amount_points` and `first_posting_kind` equal
 * the transfer's posting of index 0, or are all null when it has none (a refund too small to
 * move a whole point, a member event that gives only a voucher). Both writers set them in the
 * statement that writes the transfer, from the postings they write with it (ledger/transfers.ts,
 * and `ledger_earn_batch`, restated from 0096 with only its transfer insert changed). The
 * database enforces it: the three are set together (a check), and a statement that writes
 * postings fails if a first posting differs from what its transfer carries (a trigger once per
 * statement, not per row: an earn batch of ten pays one join of ten rows). So a process of the
 * previous version, which writes transfers without the columns, cannot write points the close
 * would miss during a rolling upgrade: its writes fail, change nothing, and succeed when
 * retried on the new version (README "Upgrading"). What the trigger cannot see is a transfer
 * that names a first posting and is never given one; both writers write the two together.
 * ledgerViolations (test/helpers/ledger-invariants.ts) checks the whole table in the tests.
 *
 * Existing transfers are filled from their postings. Transfers are immutable (a trigger refuses
 * any UPDATE), so the trigger is disabled for that one statement, inside this migration's
 * transaction: nothing else can write in between.
 */
export class Migration0098TransferCarriesItsFirstPosting extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table transfer add column first_currency_code text, add column first_amount_points bigint,
  add column first_posting_kind text;
alter table transfer disable trigger transfer_is_immutable;
update transfer t
set first_currency_code = p.currency_code, first_amount_points = p.amount_points,
    first_posting_kind = p.kind
from posting p
where p.transfer_id = t.id and p.index = 0;
alter table transfer enable trigger transfer_is_immutable;
alter table transfer add constraint transfer_first_posting_whole
  check ((first_currency_code is null) = (first_amount_points is null)
         and (first_currency_code is null) = (first_posting_kind is null));

create function posting_matches_its_transfer() returns trigger language plpgsql as $$
begin
  if exists (
    select 1 from written p join transfer t on t.id = p.transfer_id
    where p.index = 0
      and (t.first_currency_code, t.first_amount_points, t.first_posting_kind)
          is distinct from (p.currency_code, p.amount_points, p.kind)) then
    raise exception 'transfer_first_posting_mismatch: a transfer must carry its first posting (migration 0098)'
      using errcode = 'check_violation';
  end if;
  return null;
end
$$;
create trigger posting_matches_its_transfer after insert on posting
  referencing new table as written for each statement
  execute function posting_matches_its_transfer();

${earnBatchFunction0098}
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}

/** 0096's function, its transfer insert naming the posting the batch writes with it. */
function restate(fn: string): string {
  const edits: [string, string][] = [
    ['create function ledger_earn_batch(', 'create or replace function ledger_earn_batch('],
    [
      'request_hash, receipt_lines, matures_at, lot_expires_at)',
      'request_hash, receipt_lines, matures_at, lot_expires_at,\n' +
        '                          first_currency_code, first_amount_points, first_posting_kind)',
    ],
    [
      'case when earn_lines[i] is not null then lot_expires_ats[i] end\n',
      'case when earn_lines[i] is not null then lot_expires_ats[i] end,\n' +
        '           -- The posting of index 0 that "postings" below writes for an entry with points.\n' +
        '           case when points[i] > 0 then currencies[i] end,\n' +
        '           case when points[i] > 0 then points[i] end,\n' +
        '           case when points[i] > 0 then\n' +
        "             case when matures_ats[i] is null then 'posted' else 'pending' end end\n",
    ],
  ];
  return edits.reduce((text, [from, to]) => {
    const at = text.indexOf(from);
    if (at < 0 || text.indexOf(from, at + 1) >= 0) {
      throw new Error(`0098: expected exactly one "${from}" in ledger_earn_batch`);
    }
    return text.replace(from, to);
  }, fn);
}

export const earnBatchFunction0098 = restate(earnBatchFunction0096);
