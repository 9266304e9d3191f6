import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '../db/sql';
import type { Caller, RequestContext } from '../shared/context';
import { requireCaller } from '../shared/context';
import { catchDomainError, type DomainError, InvalidInput } from '../shared/errors';
import { invariant } from '../shared/invariant';
import { toJson } from '../shared/json';

/**
 * The audit log: who changed which configuration, when, and what it was before and after.
 *
 * ## Recording a change: `recordAudit(target, ctx, change)`
 *
 * Call it once per configuration change, INSIDE the transaction that makes the change, after
 * the change is written, so the entry commits with it or not at all (a change that fails with a
 * typed error rolls back and leaves no entry):
 *
 * ```ts
 * // plain SQL (SqlDatabase.transaction):
 * await db.transaction(async (sql) => {
 *   const after = await writeTier(sql, input);
 *   await recordAudit(sql, ctx, { entity: 'tier', entityId: after.id, action: 'create',
 *                                 before: null, after, partnerIds: [after.partnerId] });
 * });
 * // MikroORM: inside em.transactional, after em.flush():
 * await ctx.em.transactional(async (em) => { ...; await em.flush();
 *   await recordAudit(em, ctx, { entity: 'partner', entityId: id, action: 'create', before: null, after }); });
 * ```
 *
 * - `target`: the transaction's `Sql` client, or the EntityManager of an `em.transactional`.
 * - `ctx`: the request context; its caller is the actor (kind and id; a finance user's partner
 *   too) and its requestId is stored with the entry. System jobs are recorded as `system`.
 * - `entity`: the kind of configuration, snake_case (`exchange_rate`, `settlement_agreement`,
 *   `partner_service`, `partner`, `currency`, `partner_currency`, `tier`, `rule`...);
 *   `entityId`: its id (a composite key joined with `:`, e.g. `SKY:HTL`).
 * - `action`: what happened, snake_case (`create`, `update`, `replace`, `erase`...).
 * - `before` / `after`: the configuration as plain data (null when there was none, or none is
 *   left); bigints and dates are stored as strings. Never put secrets or personal data here:
 *   the log is append-only and nothing in it can be erased.
 * - `partnerIds`: the partners whose configuration this is; each of them (its partner token and
 *   its finance users) can read the entry. Defaults to none (operator-only).
 * - `at`: when; defaults to the transaction's start (pass the service's clock in tests).
 *
 * ## Reading it: `AuditLog.entries(ctx, filter)`
 *
 * Newest first, paged by an opaque cursor, filtered by entity type and id, actor id and a time
 * range. The operator and the operator's finance users see every entry; a partner and its
 * finance users see only entries naming that partner; members see nothing.
 *
 * The table is append-only: a trigger refuses UPDATE and DELETE (migration 0020).
 */

export interface AuditChange {
  entity: string;
  entityId: string;
  action: string;
  before: unknown;
  after: unknown;
  partnerIds?: readonly string[];
  at?: Date;
}

export interface AuditActor {
  kind: Exclude<Caller['kind'], 'anonymous'>;
  id: string;
  /** The partner a finance user works for; null otherwise. */
  partnerId: string | null;
}

export interface AuditEntry {
  /** The entry's position in the log: larger is later. */
  id: bigint;
  occurredAt: Date;
  actor: AuditActor;
  entity: string;
  entityId: string;
  action: string;
  partnerIds: string[];
  before: unknown;
  after: unknown;
  requestId: string | null;
}

const namePattern = /^[a-z][a-z_]{0,59}$/;

/** Records one configuration change in the caller's transaction (see the module comment). */
export async function recordAudit(
  target: Sql | EntityManager,
  ctx: Pick<RequestContext, 'caller' | 'requestId'>,
  change: AuditChange,
): Promise<void> {
  invariant(namePattern.test(change.entity), `audit entity "${change.entity}" is not snake_case`);
  invariant(namePattern.test(change.action), `audit action "${change.action}" is not snake_case`);
  const actor = actorOf(ctx.caller);
  // The partner ids travel as JSON text: knex would expand a JavaScript array into a list.
  const values = [
    change.at ?? null,
    actor.kind,
    actor.id,
    actor.partnerId,
    change.entity,
    change.entityId,
    change.action,
    JSON.stringify(change.partnerIds ?? []),
    jsonText(change.before),
    jsonText(change.after),
    ctx.requestId || null,
  ];
  const usesPg = 'query' in target;
  const [at, ...rest] = values.map((_, index) => (usesPg ? `$${index + 1}` : '?'));
  const text = `insert into audit_entry (occurred_at, actor_kind, actor_id, actor_partner_id,
      entity_type, entity_id, action, partner_ids, before, after, request_id)
    values (coalesce(${at}::timestamptz, now()), ${rest[0]}, ${rest[1]}, ${rest[2]}, ${rest[3]},
      ${rest[4]}, ${rest[5]}, array(select jsonb_array_elements_text(${rest[6]}::jsonb)),
      ${rest[7]}::jsonb, ${rest[8]}::jsonb, ${rest[9]})`;
  if (usesPg) await target.query(text, values);
  else await target.execute(text, values, 'run');
}

/** Who a caller is, as the log records it. Anonymous callers change nothing. */
export function actorOf(caller: Caller): AuditActor {
  switch (caller.kind) {
    case 'partner':
      return { kind: 'partner', id: caller.partnerId, partnerId: null };
    case 'member':
      return { kind: 'member', id: caller.memberId, partnerId: null };
    case 'finance':
      return { kind: 'finance', id: caller.userId, partnerId: caller.partnerId ?? null };
    case 'operator':
      return { kind: 'operator', id: caller.userId, partnerId: null };
    case 'system':
      return { kind: 'system', id: 'system', partnerId: null };
    case 'anonymous':
      throw new Error('Invariant violated: an anonymous caller cannot change configuration');
  }
}

function jsonText(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(toJson(value));
}

export interface AuditFilter {
  entity?: string | null;
  entityId?: string | null;
  actorId?: string | null;
  /** Entries at or after this time. */
  from?: Date | null;
  /** Entries before this time. */
  to?: Date | null;
  first: number;
  /** The endCursor of the previous page. */
  after?: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export const auditPageSizeMax = 100;
export const auditPageSizeDefault = 20;

interface EntryRow {
  id: bigint;
  occurred_at: Date;
  actor_kind: AuditActor['kind'];
  actor_id: string;
  actor_partner_id: string | null;
  entity_type: string;
  entity_id: string;
  action: string;
  partner_ids: string[];
  before: unknown;
  after: unknown;
  request_id: string | null;
}

/** The audit log's reader (see the module comment for who sees what). */
export class AuditLog {
  constructor(private readonly sql: Sql) {}

  /** A page of entries, newest first. Errors: InvalidInput (first, after, range), Forbidden. */
  entries(ctx: RequestContext, filter: AuditFilter): Promise<AuditPage | DomainError> {
    return catchDomainError(async () => {
      const partnerId = visiblePartner(ctx);
      const { first, after } = validPaging(filter);
      const rows = await this.sql.query<EntryRow>(
        `select id, occurred_at, actor_kind, actor_id, actor_partner_id, entity_type, entity_id,
                action, partner_ids, before, after, request_id
         from audit_entry
         where ($1::text is null or partner_ids @> array[$1::text])
           and ($2::text is null or entity_type = $2)
           and ($3::text is null or entity_id = $3)
           and ($4::text is null or actor_id = $4)
           and ($5::timestamptz is null or occurred_at >= $5)
           and ($6::timestamptz is null or occurred_at < $6)
           and ($7::bigint is null or id < $7)
         order by id desc
         limit $8`,
        [
          partnerId,
          filter.entity ?? null,
          filter.entityId ?? null,
          filter.actorId ?? null,
          filter.from ?? null,
          filter.to ?? null,
          after,
          first + 1,
        ],
      );
      const entries = rows.rows.slice(0, first).map(entryFromRow);
      return {
        entries,
        endCursor: entries.at(-1)?.id.toString() ?? null,
        hasNextPage: rows.rows.length > first,
      };
    });
  }
}

/** The partner whose entries the caller may see; null for all. Members see nothing. */
function visiblePartner(ctx: RequestContext): string | null {
  const caller = requireCaller(ctx, 'operator', 'finance', 'partner', 'system');
  if (caller.kind === 'partner') return caller.partnerId;
  if (caller.kind === 'finance') return caller.partnerId ?? null;
  return null;
}

function validPaging(filter: AuditFilter): { first: number; after: bigint | null } {
  if (!Number.isInteger(filter.first) || filter.first < 1 || filter.first > auditPageSizeMax) {
    throw new InvalidInput('first', `must be from 1 to ${auditPageSizeMax}`);
  }
  const after = filter.after ?? null;
  if (after !== null && !/^[1-9][0-9]{0,17}$/.test(after)) {
    throw new InvalidInput('after', 'not a cursor returned by this list');
  }
  if (filter.from && filter.to && filter.from >= filter.to) {
    throw new InvalidInput('to', 'must be after `from`');
  }
  return { first: filter.first, after: after === null ? null : BigInt(after) };
}

function entryFromRow(row: EntryRow): AuditEntry {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    actor: { kind: row.actor_kind, id: row.actor_id, partnerId: row.actor_partner_id },
    entity: row.entity_type,
    entityId: row.entity_id,
    action: row.action,
    partnerIds: row.partner_ids,
    before: row.before,
    after: row.after,
    requestId: row.request_id,
  };
}
