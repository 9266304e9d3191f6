import { Migration } from '@mikro-orm/migrations';

/**
 * `member_day_distance` (0033) as one expression, so the planner inlines it into the earn
 * batch's step 1d instead of running a SQL function with its own executor per call (a birthday
 * rule is checked on every earn). Same results: the nearest occurrence of the month and day in
 * the year before, of or after the date (a 29 February is the 28th in other years).
 */
export class Migration0037MemberDayDistanceInlined extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function member_day_distance(on_date date, month integer, day integer) returns integer
language sql immutable parallel safe as $$
  select least(
    abs(on_date - make_date(extract(year from on_date)::integer - 1, month,
      case when month = 2 and day = 29 and not ((extract(year from on_date)::integer - 1) % 4 = 0
        and ((extract(year from on_date)::integer - 1) % 100 <> 0 or (extract(year from on_date)::integer - 1) % 400 = 0))
      then 28 else day end)),
    abs(on_date - make_date(extract(year from on_date)::integer, month,
      case when month = 2 and day = 29 and not (extract(year from on_date)::integer % 4 = 0
        and (extract(year from on_date)::integer % 100 <> 0 or extract(year from on_date)::integer % 400 = 0))
      then 28 else day end)),
    abs(on_date - make_date(extract(year from on_date)::integer + 1, month,
      case when month = 2 and day = 29 and not ((extract(year from on_date)::integer + 1) % 4 = 0
        and ((extract(year from on_date)::integer + 1) % 100 <> 0 or (extract(year from on_date)::integer + 1) % 400 = 0))
      then 28 else day end)))
$$;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
