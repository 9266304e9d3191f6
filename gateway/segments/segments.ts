import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { invariant } from '../shared/invariant';
import {
  builtInSegmentId,
  builtInSegmentKinds,
  builtInSegmentNames,
  conditionsJson,
  conditionsOf,
  type SegmentCondition,
  type SegmentKind,
  validSegment,
} from './segment-definition';
import { builtInRefresh, customRefresh } from './segment-sql';

/** A segment as its owner (a partner, or the operator for the coalition's) sees it. */
export interface SegmentView {
  id: string;
  /** Null: coalition-wide (the operator's). */
  partnerId: string | null;
  kind: SegmentKind;
  name: string;
  /** A custom segment's conditions (all hold); empty for a built-in one. */
  conditions: SegmentCondition[];
  /** Its members as the last refresh computed them. */
  memberCount: bigint;
  /** The business time the last refresh computed membership as of; null: never refreshed. */
  asOf: Date | null;
  refreshedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A member of a segment: the coalition id, and the partner's own id for a partner's segment. */
export interface SegmentMemberView {
  memberId: string;
  externalId: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const defineSegmentErrors = [InvalidInput, NotFound] as const;
export const segmentReadErrors = [NotFound] as const;

export const segmentPageSizeMax = 100;

/**
 * Segments (issue 18, item 1): each partner's over its own members, and the coalition's (the
 * operator's) over every member. Built-in ones (new, active, high value, lapsed, at risk) and
 * custom ones from conditions. Membership is stored (`segment_member`) and recomputed,
 * set-based from the transfers, by the refresh: the scheduled `segments` job for every scope,
 * or a caller's refresh of its own; a custom segment is also computed when it is defined. The
 * earn path never computes anything for segments: a rule's segment condition probes the stored
 * membership (migrations/0071).
 */
export class Segments {
  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {}

  /**
   * Segments the caller owns, by id: a partner's own; the operator's the coalition's, or one
   * partner's (`partnerId`). Built-in segments of a partner that has none yet are created first.
   */
  async segments(
    ctx: RequestContext,
    filter: { partnerId?: string | null; first?: number; after?: string | null },
  ): Promise<Page<SegmentView>> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const partnerId = caller.kind === 'partner' ? caller.partnerId : (filter.partnerId ?? null);
    if (partnerId !== null) await ensureBuiltIns(this.db, partnerId, this.clock.now());
    const first = Math.min(Math.max(filter.first ?? 50, 1), segmentPageSizeMax);
    const rows = await this.db.query<SegmentRow>(
      `select * from segment
       where partner_id is not distinct from $1 and ($2::text is null or id > $2)
       order by id limit $3`,
      [partnerId, filter.after ?? null, first + 1],
    );
    const items = rows.rows.slice(0, first).map(segmentOf);
    return { items, nextCursor: rows.rows.length > first ? items[items.length - 1]!.id : null };
  }

  /** One segment the caller owns; null when it is not visible (another partner's too). */
  async segment(ctx: RequestContext, segmentId: string): Promise<SegmentView | null> {
    const row = await visibleSegment(this.db, ctx, segmentId);
    return row && segmentOf(row);
  }

  /**
   * A segment's members as its last refresh computed them, by member id. Errors
   * (`segmentReadErrors`): NotFound (not the caller's segment), Forbidden.
   */
  members(
    ctx: RequestContext,
    segmentId: string,
    page: { first?: number; after?: string | null },
  ): Promise<Page<SegmentMemberView> | ErrorOf<typeof segmentReadErrors>> {
    return failsWith(segmentReadErrors, async () => {
      const segment = await visibleSegment(this.db, ctx, segmentId);
      if (!segment) throw new NotFound('segment', segmentId);
      const first = Math.min(Math.max(page.first ?? 50, 1), segmentPageSizeMax);
      const rows = await this.db.query<{ member_id: string; external_id: string | null }>(
        `select sm.member_id,
                (select l.external_id from member_link l
                 where l.partner_id = $2 and l.member_id = sm.member_id) as external_id
         from segment_member sm
         where sm.segment_id = $1 and ($3::text is null or sm.member_id > $3)
         order by sm.member_id limit $4`,
        [segmentId, segment.partner_id, page.after ?? null, first + 1],
      );
      const items = rows.rows.slice(0, first).map((row) => ({
        memberId: row.member_id,
        externalId: row.external_id,
      }));
      return {
        items,
        nextCursor: rows.rows.length > first ? items[items.length - 1]!.memberId : null,
      };
    });
  }

  /**
   * Defines a custom segment: a partner's over its own members, the operator's coalition-wide.
   * Its membership is computed as of now in the same transaction. Errors
   * (`defineSegmentErrors`): InvalidInput, NotFound (a program; for a partner, one it neither
   * awards nor accepts), Forbidden.
   */
  create(
    ctx: RequestContext,
    input: { name: string; conditions: SegmentCondition[] },
  ): Promise<SegmentView | ErrorOf<typeof defineSegmentErrors>> {
    return failsWith(defineSegmentErrors, async () => {
      const caller = requireCaller(ctx, 'partner', 'operator');
      const partnerId = caller.kind === 'partner' ? caller.partnerId : null;
      const segment = validSegment(input);
      const now = this.clock.now();
      const id = newId('seg');
      return this.db.transaction(async (sql) => {
        await requirePrograms(sql, partnerId, segment.conditions);
        await sql.query(
          `insert into segment (id, partner_id, kind, name, conditions, created_at, updated_at)
           values ($1, $2, 'custom', $3, $4, $5, $5)`,
          [id, partnerId, segment.name, conditionsJson(segment.conditions), now],
        );
        await refreshCustom(sql, id, partnerId, segment.conditions, now, now);
        const created = segmentOf(await segmentRow(sql, id));
        await recordAudit(sql, ctx, {
          entity: 'segment',
          entityId: id,
          action: 'create',
          before: null,
          after: created,
          partnerIds: partnerId ? [partnerId] : [],
          at: now,
        });
        return created;
      });
    });
  }

  /**
   * Replaces a custom segment's name and conditions and recomputes it as of now. Errors
   * (`defineSegmentErrors`): InvalidInput (a built-in segment too), NotFound, Forbidden.
   */
  update(
    ctx: RequestContext,
    segmentId: string,
    input: { name: string; conditions: SegmentCondition[] },
  ): Promise<SegmentView | ErrorOf<typeof defineSegmentErrors>> {
    return failsWith(defineSegmentErrors, async () => {
      requireCaller(ctx, 'partner', 'operator');
      const segment = validSegment(input);
      const now = this.clock.now();
      return this.db.transaction(async (sql) => {
        const row = await visibleSegment(sql, ctx, segmentId, { lock: true });
        if (!row) throw new NotFound('segment', segmentId);
        if (row.kind !== 'custom') {
          throw new InvalidInput('segmentId', 'a built-in segment’s definition is fixed');
        }
        await requirePrograms(sql, row.partner_id, segment.conditions);
        const before = segmentOf(row);
        await sql.query(
          'update segment set name = $2, conditions = $3, updated_at = $4 where id = $1',
          [segmentId, segment.name, conditionsJson(segment.conditions), now],
        );
        await refreshCustom(sql, segmentId, row.partner_id, segment.conditions, now, now);
        const after = segmentOf(await segmentRow(sql, segmentId));
        await recordAudit(sql, ctx, {
          entity: 'segment',
          entityId: segmentId,
          action: 'update',
          before,
          after,
          partnerIds: row.partner_id ? [row.partner_id] : [],
          at: now,
        });
        return after;
      });
    });
  }

  /**
   * Recomputes the caller's segments as of now: a partner's own; the operator's, every scope
   * (the coalition's and every partner's). Returns the caller's segments as refreshed.
   */
  async refresh(ctx: RequestContext): Promise<SegmentView[]> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const now = this.clock.now();
    if (caller.kind === 'partner') {
      await this.refreshScope(caller.partnerId, now);
    } else {
      await this.refreshAll(now);
    }
    const page = await this.segments(ctx, { first: segmentPageSizeMax });
    return page.items;
  }

  /**
   * The scheduled refresh: every scope's segments as of `asOf` (the job's business time, which
   * tests move). Idempotent: a second run as of the same time writes nothing new. Returns the
   * number of segments refreshed.
   */
  async refreshAll(asOf: Date): Promise<number> {
    const partners = await this.db.query<{ id: string }>('select id from partner order by id');
    let refreshed = await this.refreshScope(null, asOf);
    for (const partner of partners.rows) refreshed += await this.refreshScope(partner.id, asOf);
    return refreshed;
  }

  /**
   * One scope's segments (a partner's, or the coalition's: null) as of `asOf`, in one
   * transaction, one refresh of a scope at a time (an advisory lock on the scope).
   */
  async refreshScope(partnerId: string | null, asOf: Date): Promise<number> {
    const now = this.clock.now();
    await ensureBuiltIns(this.db, partnerId, now);
    return this.db.transaction(async (sql) => {
      await sql.query("select pg_advisory_xact_lock(hashtext('segments:' || coalesce($1, '')))", [
        partnerId,
      ]);
      const builtIn = builtInRefresh(partnerId, asOf, now);
      const refreshed = await sql.query(builtIn.text, builtIn.values);
      const custom = await sql.query<SegmentRow>(
        "select * from segment where partner_id is not distinct from $1 and kind = 'custom' order by id",
        [partnerId],
      );
      for (const row of custom.rows) {
        await refreshCustom(sql, row.id, partnerId, conditionsOf(row.conditions), asOf, now);
      }
      return refreshed.rowCount! + custom.rows.length;
    });
  }
}

async function refreshCustom(
  sql: Sql,
  segmentId: string,
  partnerId: string | null,
  conditions: readonly SegmentCondition[],
  asOf: Date,
  now: Date,
): Promise<void> {
  const statement = customRefresh(segmentId, partnerId, conditions, asOf, now);
  await sql.query(statement.text, statement.values);
}

/**
 * A scope's built-in segments (a partner's, or the coalition's: null), created the first time
 * they are needed (a partner added after migration 0070, or a database emptied since).
 */
async function ensureBuiltIns(sql: Sql, partnerId: string | null, now: Date): Promise<void> {
  await sql.query(
    `insert into segment (id, partner_id, kind, name, created_at, updated_at)
     select x.id, $1, x.kind, x.name, $2, $2
     from unnest($3::text[], $4::text[], $5::text[]) x(id, kind, name)
     where $1::text is null or exists (select 1 from partner p where p.id = $1)
     on conflict do nothing`,
    [
      partnerId,
      now,
      builtInSegmentKinds.map((kind) => builtInSegmentId(kind, partnerId)),
      builtInSegmentKinds,
      builtInSegmentKinds.map((kind) => builtInSegmentNames[kind]),
    ],
  );
}

/**
 * The programs a custom segment's conditions name exist, and a partner's are programs it awards
 * or accepts: a partner learns nothing of its members' standing in programs it has no part in.
 */
async function requirePrograms(
  sql: Sql,
  partnerId: string | null,
  conditions: readonly SegmentCondition[],
): Promise<void> {
  for (const condition of conditions) {
    if (condition.kind !== 'tier' && condition.kind !== 'program') continue;
    const rows = await sql.query(
      `select 1 from currency c where c.code = $1 and ($2::text is null or exists (
         select 1 from partner_currency pc where pc.partner_id = $2 and pc.currency_code = c.code))`,
      [condition.currency, partnerId],
    );
    if (rows.rowCount === 0) throw new NotFound('currency', condition.currency);
  }
}

/** A segment the caller owns: a partner's own; any for the operator (and the system). */
async function visibleSegment(
  sql: Sql,
  ctx: RequestContext,
  segmentId: string,
  options: { lock?: boolean } = {},
): Promise<SegmentRow | null> {
  const caller = requireCaller(ctx, 'partner', 'operator');
  const rows = await sql.query<SegmentRow>(
    `select * from segment where id = $1 and ($2::text is null or partner_id = $2)
     ${options.lock ? 'for update' : ''}`,
    [segmentId, caller.kind === 'partner' ? caller.partnerId : null],
  );
  return rows.rows[0] ?? null;
}

async function segmentRow(sql: Sql, segmentId: string): Promise<SegmentRow> {
  const rows = await sql.query<SegmentRow>('select * from segment where id = $1', [segmentId]);
  const row = rows.rows[0];
  invariant(row, `segment ${segmentId} exists inside the transaction that wrote it`);
  return row;
}

interface SegmentRow {
  id: string;
  partner_id: string | null;
  kind: SegmentKind;
  name: string;
  conditions: unknown;
  member_count: bigint;
  as_of: Date | null;
  refreshed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function segmentOf(row: SegmentRow): SegmentView {
  return {
    id: row.id,
    partnerId: row.partner_id,
    kind: row.kind,
    name: row.name,
    conditions: conditionsOf(row.conditions),
    memberCount: row.member_count,
    asOf: row.as_of,
    refreshedAt: row.refreshed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
