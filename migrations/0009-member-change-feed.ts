import { Migration } from '@mikro-orm/migrations';

/**
 * A change feed of members whose points moved: every statement that inserts transfers notifies
 * the channel `member_changed` with the distinct member ids, delivered to listeners when (and
 * only when) the transaction commits. Every change to a member's balances, lots or history is a
 * transfer, so this is complete; gateways use it to drop cached wallet responses, whichever
 * process (another gateway, a sweep, a tool) made the change.
 *
 * One notification per statement, not per row: a batch of earns costs one. Payloads stay under
 * PostgreSQL's 8,000-byte limit by splitting the id list.
 */
export class Migration0009MemberChangeFeed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create function notify_member_changed() returns trigger language plpgsql as $$
declare
  chunk text;
begin
  for chunk in
    select string_agg(member_id, ',')
    from (select distinct member_id, (dense_rank() over (order by member_id)) / 100 as part
          from inserted where member_id is not null) members
    group by part
  loop
    perform pg_notify('member_changed', chunk);
  end loop;
  return null;
end
$$;
create trigger transfer_notifies_member_changed after insert on transfer
  referencing new table as inserted
  for each statement execute function notify_member_changed();
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
