import { pruneWebhookEvents } from '../../gateway/webhooks/pruning';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * The outbox's retention: what may go (old, received by every live subscription of its
 * partner) and what must stay however old it is (not yet received, wanted by a replay, dead
 * lettered, not yet sequenced). Rows are written directly: the cases are about positions,
 * cursors and ages, not about how the events came to be.
 */
let app: TestApp;
const asOf = new Date('2026-11-26T10:00:00Z');
const daysAgo = (days: number) => new Date(asOf.getTime() - days * 86_400_000);

beforeAll(async () => {
  app = await createTestApp({ demo: true });
});
afterAll(async () => {
  await app?.close();
});

async function event(partnerId: string, position: number | null, occurredAt: Date) {
  await app.db.query(
    `insert into webhook_event (position, type, partner_id, member_id, occurred_at, data)
     values ($1, 'points.spent', $2, 'mbr_alice', $3, '{"case": true}')`,
    [position, partnerId, occurredAt],
  );
}

async function subscription(
  id: string,
  partnerId: string,
  cursor: number,
  options: { status?: string; replayAfter?: number } = {},
) {
  const subscriptionId = `whs_${id.padEnd(26, '0')}`;
  await app.db.query(
    `insert into webhook_subscription (id, partner_id, url, event_types, status, replay_after,
                                       replay_requested_at, created_at, updated_at)
     values ($1, $2, 'http://127.0.0.1:9/hook', '{points.spent}', $3, $4,
             case when $4::bigint is null then null else now() end, now(), now())`,
    [subscriptionId, partnerId, options.status ?? 'active', options.replayAfter ?? null],
  );
  await app.db.query(
    `insert into webhook_delivery (subscription_id, cursor, next_attempt_at) values ($1, $2, now())`,
    [subscriptionId, cursor],
  );
  return subscriptionId;
}

async function positionsLeft(partnerId: string): Promise<(number | null)[]> {
  const rows = await app.db.query<{ position: string | null }>(
    `select position::text as position from webhook_event
     where partner_id = $1 and data ? 'case' order by id`,
    [partnerId],
  );
  return rows.rows.map((row) => (row.position === null ? null : Number(row.position)));
}

it('deletes what every live subscription received past the retention, and keeps the rest', async () => {
  // FuelCo: one subscription at 3, a deleted one far behind, a dead letter at 2.
  const fuel = await subscription('fuel', 'ptr_fuelco', 3);
  await subscription('fueldeleted', 'ptr_fuelco', 0, { status: 'deleted' });
  // TelcoOne: a paused subscription at 11 whose replay from 10 has not started.
  await subscription('telco', 'ptr_telcoone', 11, { status: 'paused', replayAfter: 10 });
  // SkyAir: no subscription at all.
  for (const [position, partner] of [
    [1, 'ptr_fuelco'],
    [2, 'ptr_fuelco'],
    [3, 'ptr_fuelco'],
    [4, 'ptr_fuelco'],
    [5, 'ptr_skyair'],
    [10, 'ptr_telcoone'],
    [11, 'ptr_telcoone'],
  ] as const) {
    await event(partner, position, daysAgo(40));
  }
  await event('ptr_skyair', 12, daysAgo(5));
  await event('ptr_skyair', null, daysAgo(40));
  await app.db.query(
    `insert into webhook_dead_letter (subscription_id, position, attempts, last_error, dead_at)
     values ($1, 2, 8, 'HTTP 500', now())`,
    [fuel],
  );

  expect(await pruneWebhookEvents(app.db, asOf)).toBe(4);
  // 1 and 3 received (2 dead-lettered, 4 not yet received).
  expect(await positionsLeft('ptr_fuelco')).toEqual([2, 4]);
  // Nobody subscribed: old ones go; the recent one and the unsequenced one stay.
  expect(await positionsLeft('ptr_skyair')).toEqual([12, null]);
  // The replay from 10 still wants 11; 10 itself was received.
  expect(await positionsLeft('ptr_telcoone')).toEqual([11]);

  // Idempotent: nothing more is due.
  expect(await pruneWebhookEvents(app.db, asOf)).toBe(0);
  // Once the subscriber catches up, the next run takes the rest of what is old.
  await app.db.query('update webhook_delivery set cursor = 4 where subscription_id = $1', [fuel]);
  expect(await pruneWebhookEvents(app.db, asOf)).toBe(1);
  expect(await positionsLeft('ptr_fuelco')).toEqual([2]);
});
