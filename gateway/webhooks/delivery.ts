import type { Sql, SqlDatabase } from '../db/sql';
import { webhookEventId } from './event-types';
import {
  type WebhookDeliveryPayload,
  type WebhookEventPayload,
  type WebhookSigner,
  webhookIssuer,
} from './signing';

/** How the delivery worker runs (WEBHOOK_* variables; see docs/webhooks.md). */
export interface WebhookDeliverySettings {
  /** How often a process looks for due work when it found none; 0: this process delivers nothing. */
  pollMs: number;
  /** Failed attempts at a batch before its events go to the dead-letter list. */
  attemptsMax: number;
  /** The wait after the first failure; doubled after each further one. */
  backoffMs: number;
  backoffMaxMs: number;
  /** How long one POST may take (well under DB_IDLE_IN_TRANSACTION_TIMEOUT_MS). */
  timeoutMs: number;
  /** Events per POST. */
  batchSizeMax: number;
  /** Subscriptions one process delivers to at once. */
  concurrency: number;
}

export const defaultWebhookDeliverySettings: WebhookDeliverySettings = {
  pollMs: 250,
  attemptsMax: 8,
  backoffMs: 1_000,
  backoffMaxMs: 3_600_000,
  timeoutMs: 10_000,
  batchSizeMax: 100,
  concurrency: 4,
};

/** Events the sequencer numbers per statement. */
const sequenceBatchMax = 10_000;
const errorLengthMax = 500;

interface Claimed {
  subscription_id: string;
  partner_id: string;
  url: string;
  event_types: string[];
  cursor: bigint;
  attempts: number;
  replay_after: bigint | null;
  /** The replay request's time as text (full precision), to clear exactly that request. */
  replay_requested_at: string | null;
  retries_requested: boolean;
  /** Its next attempt is due (not waiting out a backoff). */
  due: boolean;
}

interface EventRow {
  id: bigint;
  position: bigint;
  type: string;
  partner_id: string;
  member_id: string | null;
  occurred_at: Date;
  data: Record<string, unknown>;
}

/**
 * Delivers the outbox to subscriptions (docs/webhooks.md). Every gateway process runs one; the
 * database decides who does what, so the number of processes changes nothing:
 * - the sequencer numbers committed events, one process at a time (an advisory lock);
 * - a delivery locks its subscription's `webhook_delivery` row (FOR UPDATE SKIP LOCKED) for the
 *   whole POST, so one subscription is never delivered by two processes at once, and the
 *   cursor moves in the same transaction, after the subscriber answered 2xx. A process killed
 *   mid-delivery rolls back: the batch is delivered again (at least once, in order).
 */
export class WebhookDelivery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: SqlDatabase,
    private readonly signer: WebhookSigner,
    private readonly settings: WebhookDeliverySettings,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Starts polling (when pollMs > 0). */
  start(): void {
    if (this.settings.pollMs <= 0) return;
    this.schedule(0);
  }

  /** Stops polling and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then((delivered) => this.schedule(delivered > 0 ? 0 : this.settings.pollMs))
        .catch((error: Error) => {
          this.log(`webhooks: ${error.message}`);
          this.schedule(this.settings.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /**
   * One round: number what committed, then deliver to due subscriptions, `concurrency` at a
   * time, until none is due. Returns the events delivered (or dead-lettered).
   */
  async runOnce(): Promise<number> {
    await this.sequence();
    const lanes = Array.from({ length: Math.max(1, this.settings.concurrency) }, async () => {
      let handled = 0;
      for (;;) {
        if (this.stopped) return handled;
        const count = await this.deliverOne();
        // Nothing due, or a claim that found nothing to send (a replay to the end): next round.
        if (count === undefined) return handled;
        handled += count;
        if (count === 0) return handled;
      }
    });
    return (await Promise.all(lanes)).reduce((sum, count) => sum + count, 0);
  }

  /** Numbers every committed event without a position; returns how many. */
  async sequence(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.db.query<{ n: bigint }>('select outbox_sequence($1) as n', [
        sequenceBatchMax,
      ]);
      const numbered = Number(result.rows[0]?.n ?? 0n);
      total += numbered;
      if (numbered < sequenceBatchMax) return total;
    }
  }

  /**
   * Claims one due subscription and delivers one batch to it. Returns the events handled, or
   * undefined when no subscription was due (or all due ones are held by other processes).
   */
  private deliverOne(): Promise<number | undefined> {
    // Its own lane: deliveries hold a connection for a POST, and never more than half the pool.
    return this.db.transaction(
      async (sql) => {
        const claimed = await claim(sql);
        if (!claimed) return undefined;
        // Found due on a stale view (see claim) and nothing to do on the current one.
        if (!claimed.due && !claimed.retries_requested && !claimed.replay_requested_at) return 0;
        const redelivery = claimed.retries_requested;
        const cursor = (redelivery ? null : claimed.replay_after) ?? claimed.cursor;
        const events = redelivery
          ? await deadLettersToRetry(sql, claimed, this.settings.batchSizeMax)
          : await eventsAfter(sql, claimed, cursor, this.settings.batchSizeMax);
        const failure =
          events.length === 0 ? undefined : await this.post(claimed, events, redelivery);
        if (redelivery) await settleRetries(sql, claimed, events, failure);
        else await this.settle(sql, claimed, cursor, events, failure);
        // A replay starts once no dead letters wait for a retry (those go first).
        if (claimed.replay_requested_at && !redelivery) {
          await sql.query(
            `update webhook_subscription set replay_after = null, replay_requested_at = null
           where id = $1 and replay_requested_at::text = $2`,
            [claimed.subscription_id, claimed.replay_requested_at],
          );
        }
        return events.length;
      },
      { lane: 'webhook-delivery' },
    );
  }

  /** POSTs the signed batch; the failure's description, or undefined on a 2xx answer. */
  private async post(
    claimed: Claimed,
    events: readonly EventRow[],
    redelivery: boolean,
  ): Promise<string | undefined> {
    const payload: WebhookDeliveryPayload = {
      iss: webhookIssuer,
      aud: claimed.partner_id,
      iat: Math.floor(Date.now() / 1000),
      subscriptionId: claimed.subscription_id,
      redelivery,
      events: events.map(eventPayload),
    };
    try {
      const response = await fetch(claimed.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/jose',
          'x-coalition-webhook-subscription': claimed.subscription_id,
        },
        body: await this.signer.sign(payload),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return undefined;
      return `HTTP ${response.status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return `${(error as Error).name}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`;
    }
  }

  /**
   * After a batch of new events: the cursor moves past it when it was delivered, or when its
   * attempts ran out (its events then go to the dead-letter list); otherwise the next attempt
   * waits backoffMs x 2^(attempts - 1), at most backoffMaxMs.
   */
  private async settle(
    sql: Sql,
    claimed: Claimed,
    cursor: bigint,
    events: readonly EventRow[],
    failure: string | undefined,
  ): Promise<void> {
    const last = events.at(-1)?.position ?? cursor;
    // A replay starts its batch from attempt 1.
    const attempts = (claimed.replay_after === null ? claimed.attempts : 0) + 1;
    if (failure === undefined || attempts >= this.settings.attemptsMax) {
      if (failure !== undefined) {
        this.log(`webhooks: ${claimed.subscription_id}: ${events.length} events dead-lettered`);
        await sql.query(
          `insert into webhook_dead_letter (subscription_id, position, attempts, last_error, dead_at)
           select $1, unnest($2::bigint[]), $3, $4, now()
           on conflict (subscription_id, position) do update
             set attempts = excluded.attempts, last_error = excluded.last_error,
                 dead_at = excluded.dead_at, retry_requested_at = null`,
          [
            claimed.subscription_id,
            events.map((event) => event.position),
            attempts,
            failure.slice(0, errorLengthMax),
          ],
        );
      }
      // A full batch may have more behind it: due again at once. Otherwise the subscription
      // waits a poll interval, so events gather into batches under load instead of one
      // transaction and one POST per event or two.
      const nextInMs = events.length >= this.settings.batchSizeMax ? 0 : this.settings.pollMs;
      await sql.query(
        `update webhook_delivery
         set cursor = $2, attempts = 0, last_error = $3,
             next_attempt_at = now() + make_interval(secs => $5::double precision / 1000),
             last_delivered_at = case when $3::text is null and $4 then now() else last_delivered_at end
         where subscription_id = $1`,
        [claimed.subscription_id, last, failure ?? null, events.length > 0, nextInMs],
      );
      return;
    }
    const waitMs = Math.min(
      this.settings.backoffMaxMs,
      this.settings.backoffMs * 2 ** Math.min(attempts - 1, 30),
    );
    await sql.query(
      `update webhook_delivery
       set cursor = $2, attempts = $3, last_error = $4,
           next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
       where subscription_id = $1`,
      [claimed.subscription_id, cursor, attempts, failure.slice(0, errorLengthMax), waitMs],
    );
  }
}

/**
 * The due subscription with the oldest next attempt that another process does not hold: active,
 * and with something to do (events after its cursor, a replay, dead letters to retry).
 *
 * Two statements, on purpose. The first finds and locks the delivery row. When it had to wait
 * for another process's delivery to commit, PostgreSQL re-reads the locked row but not the
 * subscription or the dead letters joined to it: those come from the statement's snapshot, from
 * before that commit. A replay the other process had just started and cleared looked still
 * requested, and its first batch went out twice (seen in webhooks.e2e under load). The second
 * statement starts after the lock is held, so it sees every commit before it.
 */
async function claim(sql: Sql): Promise<Claimed | undefined> {
  const locked = await sql.query<{ subscription_id: string }>(
    `select d.subscription_id
     from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id
     where s.status = 'active'
       and (s.replay_requested_at is not null
            or (select l.position from webhook_dead_letter l
                where l.subscription_id = d.subscription_id and l.retry_requested_at is not null
                limit 1) is not null
            or (d.next_attempt_at <= now()
                and (select min(next.position) from unnest(s.event_types) t(type)
                     cross join lateral (
                       select e.position from webhook_event e
                       where e.partner_id = s.partner_id and e.type = t.type
                         and e.position > d.cursor and e.position is not null
                       order by e.position limit 1) next) is not null))
     order by d.next_attempt_at
     limit 1
     for update of d skip locked`,
  );
  const subscriptionId = locked.rows[0]?.subscription_id;
  if (subscriptionId === undefined) return undefined;
  const rows = await sql.query<Claimed>(
    `select d.subscription_id, s.partner_id, s.url, s.event_types, d.cursor, d.attempts,
            s.replay_after, s.replay_requested_at::text as replay_requested_at,
            exists (select from webhook_dead_letter l
                    where l.subscription_id = d.subscription_id
                      and l.retry_requested_at is not null) as retries_requested,
            d.next_attempt_at <= now() as due
     from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id
     where d.subscription_id = $1 and s.status = 'active'`,
    [subscriptionId],
  );
  return rows.rows[0];
}

async function eventsAfter(
  sql: Sql,
  claimed: Claimed,
  cursor: bigint,
  limit: number,
): Promise<EventRow[]> {
  const rows = await sql.query<EventRow>(
    // Per type, its first `limit` after the cursor (one index range each), then merged.
    `select e.id, e.position, e.type, e.partner_id, e.member_id, e.occurred_at, e.data
     from unnest($3::text[]) t(type)
     cross join lateral (
       select id, position, type, partner_id, member_id, occurred_at, data from webhook_event
       where partner_id = $1 and type = t.type and position > $2 and position is not null
       order by position limit $4) e
     order by e.position limit $4`,
    [claimed.partner_id, cursor, claimed.event_types, limit],
  );
  return rows.rows;
}

async function deadLettersToRetry(sql: Sql, claimed: Claimed, limit: number): Promise<EventRow[]> {
  const rows = await sql.query<EventRow>(
    `select e.id, e.position, e.type, e.partner_id, e.member_id, e.occurred_at, e.data
     from webhook_dead_letter l join webhook_event e on e.position = l.position
     where l.subscription_id = $1 and l.retry_requested_at is not null
     order by l.position limit $2`,
    [claimed.subscription_id, limit],
  );
  return rows.rows;
}

/** Dead letters delivered again leave the list; a failed retry leaves them there, not asked for. */
async function settleRetries(
  sql: Sql,
  claimed: Claimed,
  events: readonly EventRow[],
  failure: string | undefined,
): Promise<void> {
  const positions = events.map((event) => event.position);
  if (failure === undefined) {
    await sql.query(
      'delete from webhook_dead_letter where subscription_id = $1 and position = any($2::bigint[])',
      [claimed.subscription_id, positions],
    );
    return;
  }
  await sql.query(
    `update webhook_dead_letter
     set attempts = attempts + 1, last_error = $3, retry_requested_at = null, dead_at = now()
     where subscription_id = $1 and position = any($2::bigint[])`,
    [claimed.subscription_id, positions, failure.slice(0, errorLengthMax)],
  );
}

function eventPayload(row: EventRow): WebhookEventPayload {
  return {
    id: webhookEventId(row.id),
    type: row.type,
    position: row.position.toString(),
    occurredAt: row.occurred_at.toISOString(),
    partnerId: row.partner_id,
    memberId: row.member_id,
    data: row.data,
  };
}
