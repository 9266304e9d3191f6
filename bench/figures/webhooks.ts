import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { BenchContext, MeasuredLoad } from '../context';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { earnLoad, partnerTokens } from '../requests';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';
import { latencyPercentile } from '../webhook-lag';

/**
 * earn_with_outbox_vs_plain and webhook_lag_p99 (issue 18 item 4). Earn events are appended by
 * the earn batch in its own statement (migrations/0072; on by default, switched by
 * `outbox_earn_events(enabled)`). One
 * gateway and database, side by side in each run: the earn_vs_tpcb load (spread over 20
 * partners) and the hot_partner load (one partner), each with earn events on and every
 * partner subscribed to points.earned (a local subscriber on 127.0.0.1 receiving them), and
 * with them off (no events, nothing to deliver). The lag of each event is its
 * receipt at the subscriber minus its `occurredAt` (the earn's time in the gateway, before
 * its batch commits), over every event of the enabled windows.
 */
export const webhooks: Experiment = {
  figures: ['earn_with_outbox_vs_plain', 'webhook_lag_p99'],
  async run(context) {
    const url = await context.seededDatabase('webhooks');
    const subscriber = await startSubscriber();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await subscribeEveryPartner(client, subscriber.url);
      return await measure(context, url, client, subscriber);
    } finally {
      await client.end();
      await new Promise((resolve) => subscriber.server.close(resolve));
    }
  },
};

async function measure(
  context: BenchContext,
  url: string,
  client: pg.Client,
  subscriber: Subscriber,
) {
  const options = context.options;
  const gateway = await context.startGateway(url, 'webhooks');
  const tokens = await partnerTokens(context.keys);
  const load = (partners: 'hot' | 'spread') =>
    earnLoad({ tokens, members: options.members, partners });
  const loads = { spread: load('spread'), hot: load('hot') };
  // Earn events: on by default (migrations/0072), switched off for the plain side.
  const trigger = (on: boolean) => client.query('select outbox_earn_events($1)', [on]);
  context.log(`warming up (${options.warmupSeconds} s of earns)`);
  await context.warmUp(gateway, loads.spread);
  // The ratio's sides run with every subscription paused: the outbox's own cost (the events the
  // earn's statement inserts, the sequencer numbering them) against none. The delivering side
  // (subscriptions active, the subscriber receiving) gives the lag, and its rate for reference.
  const sides = ['outbox', 'none', 'outboxHot', 'noneHot', 'delivering'] as const;
  const results = await sideBySide(context, sides, async (side) => {
    const on = side !== 'none' && side !== 'noneHot';
    await trigger(on);
    if (side === 'delivering') await startDelivering(client, subscriber);
    const result: MeasuredLoad = await context.load(
      gateway,
      side.endsWith('Hot') ? loads.hot : loads.spread,
    );
    if (side === 'delivering') {
      // The window's events arrive (their lag counted) before the next window starts.
      await caughtUp(client);
      subscriber.endWindow();
      await client.query(`update webhook_subscription set status = 'paused'`);
    }
    return result;
  });
  await trigger(false);
  const details = {
    outboxEarnPerSecond: spreadOver(results.outbox, (run) => run.ratePerSecond),
    noneEarnPerSecond: spreadOver(results.none, (run) => run.ratePerSecond),
    outboxHotEarnPerSecond: spreadOver(results.outboxHot, (run) => run.ratePerSecond),
    noneHotEarnPerSecond: spreadOver(results.noneHot, (run) => run.ratePerSecond),
    deliveringEarnPerSecond: spreadOver(results.delivering, (run) => run.ratePerSecond),
    deliveringRatio: spreadOver(
      perRunRatios(results.delivering, results.none, (run) => run.ratePerSecond),
      (ratio) => ratio,
    ),
    hotRatio: spreadOver(
      perRunRatios(results.outboxHot, results.noneHot, (run) => run.ratePerSecond),
      (ratio) => ratio,
    ),
    outboxP50Ms: spreadOver(results.outbox, (run) => run.p50Ms),
    noneP50Ms: spreadOver(results.none, (run) => run.p50Ms),
    eventsReceived: subscriber.lagsMs.length,
    lagP50Ms: Math.round(latencyPercentile(subscriber.lagsMs, 0.5)),
    lagMaxMs: Math.round(latencyPercentile(subscriber.lagsMs, 1)),
  };
  if (anyEmptyWindow(results)) {
    return [
      failed('earn_with_outbox_vs_plain', 'a window completed no earn', details),
      failed('webhook_lag_p99', 'a window completed no earn', details),
    ];
  }
  return [
    measured(
      'earn_with_outbox_vs_plain',
      perRunRatios(results.outbox, results.none, (run) => run.ratePerSecond),
      details,
      [],
      `with earn events ${details.outboxEarnPerSecond.median} earns/s vs without ${details.noneEarnPerSecond.median}/s; one partner: ${details.outboxHotEarnPerSecond.median} vs ${details.noneHotEarnPerSecond.median}/s; delivering to 20 subscriptions: ${details.deliveringEarnPerSecond.median}/s`,
    ),
    measured(
      'webhook_lag_p99',
      subscriber.windowP99s,
      details,
      [],
      `${details.eventsReceived} events received; lag p50 ${details.lagP50Ms} ms, max ${details.lagMaxMs} ms`,
    ),
  ];
}

interface Subscriber {
  server: Server;
  url: string;
  recording: boolean;
  lagsMs: number[];
  /** The p99 of each recorded window's lags. */
  windowP99s: number[];
  /** Ends a recorded window: its p99 joins windowP99s. */
  endWindow: () => void;
}

/** The partners' server: takes each delivery's events from its JWS payload and times them. */
async function startSubscriber(): Promise<Subscriber> {
  const state: Subscriber = {
    server: undefined!,
    url: '',
    recording: false,
    lagsMs: [],
    windowP99s: [],
    endWindow: () => undefined,
  };
  let window: number[] = [];
  state.server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const receivedAtMs = Date.now();
      response.writeHead(204).end();
      if (!state.recording) return;
      const payload = Buffer.concat(chunks).toString().split('.')[1] ?? '';
      const delivery = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
        events: { occurredAt: string }[];
      };
      for (const event of delivery.events) {
        const lag = receivedAtMs - Date.parse(event.occurredAt);
        state.lagsMs.push(lag);
        window.push(lag);
      }
    });
  });
  state.endWindow = () => {
    if (state.recording && window.length > 0)
      state.windowP99s.push(latencyPercentile(window, 0.99));
    window = [];
    state.recording = false;
  };
  state.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => state.server.once('listening', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/events`;
  return state;
}

/** Each bench partner subscribes to its points.earned events, from now on. */
async function subscribeEveryPartner(client: pg.Client, url: string): Promise<void> {
  await client.query(
    `insert into webhook_subscription (id, partner_id, url, event_types, status, created_at, updated_at)
     select 'whs_bench' || lpad(row_number() over (order by id)::text, 21, '0'), id, $1,
            array['points.earned'], 'paused', now(), now()
     from partner`,
    [url],
  );
  await client.query(
    `insert into webhook_delivery (subscription_id, cursor, next_attempt_at)
     select id, (select coalesce(max(position), 0) from webhook_event where position is not null), now()
     from webhook_subscription where id like 'whs_bench%'`,
  );
}

/**
 * Before a delivering window: every event so far numbered, every cursor moved to the end (the
 * paused windows' events are not delivered), the subscriptions active and the lags recorded.
 */
async function startDelivering(client: pg.Client, subscriber: Subscriber): Promise<void> {
  for (let polls = 0; polls < 600; polls++) {
    const waiting = await client.query<{ n: number }>(
      'select count(*)::integer as n from webhook_event where position is null',
    );
    if (waiting.rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await client.query(
    `update webhook_delivery set cursor = (select coalesce(max(position), 0) from webhook_event
                                           where position is not null), next_attempt_at = now()`,
  );
  await client.query(`update webhook_subscription set status = 'active'`);
  subscriber.recording = true;
}

/** Waits until every earn event is numbered and every subscription's cursor is past it. */
async function caughtUp(client: pg.Client): Promise<void> {
  for (let polls = 0; polls < 600; polls++) {
    const behind = await client.query<{ behind: boolean }>(
      `select exists (select 1 from webhook_event where position is null)
           or exists (select 1 from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id
                      where d.cursor < (select coalesce(max(e.position), 0) from webhook_event e
                                        where e.partner_id = s.partner_id and e.position is not null)) as behind`,
    );
    if (!behind.rows[0]?.behind) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('webhook deliveries did not catch up within a minute');
}
