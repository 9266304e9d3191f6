import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { generateSigningKey } from '../../gateway/auth/keys';
import { NotFound } from '../../gateway/shared/errors';
import { WebhookDelivery, type WebhookDeliverySettings } from '../../gateway/webhooks/delivery';
import { appendExpiryReminders } from '../../gateway/webhooks/expiry-reminders';
import {
  type WebhookDeliveryPayload,
  WebhookSigner,
  webhookJwsType,
} from '../../gateway/webhooks/signing';
import { closeAtEnd, openNextPeriod } from '../helpers/settlement-fixtures';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

/**
 * The outbox (issue 18 item 4) on a real database: each change appends its event in its own
 * transaction, and the delivery worker delivers them signed, in order, with retries, dead
 * letters and replay. Nothing waits on the clock: the worker is run round by round.
 */
let app: TestApp;
let key: JWK;
let subscriber: Subscriber;

interface Subscriber {
  server: Server;
  url: string;
  /** Answer 503 while true. */
  down: boolean;
  received: WebhookDeliveryPayload[];
  posts: number;
}

async function startSubscriber(): Promise<Subscriber> {
  const jwks = createLocalJWKSet({ keys: [publicOf(key)] });
  const state: Subscriber = { server: undefined!, url: '', down: false, received: [], posts: 0 };
  state.server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', async () => {
      state.posts += 1;
      if (state.down) return response.writeHead(503).end();
      const { payload, protectedHeader } = await compactVerify(body, jwks);
      expect(protectedHeader.typ).toBe(webhookJwsType);
      state.received.push(JSON.parse(new TextDecoder().decode(payload)));
      response.writeHead(204).end();
    });
  });
  state.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => state.server.once('listening', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/hook`;
  return state;
}

function publicOf(jwk: JWK): JWK {
  const { d: _private, ...rest } = jwk;
  return rest;
}

const settings: WebhookDeliverySettings = {
  pollMs: 0,
  attemptsMax: 3,
  backoffMs: 1,
  backoffMaxMs: 5,
  timeoutMs: 5_000,
  batchSizeMax: 100,
  concurrency: 2,
};

let delivery: WebhookDelivery;

beforeAll(async () => {
  app = await createTestApp();
  key = await generateSigningKey('test-webhooks');
  subscriber = await startSubscriber();
  delivery = new WebhookDelivery(app.db, new WebhookSigner(key), settings);
});
afterAll(async () => {
  if (subscriber) await new Promise((resolve) => subscriber.server.close(resolve));
  await app?.close();
});

const fuelco = () => app.asPartner('ptr_fuelco');
const eur = (euros: bigint) => ({ amountMinor: euros * 100n, currency: 'EUR' });

async function eventsOf(partnerId: string, afterId = 0n) {
  // biome-ignore lint/suspicious/noExplicitAny: payloads are inspected field by field.
  const rows = await app.db.query<{ id: bigint; type: string; member_id: string; data: any }>(
    'select id, type, member_id, data from webhook_event where partner_id = $1 and id > $2 order by id',
    [partnerId, afterId],
  );
  return rows.rows;
}

async function lastEventId(): Promise<bigint> {
  const rows = await app.db.query<{ id: bigint }>(
    'select coalesce(max(id), 0) as id from webhook_event',
  );
  return rows.rows[0]!.id;
}

/** Rounds of the worker until a round handles nothing (backoff waits of 1-5 ms pass meanwhile). */
async function deliverAll(rounds = 50): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const handled = await delivery.runOnce();
    if (handled === 0 && !(await due())) return;
    await new Promise((resolve) => setTimeout(resolve, 6));
  }
}

async function due(): Promise<boolean> {
  const rows = await app.db.query<{ n: number }>(
    `select count(*)::integer as n from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id
     where s.status = 'active' and d.attempts > 0`,
  );
  return rows.rows[0]!.n > 0;
}

describe('the outbox', () => {
  it('appends each change’s event in its transaction: earn, spend, refund, enrolment', async () => {
    const before = await lastEventId();
    const earned = ok(
      await app.purchases.award(fuelco(), {
        member: { externalId: 'FC-0001' },
        transactionId: 'WH-EARN-1',
        currency: 'SKY',
        purchase: eur(40n),
      }),
    );
    ok(
      await app.purchases.refundPurchase(fuelco(), {
        transactionId: 'WH-EARN-1',
        refundId: 'WH-REFUND-1',
      }),
    );
    const enrolled = ok(
      await app.members.enroll(fuelco(), { externalId: 'WH-NEW-1', displayName: 'New One' }),
    );
    const events = await eventsOf('ptr_fuelco', before);
    expect(events.map((event) => event.type)).toEqual([
      'points.earned',
      'points.refunded',
      'member.enrolled',
    ]);
    expect(events[0]!.data).toMatchObject({
      transferId: earned.transferId,
      externalId: 'WH-EARN-1',
      currency: 'SKY',
      points: Number(earned.points),
    });
    expect(events[1]!.data).toMatchObject({ pointsTakenBack: Number(earned.points) });
    expect(events[2]).toMatchObject({
      member_id: enrolled.member.id,
      data: { externalId: 'WH-NEW-1' },
    });
  });

  it('appends payments, confirmed and voided holds at commit; no earns once switched off', async () => {
    await app.db.query('select outbox_earn_events(false)');
    try {
      const before = await lastEventId();
      ok(
        await app.purchases.award(app.asPartner('ptr_nordic'), {
          member: { externalId: 'NH-5501' },
          transactionId: 'WH-NO-EARN-EVENT',
          currency: 'HTL',
          purchase: eur(10n),
        }),
      );
      const paid = ok(
        await app.purchases.payWithPoints(app.asPartner('ptr_telcoone'), {
          member: { externalId: 'TEL-77' },
          transactionId: 'WH-PAY-1',
          currency: 'SKY',
          points: 20n,
        }),
      );
      const nordic = app.asPartner('ptr_nordic');
      const hold = (transactionId: string, points: bigint) =>
        app.redemptions.placeHold(nordic, {
          member: { externalId: 'NH-5501' },
          transactionId,
          currency: 'HTL',
          points,
          rewardId: 'nh_osl_1n',
        });
      const confirmed = ok(await hold('WH-HOLD-1', 30n));
      ok(await app.redemptions.confirm(nordic, { holdId: confirmed.transferId }));
      const declined = ok(await hold('WH-HOLD-2', 40n));
      ok(await app.redemptions.decline(nordic, { holdId: declined.transferId, reason: 'none' }));
      const telco = await eventsOf('ptr_telcoone', before);
      expect(telco.map((event) => [event.type, event.data.points])).toEqual([['points.spent', 20]]);
      expect(telco[0]!.data.transferId).toBe(paid.transferId);
      const hotel = await eventsOf('ptr_nordic', before);
      expect(hotel.map((event) => [event.type, event.data.points])).toEqual([
        ['points.spent', 30],
        ['hold.voided', 40],
      ]);
      expect(hotel[1]!.data.relatedTransferId).toBe(declined.transferId);
    } finally {
      await app.db.query('select outbox_earn_events(true)');
    }
  });

  it('appends nothing for a change that rolled back', async () => {
    const before = await lastEventId();
    failure(
      await app.purchases.payWithPoints(app.asPartner('ptr_telcoone'), {
        member: { externalId: 'TEL-77' },
        transactionId: 'WH-PAY-TOO-MUCH',
        currency: 'SKY',
        points: 10_000_000n,
      }),
    );
    expect(await eventsOf('ptr_telcoone', before)).toEqual([]);
  });

  it('appends tier changes for the program’s owner, and a closed period’s events', async () => {
    const before = await lastEventId();
    // A tier change as every path records it (the services' own tests cover when they do).
    await app.db.query(
      `insert into tier_event (member_id, currency_code, at, from_rank, to_rank, reason, detail)
       values ('mbr_alice', 'SKY', now(), 0, 2, 'manual', 'goodwill')`,
    );
    const tier = (await eventsOf('ptr_skyair', before)).filter((e) => e.type === 'tier.changed');
    expect(tier.at(-1)).toMatchObject({
      member_id: 'mbr_alice',
      data: { currency: 'SKY', fromRank: 0, toRank: 2, reason: 'manual' },
    });
    const period = await openNextPeriod(app, 1);
    ok(
      await app.purchases.award(fuelco(), {
        member: { externalId: 'FC-0001' },
        transactionId: 'WH-PERIOD-1',
        currency: 'SKY',
        purchase: eur(10n),
      }),
    );
    await closeAtEnd(app, period);
    const closed = await app.db.query<{ type: string; partner_id: string }>(
      `select type, partner_id from webhook_event
       where type in ('period.closed', 'statement.ready') and data ->> 'periodId' = $1`,
      [period.id],
    );
    const partners = await app.db.query<{ n: number }>(
      'select count(*)::integer as n from partner',
    );
    expect(closed.rows.filter((row) => row.type === 'period.closed')).toHaveLength(
      partners.rows[0]!.n,
    );
    const ready = closed.rows.filter((row) => row.type === 'statement.ready');
    expect(ready.map((row) => row.partner_id).sort()).toEqual(
      expect.arrayContaining(['ptr_fuelco', 'ptr_skyair']),
    );
  });

  it('appends many events in one statement for the earn batch, once per dedupe key', async () => {
    const append = () =>
      app.db.query<{ n: bigint }>(
        `select outbox_append_many(array['ptr_fuelco', 'ptr_fuelco'], array['mbr_alice', null],
           array['points.earned', 'points.earned'],
           array['{"transferId": "trf_a"}'::jsonb, '{"transferId": "trf_b"}'::jsonb],
           array[now(), now()], array['batch-a', 'batch-b']) as n`,
      );
    expect((await append()).rows[0]!.n).toBe(2n);
    expect((await append()).rows[0]!.n).toBe(0n);
    await app.db.query(
      `select outbox_append('ptr_fuelco', 'mbr_alice', 'points.earned', '{"transferId": "trf_c"}')`,
    );
    const rows = await app.db.query<{ data: { transferId: string } }>(
      `select data from webhook_event where data ->> 'transferId' in ('trf_a', 'trf_b', 'trf_c') order by id`,
    );
    expect(rows.rows.map((row) => row.data.transferId)).toEqual(['trf_a', 'trf_b', 'trf_c']);
  });

  it('reminds of expiring points once per member, currency and day', async () => {
    const asOf = new Date('2026-11-27T08:00:00Z');
    const first = await appendExpiryReminders(app.db, asOf, 3650);
    expect(first).toBeGreaterThan(0);
    expect(await appendExpiryReminders(app.db, new Date('2026-11-27T20:00:00Z'), 3650)).toBe(0);
    const rows = await app.db.query<{ n: number }>(
      `select count(*)::integer as n from webhook_event where type = 'points.expiring'`,
    );
    expect(rows.rows[0]!.n).toBe(first);
  });
});

describe('delivery', () => {
  let subscriptionId: string;

  it('delivers the partner’s events, signed, in order, from the subscription on', async () => {
    const created = ok(
      await app.webhooks.create(fuelco(), {
        url: subscriber.url,
        eventTypes: ['points.earned', 'points.refunded'],
      }),
    );
    subscriptionId = created.id;
    for (let n = 1; n <= 5; n++) {
      ok(
        await app.purchases.award(fuelco(), {
          member: { externalId: 'FC-0001' },
          transactionId: `WH-ORDER-${n}`,
          currency: 'SKY',
          purchase: eur(BigInt(n)),
        }),
      );
    }
    await deliverAll();
    const events = subscriber.received.flatMap((payload) => payload.events);
    expect(events.map((event) => event.data.externalId)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `WH-ORDER-${n}`),
    );
    const positions = events.map((event) => BigInt(event.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(subscriber.received[0]).toMatchObject({
      aud: 'ptr_fuelco',
      subscriptionId,
      redelivery: false,
    });
  });

  it('retries a subscriber that is down, then dead-letters; a retry delivers them', async () => {
    subscriber.down = true;
    subscriber.received = [];
    const postsBefore = subscriber.posts;
    ok(
      await app.purchases.award(fuelco(), {
        member: { externalId: 'FC-0001' },
        transactionId: 'WH-DOWN-1',
        currency: 'SKY',
        purchase: eur(7n),
      }),
    );
    await deliverAll();
    expect(subscriber.posts - postsBefore).toBe(settings.attemptsMax);
    const page = ok(await app.webhooks.deadLetters(fuelco(), subscriptionId, { first: 10 }));
    expect(page.deadLetters).toHaveLength(1);
    expect(page.deadLetters[0]).toMatchObject({ type: 'points.earned', attempts: 3 });
    expect(page.deadLetters[0]!.lastError).toBe('HTTP 503');
    subscriber.down = false;
    expect(ok(await app.webhooks.retryDeadLetters(fuelco(), subscriptionId, null))).toBe(1);
    await deliverAll();
    expect(subscriber.received).toHaveLength(1);
    expect(subscriber.received[0]).toMatchObject({ redelivery: true });
    expect(subscriber.received[0]!.events[0]!.data.externalId).toBe('WH-DOWN-1');
    const after = ok(await app.webhooks.deadLetters(fuelco(), subscriptionId, { first: 10 }));
    expect(after.deadLetters).toEqual([]);
  });

  it('replays exactly the events after a position', async () => {
    const all = await app.db.query<{ position: bigint }>(
      `select position from webhook_event
       where partner_id = 'ptr_fuelco' and type in ('points.earned', 'points.refunded')
         and data ->> 'externalId' like 'WH-ORDER-%' order by position`,
    );
    const third = all.rows[2]!.position;
    subscriber.received = [];
    ok(await app.webhooks.replay(fuelco(), subscriptionId, third));
    await deliverAll();
    const replayed = subscriber.received.flatMap((payload) => payload.events);
    const expected = await app.db.query<{ position: bigint }>(
      `select position from webhook_event where partner_id = 'ptr_fuelco'
         and type in ('points.earned', 'points.refunded') and position > $1 order by position`,
      [third],
    );
    expect(replayed.map((event) => BigInt(event.position))).toEqual(
      expected.rows.map((row) => row.position),
    );
  });

  it('keeps a partner to its own subscriptions; the operator sees all', async () => {
    const skyair = app.asPartner('ptr_skyair');
    expect(failure(await app.webhooks.replay(skyair, subscriptionId, 0n))).toBeInstanceOf(NotFound);
    expect(failure(await app.webhooks.delete(skyair, subscriptionId))).toBeInstanceOf(NotFound);
    expect(await app.webhooks.list(skyair, {})).toEqual([]);
    const operator = {
      ...app.systemContext(),
      caller: { kind: 'operator' as const, userId: 'ops' },
    };
    expect((await app.webhooks.list(operator, {})).map((found) => found.id)).toContain(
      subscriptionId,
    );
    ok(await app.webhooks.setStatus(fuelco(), subscriptionId, 'paused'));
    const audit = await app.db.query<{ action: string }>(
      `select action from audit_entry where entity_type = 'webhook_subscription' and entity_id = $1 order by id`,
      [subscriptionId],
    );
    expect(audit.rows.map((row) => row.action)).toEqual([
      'create',
      'retry_dead_letters',
      'replay',
      'pause',
    ]);
  });
});
