import { Migration } from '@mikro-orm/migrations';

/**
 * The demo seed's progress (issue 11.3). The seed runs through the services, many transactions,
 * so a start killed half-way left a few partners and no members, and the next start, seeing
 * partners, skipped the seed for good. Now the seed records that it started before its first
 * write and that it completed after its last; a start that finds it started and not completed
 * resets the demo database and seeds it again.
 *
 * A database that already has partners was seeded (or filled) before this migration: it counts
 * as complete, so nothing about it changes.
 */
export class Migration0016DemoSeedProgress extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table demo_seed (
  only_row boolean primary key default true constraint demo_seed_single_row check (only_row),
  started_at timestamptz not null,
  completed_at timestamptz
);
insert into demo_seed (started_at, completed_at)
select now(), now() where exists (select 1 from partner);
`);
  }
}
