import { Migration } from '@mikro-orm/migrations';

/**
 * The reversals' parts, stored (issue 16, part 2: `settle_vs_scan`). A settlement close prices
 * each refund and cancel per kind of obligation it reverses (close-sql.ts): the view
 * settlement_reversal_parts (migration 0040) derives those parts from the reversal's postings
 * and their accounts' kinds. For a million transfers the close found its 50,000 reversals
 * through the transfers' related_id index and joined their postings and both accounts: random
 * reads of pages no other part of the close touches, the larger half of the reversals' time.
 * Each earlier reversal of the same origin was then looked up through the same view, by a SQL
 * function call per reversal (about 30 microseconds each, though most origins are reversed once).
 *
 * `settlement_reversal_part` holds exactly the view's rows (one per reversal, currency and
 * kind, `points` negative as in the view), written by the database itself: a constraint trigger
 * deferred to commit adds a refund's or cancel's rows from its postings, so no writer can
 * forget them and a writer of the previous version (during a rolling upgrade) gets them too.
 * Earns pay only the trigger's WHEN test. The rows never change (the ledger's immutability
 * trigger), as the transfers and postings they derive from never do. ledgerViolations
 * (test/helpers/ledger-invariants.ts) checks the table against the view in the tests.
 *
 * settlement_reversed_before reads the table, and answers at once (no earlier reversal) when
 * the origin has no other reversal; the statements (line-sql.ts) still derive from the view.
 *
 * Existing reversals are copied from the view after the trigger exists: creating it waits for
 * every transaction writing transfers and holds new ones until this migration commits, so each
 * reversal is either in the copy or added by the trigger, never both.
 */
export class Migration0099SettlementReversalPartsStored extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table settlement_reversal_part (
  transfer_id text not null references transfer (id),
  related_id text,
  created_at timestamptz not null,
  writer_xid xid8,
  currency_code text not null,
  kind text not null constraint reversal_part_kind_known check (kind in ('issuance', 'reimbursement')),
  points bigint not null constraint reversal_part_points_negative check (points < 0),
  primary key (transfer_id, currency_code, kind)
);
-- A close takes its period's reversals by creation time.
create index settlement_reversal_part_created on settlement_reversal_part (created_at);
-- settlement_reversed_before finds an origin's other reversals without reading the heap.
create index settlement_reversal_part_related on settlement_reversal_part (related_id)
  include (transfer_id, currency_code, kind, points, created_at, writer_xid);
create trigger settlement_reversal_part_is_immutable before update or delete
  on settlement_reversal_part for each row execute function ledger_history_is_immutable();

create function settlement_reversal_part_adds() returns trigger language plpgsql as $$
begin
  insert into settlement_reversal_part (transfer_id, related_id, created_at, writer_xid,
                                        currency_code, kind, points)
  select x.transfer_id, x.related_id, x.created_at, x.writer_xid, x.currency_code, x.kind,
         x.points
  from settlement_reversal_parts x where x.transfer_id = new.id;
  return null;
end
$$;
-- At commit, when the reversal's postings are written (they follow its transfer row).
create constraint trigger settlement_reversal_part_adds after insert on transfer
  deferrable initially deferred for each row when (new.code in ('refund', 'cancel'))
  execute function settlement_reversal_part_adds();

insert into settlement_reversal_part (transfer_id, related_id, created_at, writer_xid,
                                      currency_code, kind, points)
select transfer_id, related_id, created_at, writer_xid, currency_code, kind, points
from settlement_reversal_parts;
analyze settlement_reversal_part;

-- As 0086's, from the table, and without a query of the parts when there is no other reversal
-- of the origin (the common case: PL/pgSQL, so the test runs before the sum is planned).
create or replace function settlement_reversed_before(
  related_id text, transfer_id text, kind text, currency_code text,
  period_starts_at timestamptz, created_at timestamptz)
returns numeric language plpgsql stable parallel safe as $$
#variable_conflict use_column
begin
  if not exists (select from settlement_reversal_part x
                 where x.related_id = $1 and x.transfer_id <> $2) then
    return null;
  end if;
  return (select sum(-x.points)
          from settlement_reversal_part x
          where x.related_id = $1 and x.transfer_id <> $2 and x.kind = $3
            and x.currency_code = $4
            and settlement_reversal_precedes(x.transfer_id, x.created_at, x.writer_xid, $5, $6, $2));
end
$$;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
