import { createServer } from 'node:http';
import pg from 'pg';
import { runStandaloneServer } from './standalone-server';

/**
 * The floor under `earn_vs_tpcb` (issue 16, part 1): a node:http server doing the least any
 * server recording an earn must do, and nothing more, run beside the gateway on the bench's
 * ledger database as a third side of the figure:
 *
 *   BENCH_BASELINE_GATEWAY=dist/bench/earn-floor-server.js \
 *     node dist/bench/main.js --only earn_vs_tpcb --runs 3
 *
 * `details.baselineOverTpcb` is then what such a server reaches against pgbench. Per request it
 * reads the JSON body (the bench's awardPoints variables) and the partner from the bearer
 * token's payload (not verified: a process remembers the few partners' tokens it verified); the
 * earns queue and leave as the gateway's do (one batch in flight; the next waits up to 2 ms for
 * as many requests as the last one answered, EarnBatcher), each batch in one statement and one
 * commit: the member found by the partner's external id (`member_link`), the earn inserted
 * under its (partner, transaction id), which makes it idempotent, and two running balances
 * updated (the member's and the partner's issuance). Its own two tables (`earn_floor_*`, made
 * at start) carry only their keys: no postings, lots, tiers, rules, outbox, history index or
 * check constraints; nothing a ledger needs beyond the balance is kept. Answers are the success
 * shape the bench counts.
 */
const points = 42n;
const gatherMs = 2;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const partnerOfToken = new Map<string, string>();

const setup = `
create table if not exists earn_floor_transfer (
  partner_id text not null, transaction_id text not null, member_id text not null,
  points bigint not null, created_at timestamptz not null default now(),
  primary key (partner_id, transaction_id));
create table if not exists earn_floor_balance (owner text primary key, points bigint not null);`;

const batchStatement = {
  name: 'earn_floor_batch',
  text: `with input as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
    with ordinality as i(partner_id, transaction_id, external_id, points, n)
), resolved as (
  select i.n, i.partner_id, i.transaction_id, i.points, l.member_id
  from input i join member_link l on l.partner_id = i.partner_id and l.external_id = i.external_id
), written as (
  insert into earn_floor_transfer (partner_id, transaction_id, member_id, points)
  select partner_id, transaction_id, member_id, points from resolved
  on conflict do nothing
  returning partner_id, transaction_id, member_id, points
), credited as (
  insert into earn_floor_balance (owner, points)
  select member_id, sum(points) from written group by member_id
  on conflict (owner) do update set points = earn_floor_balance.points + excluded.points
), debited as (
  insert into earn_floor_balance (owner, points)
  select 'issuance:' || partner_id, -sum(points) from written group by partner_id
  on conflict (owner) do update set points = earn_floor_balance.points + excluded.points
)
select r.n, r.member_id from resolved r`,
};

interface Waiting {
  partnerId: string;
  transactionId: string;
  externalId: string;
  resolve(memberId: string | null): void;
  reject(error: Error): void;
}

const queue: Waiting[] = [];
let inFlight = false;
let gatherTarget = 0;
let gatherTimer: NodeJS.Timeout | undefined;

function pump(): void {
  if (inFlight || queue.length === 0) return;
  if (queue.length < gatherTarget) {
    gatherTimer ??= setTimeout(() => {
      gatherTimer = undefined;
      gatherTarget = 0;
      pump();
    }, gatherMs);
    return;
  }
  clearTimeout(gatherTimer);
  gatherTimer = undefined;
  gatherTarget = 0;
  const batch = queue.splice(0, 256);
  inFlight = true;
  pool
    .query({
      ...batchStatement,
      values: [
        batch.map((each) => each.partnerId),
        batch.map((each) => each.transactionId),
        batch.map((each) => each.externalId),
        batch.map(() => points.toString()),
      ],
    })
    .then(
      (result) => {
        gatherTarget = queue.length + batch.length;
        const members = new Map<number, string>(
          result.rows.map((row: { n: string; member_id: string }) => [
            Number(row.n),
            row.member_id,
          ]),
        );
        for (const [index, each] of batch.entries()) each.resolve(members.get(index + 1) ?? null);
      },
      (error: Error) => {
        for (const each of batch) each.reject(error);
      },
    )
    .finally(() => {
      inFlight = false;
      pump();
    });
}

function partnerOf(authorization: string | undefined): string {
  const token = (authorization ?? '').slice('Bearer '.length);
  let partnerId = partnerOfToken.get(token);
  if (partnerId === undefined) {
    const payload = token.split('.')[1] ?? '';
    partnerId = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string }).sub;
    partnerOfToken.set(token, partnerId);
  }
  return partnerId;
}

interface EarnBody {
  variables: { input: { member: { externalId: string }; transactionId: string } };
}

const server = createServer((request, response) => {
  if (request.url === '/health') {
    response.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const answer = (status: number, body: string) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    };
    let waiting: Promise<string | null>;
    let transactionId: string;
    try {
      const input = (JSON.parse(Buffer.concat(chunks).toString()) as EarnBody).variables.input;
      transactionId = input.transactionId;
      const partnerId = partnerOf(request.headers.authorization);
      waiting = new Promise((resolve, reject) => {
        queue.push({
          partnerId,
          transactionId,
          externalId: input.member.externalId,
          resolve,
          reject,
        });
        pump();
      });
    } catch (error) {
      answer(400, JSON.stringify({ errors: [{ message: (error as Error).message }] }));
      return;
    }
    waiting.then(
      (memberId) =>
        answer(
          200,
          JSON.stringify({
            data: {
              awardPoints: memberId
                ? {
                    __typename: 'AwardPointsSuccess',
                    transactionId,
                    member: { id: memberId },
                    points: points.toString(),
                  }
                : { __typename: 'NotFound' },
            },
          }),
        ),
      (error: Error) => answer(500, JSON.stringify({ errors: [{ message: error.message }] })),
    );
  });
});
runStandaloneServer(server, { ready: pool.query(setup), release: () => pool.end() });
