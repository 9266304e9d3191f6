import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import {
  isWebhookEventType,
  type WebhookEventType,
  webhookEventId,
  webhookEventTypeNames,
} from './event-types';

/** Subscriptions one partner may have (active or paused) at once. */
export const subscriptionsPerPartnerMax = 10;
export const webhookUrlLengthMax = 2_000;
export const deadLetterPageSizeMax = 100;
/** Dead letters one retry request may name. */
export const deadLetterRetryMax = 1_000;

export type SubscriptionStatus = 'active' | 'paused';

export interface WebhookSubscription {
  id: string;
  partnerId: string;
  url: string;
  eventTypes: WebhookEventType[];
  status: SubscriptionStatus;
  /** Every event at or before this position was delivered or dead-lettered. */
  cursor: bigint;
  /** A replay asked for and not yet started by the delivery worker. */
  replayAfter: bigint | null;
  /** Failed attempts at the batch after the cursor. */
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lastDeliveredAt: Date | null;
  deadLetterCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeadLetter {
  subscriptionId: string;
  position: bigint;
  eventId: string;
  type: WebhookEventType;
  memberId: string | null;
  occurredAt: Date;
  attempts: number;
  lastError: string;
  deadAt: Date;
  retryRequestedAt: Date | null;
}

export interface DeadLetterPage {
  deadLetters: DeadLetter[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export const createSubscriptionErrors = [InvalidInput] as const;
export const changeSubscriptionErrors = [NotFound] as const;
export const replaySubscriptionErrors = [NotFound, InvalidInput] as const;
export const deadLetterErrors = [NotFound, InvalidInput] as const;

const subscriptionColumns = `s.id, s.partner_id, s.url, s.event_types, s.status, s.replay_after,
  s.created_at, s.updated_at, d.cursor, d.attempts, d.next_attempt_at, d.last_error,
  d.last_delivered_at,
  (select count(*) from webhook_dead_letter l where l.subscription_id = s.id)::integer as dead_letters`;

interface SubscriptionRow {
  id: string;
  partner_id: string;
  url: string;
  event_types: WebhookEventType[];
  status: SubscriptionStatus;
  replay_after: bigint | null;
  created_at: Date;
  updated_at: Date;
  cursor: bigint;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_delivered_at: Date | null;
  dead_letters: number;
}

/**
 * Partners' webhook subscriptions (see docs/webhooks.md). A partner creates, lists, pauses,
 * resumes, deletes and replays its own subscriptions and retries its dead letters; the operator
 * (and the operator's finance users) see every subscription. Each change is in the audit log,
 * written in the change's transaction.
 */
export class WebhookSubscriptions {
  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {}

  /**
   * Subscribes the calling partner to its events of the given types, delivered to `url` from
   * the next event on (replay reaches back). Errors: InvalidInput (url, eventTypes, too many
   * subscriptions), Forbidden.
   */
  create(
    ctx: RequestContext,
    input: { url: string; eventTypes: readonly string[] },
  ): Promise<WebhookSubscription | ErrorOf<typeof createSubscriptionErrors>> {
    return failsWith(createSubscriptionErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const url = validUrl(input.url);
      const eventTypes = validEventTypes(input.eventTypes);
      const id = newId('whs');
      const now = this.clock.now();
      await this.db.transaction(async (sql) => {
        // One partner's creations take turns, so the limit holds under concurrent calls.
        await sql.query('select pg_advisory_xact_lock(hashtext($1))', [`webhooks:${partnerId}`]);
        const count = await sql.query<{ n: number }>(
          `select count(*)::integer as n from webhook_subscription
           where partner_id = $1 and status <> 'deleted'`,
          [partnerId],
        );
        if ((count.rows[0]?.n ?? 0) >= subscriptionsPerPartnerMax) {
          throw new InvalidInput('url', `at most ${subscriptionsPerPartnerMax} subscriptions`);
        }
        await sql.query(
          `insert into webhook_subscription (id, partner_id, url, event_types, status, created_at, updated_at)
           values ($1, $2, $3, $4, 'active', $5, $5)`,
          [id, partnerId, url, eventTypes, now],
        );
        // From the last event committed before it on: every committed event is numbered first
        // (waiting for a sequencer at work), so the cursor starts after all of them.
        await sql.query("select pg_advisory_xact_lock(hashtext('coalition-webhooks: sequencer'))");
        await sql.query('select outbox_sequence($1)', [2_147_483_647]);
        await sql.query(
          `insert into webhook_delivery (subscription_id, cursor, next_attempt_at)
           select $1, coalesce(max(position), 0), now() from webhook_event where position is not null`,
          [id],
        );
        await recordAudit(sql, ctx, {
          entity: 'webhook_subscription',
          entityId: id,
          action: 'create',
          before: null,
          after: auditView({ url, eventTypes, status: 'active' }),
          partnerIds: [partnerId],
          at: now,
        });
      });
      return (await this.find(this.db, ctx, id))!;
    });
  }

  /**
   * The calling partner's subscriptions; the operator's list has everyone's, or one partner's
   * with `partnerId`. Oldest first; deleted ones are left out. Errors: Forbidden (thrown).
   */
  async list(ctx: RequestContext, filter: { partnerId?: string | null }) {
    const caller = requireCaller(ctx, 'partner', 'operator', 'system');
    const partnerId = caller.kind === 'partner' ? caller.partnerId : (filter.partnerId ?? null);
    const rows = await this.db.query<SubscriptionRow>(
      `select ${subscriptionColumns}
       from webhook_subscription s join webhook_delivery d on d.subscription_id = s.id
       where s.status <> 'deleted' and ($1::text is null or s.partner_id = $1)
       order by s.partner_id, s.created_at, s.id
       limit $2`,
      [partnerId, subscriptionsPerPartnerMax * 1_000],
    );
    return rows.rows.map(subscriptionFromRow);
  }

  /** Pauses (`paused`) or resumes (`active`) delivery. Errors: NotFound, Forbidden. */
  setStatus(
    ctx: RequestContext,
    id: string,
    status: SubscriptionStatus,
  ): Promise<WebhookSubscription | ErrorOf<typeof changeSubscriptionErrors>> {
    return failsWith(changeSubscriptionErrors, () =>
      this.change(ctx, id, status === 'active' ? 'resume' : 'pause', async (sql) => {
        await sql.query(
          'update webhook_subscription set status = $2, updated_at = $3 where id = $1',
          [id, status, this.clock.now()],
        );
        // A resumed subscription keeps its next attempt time (a backoff in progress goes on);
        // webhook_delivery is the worker's, locked during deliveries: never written here.
      }),
    );
  }

  /** Deletes a subscription: nothing more is delivered to it. Errors: NotFound, Forbidden. */
  delete(
    ctx: RequestContext,
    id: string,
  ): Promise<WebhookSubscription | ErrorOf<typeof changeSubscriptionErrors>> {
    return failsWith(changeSubscriptionErrors, () =>
      this.change(ctx, id, 'delete', async (sql) => {
        await sql.query(
          `update webhook_subscription set status = 'deleted', updated_at = $2 where id = $1`,
          [id, this.clock.now()],
        );
      }),
    );
  }

  /**
   * Replays from a position: the delivery worker moves the cursor back (or forward) to
   * `afterPosition` before its next delivery, so exactly the subscription's events after it are
   * delivered again, in order. Errors: NotFound, InvalidInput (a position not yet reached),
   * Forbidden.
   */
  replay(
    ctx: RequestContext,
    id: string,
    afterPosition: bigint,
  ): Promise<WebhookSubscription | ErrorOf<typeof replaySubscriptionErrors>> {
    return failsWith(replaySubscriptionErrors, () =>
      this.change(ctx, id, 'replay', async (sql) => {
        const last = await sql.query<{ last: bigint }>(
          'select coalesce(max(position), 0) as last from webhook_event where position is not null',
        );
        if (afterPosition < 0n || afterPosition > (last.rows[0]?.last ?? 0n)) {
          throw new InvalidInput('afterPosition', 'must be from 0 to the last position');
        }
        await sql.query(
          `update webhook_subscription
           set replay_after = $2, replay_requested_at = clock_timestamp(), updated_at = $3
           where id = $1`,
          [id, afterPosition, this.clock.now()],
        );
      }),
    );
  }

  /**
   * A subscription's dead letters, oldest position first, paged by position. Errors: NotFound,
   * InvalidInput (first, after), Forbidden.
   */
  deadLetters(
    ctx: RequestContext,
    subscriptionId: string,
    paging: { first: number; after?: string | null },
  ): Promise<DeadLetterPage | ErrorOf<typeof deadLetterErrors>> {
    return failsWith(deadLetterErrors, async () => {
      await this.visible(this.db, ctx, subscriptionId);
      const { first, after } = paging;
      if (!Number.isInteger(first) || first < 1 || first > deadLetterPageSizeMax) {
        throw new InvalidInput('first', `must be from 1 to ${deadLetterPageSizeMax}`);
      }
      if (after && !/^[0-9]{1,18}$/.test(after)) {
        throw new InvalidInput('after', 'not a cursor returned by this list');
      }
      const rows = await this.db.query<DeadLetterRow>(
        `select l.subscription_id, l.position, e.id as event_row, e.type, e.member_id,
                e.occurred_at, l.attempts, l.last_error, l.dead_at, l.retry_requested_at
         from webhook_dead_letter l join webhook_event e on e.position = l.position
         where l.subscription_id = $1 and l.position > $2
         order by l.position limit $3`,
        [subscriptionId, after ?? '0', first + 1],
      );
      const deadLetters = rows.rows.slice(0, first).map(deadLetterFromRow);
      return {
        deadLetters,
        endCursor: deadLetters.at(-1)?.position.toString() ?? null,
        hasNextPage: rows.rows.length > first,
      };
    });
  }

  /**
   * Asks for dead letters to be delivered again (all of the subscription's, or the positions
   * given); the worker delivers them before new events and removes those delivered. Returns how
   * many were asked for. Errors: NotFound, InvalidInput, Forbidden.
   */
  retryDeadLetters(
    ctx: RequestContext,
    subscriptionId: string,
    positions: readonly bigint[] | null,
  ): Promise<number | ErrorOf<typeof deadLetterErrors>> {
    return failsWith(deadLetterErrors, async () => {
      if (positions && positions.length > deadLetterRetryMax) {
        throw new InvalidInput('positions', `at most ${deadLetterRetryMax}`);
      }
      let requested = 0;
      await this.change(ctx, subscriptionId, 'retry_dead_letters', async (sql) => {
        const updated = await sql.query(
          `update webhook_dead_letter set retry_requested_at = clock_timestamp()
           where subscription_id = $1 and ($2::bigint[] is null or position = any($2::bigint[]))`,
          [subscriptionId, positions],
        );
        requested = updated.rowCount ?? 0;
      });
      return requested;
    });
  }

  /** One change of the caller's own subscription, audited in its transaction. */
  private async change(
    ctx: RequestContext,
    id: string,
    action: string,
    write: (sql: Sql) => Promise<void>,
  ): Promise<WebhookSubscription> {
    await this.db.transaction(async (sql) => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const before = await this.find(sql, ctx, id, true);
      if (!before || before.partnerId !== partnerId) throw new NotFound('webhookSubscription', id);
      await write(sql);
      const after = (await this.find(sql, ctx, id))!;
      await recordAudit(sql, ctx, {
        entity: 'webhook_subscription',
        entityId: id,
        action,
        before: auditView(before),
        after:
          action === 'delete'
            ? null
            : { ...auditView(after), replayAfter: after.replayAfter?.toString() ?? null },
        partnerIds: [partnerId],
        at: this.clock.now(),
      });
    });
    return (await this.find(this.db, ctx, id, false, true))!;
  }

  /** The subscription, when the caller may see it; NotFound otherwise. */
  private async visible(sql: Sql, ctx: RequestContext, id: string): Promise<WebhookSubscription> {
    const caller = requireCaller(ctx, 'partner', 'operator', 'system');
    const found = await this.find(sql, ctx, id);
    if (!found || (caller.kind === 'partner' && found.partnerId !== caller.partnerId)) {
      throw new NotFound('webhookSubscription', id);
    }
    return found;
  }

  private async find(
    sql: Sql,
    _ctx: RequestContext,
    id: string,
    forUpdate = false,
    includeDeleted = false,
  ): Promise<WebhookSubscription | undefined> {
    const rows = await sql.query<SubscriptionRow>(
      `select ${subscriptionColumns}
       from webhook_subscription s join webhook_delivery d on d.subscription_id = s.id
       where s.id = $1 and ($2 or s.status <> 'deleted')
       ${forUpdate ? 'for no key update of s' : ''}`,
      [id, includeDeleted],
    );
    const row = rows.rows[0];
    return row && subscriptionFromRow(row);
  }
}

interface DeadLetterRow {
  subscription_id: string;
  position: bigint;
  event_row: bigint;
  type: WebhookEventType;
  member_id: string | null;
  occurred_at: Date;
  attempts: number;
  last_error: string;
  dead_at: Date;
  retry_requested_at: Date | null;
}

function deadLetterFromRow(row: DeadLetterRow): DeadLetter {
  return {
    subscriptionId: row.subscription_id,
    position: row.position,
    eventId: webhookEventId(row.event_row),
    type: row.type,
    memberId: row.member_id,
    occurredAt: row.occurred_at,
    attempts: row.attempts,
    lastError: row.last_error,
    deadAt: row.dead_at,
    retryRequestedAt: row.retry_requested_at,
  };
}

function subscriptionFromRow(row: SubscriptionRow): WebhookSubscription {
  return {
    id: row.id,
    partnerId: row.partner_id,
    url: row.url,
    eventTypes: row.event_types,
    status: row.status,
    cursor: row.cursor,
    replayAfter: row.replay_after,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    lastDeliveredAt: row.last_delivered_at,
    deadLetterCount: row.dead_letters,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What the audit log keeps: the URL without its query (it may carry a secret). */
function auditView(subscription: {
  url: string;
  eventTypes: readonly string[];
  status: string;
}): Record<string, unknown> {
  const url = new URL(subscription.url);
  return {
    url: `${url.origin}${url.pathname}`,
    eventTypes: subscription.eventTypes,
    status: subscription.status,
  };
}

function validUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInput('url', 'not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidInput('url', 'must be http or https');
  }
  if (url.username || url.password) throw new InvalidInput('url', 'must not carry credentials');
  if (value.length > webhookUrlLengthMax || /\s/.test(value)) {
    throw new InvalidInput('url', `at most ${webhookUrlLengthMax} characters, no spaces`);
  }
  return value;
}

function validEventTypes(values: readonly string[]): WebhookEventType[] {
  const unique = [...new Set(values)];
  if (unique.length === 0) throw new InvalidInput('eventTypes', 'name at least one event type');
  for (const value of unique) {
    if (!isWebhookEventType(value)) {
      throw new InvalidInput(
        'eventTypes',
        `"${value}" is not one of ${webhookEventTypeNames.join(', ')}`,
      );
    }
  }
  return unique as WebhookEventType[];
}
