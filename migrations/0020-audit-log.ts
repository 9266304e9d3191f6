import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log (issue 17.7): one row per configuration change (rates, agreements, partner
 * services and their keys, partners, currencies, terms, and later tiers and rules), written in
 * the same transaction as the change, by `recordAudit` (gateway/audit/audit-log.ts).
 *
 * Append-only, enforced here: a trigger refuses UPDATE and DELETE, whoever asks. (TRUNCATE is
 * left to the table's owner, as for transfers: the demo seed's repair empties a database that
 * never finished being created.) `partner_ids` names the partners whose configuration the change
 * concerns, so a partner can be shown its own entries and no one else's.
 */
export class Migration0020AuditLog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table audit_entry (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null,
  actor_kind text not null constraint audit_actor_kind_known check (actor_kind in ('partner', 'member', 'finance', 'operator', 'system')),
  actor_id text not null constraint audit_actor_id_length check (length(actor_id) between 1 and 200),
  -- The partner a finance user works for (null for the operator's finance users and others).
  actor_partner_id text,
  entity_type text not null constraint audit_entity_type_format check (entity_type ~ '^[a-z][a-z_]{0,59}$'),
  entity_id text not null constraint audit_entity_id_length check (length(entity_id) between 1 and 300),
  action text not null constraint audit_action_format check (action ~ '^[a-z][a-z_]{0,59}$'),
  partner_ids text[] not null default '{}',
  before jsonb,
  after jsonb,
  request_id text constraint audit_request_id_length check (length(request_id) <= 200)
);
create index audit_entry_entity on audit_entry (entity_type, entity_id, id desc);
create index audit_entry_actor on audit_entry (actor_id, id desc);
create index audit_entry_time on audit_entry (occurred_at desc);
create index audit_entry_partners on audit_entry using gin (partner_ids);

create function audit_entry_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the audit log is append-only: % on audit_entry is not allowed', tg_op
    using errcode = 'restrict_violation';
end
$$;
create trigger audit_entry_no_update_or_delete before update or delete on audit_entry
  for each row execute function audit_entry_is_append_only();
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
