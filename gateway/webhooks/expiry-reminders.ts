import type { Sql } from '../db/sql';

/** How far ahead the reminder looks by default (WEBHOOK_EXPIRY_NOTICE_DAYS). */
export const expiryNoticeDaysDefault = 30;
export const expiryNoticeDaysMax = 365;

/**
 * Appends one `points.expiring` event per member and program currency whose lots (available
 * points) expire within `noticeDays` of `asOf`, for the program's partner: the points and the
 * earliest expiry. Idempotent per UTC day: the event's dedupe key is member, currency and the
 * day, so any number of runs on one day append each reminder once. Returns the events appended.
 */
export async function appendExpiryReminders(
  sql: Sql,
  asOf: Date,
  noticeDays: number = expiryNoticeDaysDefault,
): Promise<number> {
  const day = asOf.toISOString().slice(0, 10);
  const appended = await sql.query(
    `insert into webhook_event (type, partner_id, member_id, occurred_at, data, dedupe_key)
     select 'points.expiring', c.owner_partner_id, a.member_id, $1,
            jsonb_build_object('currency', a.currency_code, 'points', sum(l.remaining_points)::text,
                               'earliestExpiresAt', min(l.expires_at), 'lots', count(*),
                               'noticeDays', $2::integer, 'day', $3::text),
            a.member_id || ':' || a.currency_code || ':' || $3
     from lot l
     join account a on a.id = l.account_id and a.kind = 'member'
     join currency c on c.code = a.currency_code
     where l.remaining_points > 0 and l.expires_at is not null
       and l.expires_at > $1 and l.expires_at <= $1 + make_interval(days => $2)
     group by a.member_id, a.currency_code, c.owner_partner_id
     order by a.member_id, a.currency_code
     on conflict (partner_id, type, dedupe_key) where dedupe_key is not null do nothing`,
    [asOf, noticeDays, day],
  );
  return appended.rowCount ?? 0;
}
