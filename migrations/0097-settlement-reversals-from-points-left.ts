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
 * 'added_before_0097' for every period closed now (the column's first default fills them without
 * an UPDATE, which the closed-period trigger refuses), and 'points_left' written by every close
 * from now on. A closed period must name its rule and an open one names none (a check), so a
 * gateway still running the old code during a rolling deploy, whose close does not name it,
 * cannot close a period by the old rule: its close fails and changes nothing, and a retry on the
 * new code closes it. A later reversal of an origin reversed in an old period counts the points
 * that reversal took, by the new rule.
 */
export class Migration0097SettlementReversalsFromPointsLeft extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table settlement_period add column reversal_rounding text default 'added_before_0097'
  constraint reversal_rounding_known check (reversal_rounding in ('points_left', 'added_before_0097'));
alter table settlement_period alter column reversal_rounding drop default;
update settlement_period set reversal_rounding = null where status <> 'closed';
alter table settlement_period add constraint closed_period_names_its_rounding
  check ((status = 'closed') = (reversal_rounding is not null));
create or replace view settlement_obligation as
select ${lineColumns} from (${linesSql(closedPeriodsMembersSql, conversionSources)}) lines;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
