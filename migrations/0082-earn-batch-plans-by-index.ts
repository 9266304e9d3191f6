import { Migration } from '@mikro-orm/migrations';

/**
 * `ledger_earn_batch` plans its statements by index, whatever the statistics say
 * (`enable_seqscan = off` beside `plan_cache_mode = force_generic_plan` and `jit = off`).
 *
 * The batch runs generic plans, made once per connection from the tables' statistics, so a
 * probe's plan cannot see which member it looks for: `transfer.member_id = $1` is estimated at
 * rows / n_distinct. When ANALYZE underestimates n_distinct (it does on skewed data, and a table
 * analyzed while one member's transfers dominate it reads 1), a probe with a limit (a member's
 * first earn in the coalition, the N-th at a partner) looks cheaper as a sequential scan that
 * stops at the first match, and every earn with such a rule then reads the whole transfer
 * table. Measured with bench/rules-database-cpu.ts on statistics taken right after the bench's
 * seed (one member's transfers): the database's CPU per earn with the bench's 20 rules grew
 * with the table, 0.54 -> 0.72 -> 0.89 -> 1.07 ms over four rounds of 2,000 earns (PostgreSQL 15
 * counted 6,018 sequential scans of transfer reading 29.7 million rows); with this setting it
 * stayed at 0.32-0.34 ms. On fresh statistics it changes nothing (0.300 against 0.303 ms).
 *
 * Every statement of the batch touches a few rows by key, so a sequential scan is never the
 * plan it wants (docs/earn-path.md, rule 6); a table without a usable index (one-row settings)
 * is still scanned. A restatement of the function (`create function`) must carry the setting.
 */
export class Migration0082EarnBatchPlansByIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter function ledger_earn_batch(text[], text[], text[], text[], text[], bigint[], text[], bigint[], text[],
  timestamptz[], timestamptz[], timestamptz[], text[], text[], text[], text[], text[], jsonb[], boolean,
  bigint[], jsonb, jsonb[])
  set enable_seqscan = off;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
