import { Migration } from '@mikro-orm/migrations';
import {
  closedPeriodsMembersSql,
  conversionSources,
  lineColumns,
  linesSql,
} from '../gateway/settlement/line-sql';

/**
 * A reversal's points before it are its origin's points LESS what earlier reversals of the same
 * origin took back (the cumulative rounding rule of line-sql.ts). Until now the derivation added
 * them: an origin's first reversal was right, but a second one was priced from more points than
 * were left, so a purchase refunded in parts did not always reverse what it was billed (6 points
 * at 0.0025 EUR billed 0.02; two refunds of 3 reversed 0.01 and 0.00). Linear prices hid it; the
 * settlement tests' figures happened to round alike both ways.
 *
 * Closed periods are immutable: their gross matrix is stored and their statements were sent, so
 * their lines keep the rule they were billed by. `settlement_period.reversal_rounding` says which:
 * 'added_before_0097' for every period that exists now (the column's first default fills them
 * without an UPDATE, which the closed-period trigger refuses), 'points_left' for open periods and
 * every period created from now on. An open period is never on the old rule (a check), so a close
 * (of an open period) always derives the new one. A later reversal of an origin reversed in an
 * old period counts the points that reversal took, by the new rule.
 */
export class Migration0097SettlementReversalsFromPointsLeft extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table settlement_period add column reversal_rounding text not null default 'added_before_0097'
  constraint reversal_rounding_known check (reversal_rounding in ('points_left', 'added_before_0097'));
alter table settlement_period alter column reversal_rounding set default 'points_left';
update settlement_period set reversal_rounding = 'points_left' where status <> 'closed';
alter table settlement_period add constraint open_period_rounds_from_points_left
  check (status = 'closed' or reversal_rounding = 'points_left');
create or replace view settlement_obligation as
select ${lineColumns} from (${linesSql(closedPeriodsMembersSql, conversionSources)}) lines;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
