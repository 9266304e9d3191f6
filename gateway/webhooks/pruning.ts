import type { Sql } from '../db/sql';

/** Delivered events are kept this long for replays (`replayWebhookSubscription`), then deleted. */
export const webhookEventRetentionDays = 30;
/** Positions examined per statement: each statement is short, and progress is reported after it. */
const rangeSize = 10_000;

/**
 * Deletes outbox events that nothing can need any more, in ranges of positions from the oldest:
 * an event older than the retention, sequenced, at or before the cursor of every live
 * subscription of its partner (active or paused, including a replay they asked for and that has
 * not started), and with no dead letter waiting on its position. An event a paused or failing
 * subscriber has not received stays however old it is: delivery is at least once. Replays reach
 * back as far as the events kept. Stops at the first range holding an event newer than the
 * retention (positions follow commit order, so later ranges are newer still; a straggler is
 * pruned by the next run). Idempotent: a second run finds nothing due. Returns the events deleted.
 */
export async function pruneWebhookEvents(
  sql: Sql,
  asOf: Date,
  progress: (done: number) => void = () => undefined,
  retentionDays: number = webhookEventRetentionDays,
): Promise<number> {
  const cutoff = new Date(asOf.getTime() - retentionDays * 86_400_000);
  const first = await sql.query<{ position: string | null }>(
    'select min(position)::text as position from webhook_event where position is not null',
  );
  if (first.rows[0]?.position == null) return 0;
  let from = BigInt(first.rows[0].position);
  let deleted = 0;
  for (;;) {
    const to = from + BigInt(rangeSize);
    const result = await sql.query<{ deleted: string; newer: boolean; next: string | null }>(
      `with gone as (
         delete from webhook_event e
         where e.position >= $1 and e.position < $2 and e.occurred_at < $3
           -- Behind every live subscription of the partner (none: nobody will ask for it).
           and not exists (
             select 1 from webhook_subscription s
             join webhook_delivery d on d.subscription_id = s.id
             where s.partner_id = e.partner_id and s.status <> 'deleted'
               and e.position > least(d.cursor, coalesce(s.replay_after, d.cursor)))
           and not exists (
             select 1 from webhook_dead_letter l
             join webhook_subscription s on s.id = l.subscription_id
             where l.position = e.position and s.partner_id = e.partner_id)
         returning 1
       )
       select (select count(*) from gone)::text as deleted,
              exists (select 1 from webhook_event n
                      where n.position >= $1 and n.position < $2 and n.occurred_at >= $3) as newer,
              (select min(m.position) from webhook_event m where m.position >= $2)::text as next`,
      [from.toString(), to.toString(), cutoff],
    );
    const row = result.rows[0]!;
    deleted += Number(row.deleted);
    progress(deleted);
    if (row.newer || row.next === null) return deleted;
    from = BigInt(row.next);
  }
}
