import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import { walletFirstPageStatement } from '../gateway/ledger/wallet-read';
import { runStandaloneServer } from './standalone-server';

/**
 * The floor under `read_uncached_vs_bare_http` (issue 16, part 3): a node:http server doing only
 * what any server answering an uncached member's wallet cannot skip, nothing else (no GraphQL,
 * no admission, no log line, no metrics). Run beside the gateway and the bare server as the
 * figure's third side:
 *
 *   BENCH_BASELINE_GATEWAY=dist/bench/read-floor-server.js READ_FLOOR=verify,wallet \
 *     node dist/bench/main.js --only read_uncached_vs_bare_http --runs 3
 *
 * `details.baselineOverBare` is then what such a server reaches against the bare one. READ_FLOOR
 * lists the steps, each request doing them in this order:
 * - `verify`: the member's ES256 token signature checked with node's `crypto.verify` (what the
 *   gateway's fast path does, es256-fast-path.ts, without its header and claim checks);
 * - `wallet`: the gateway's own wallet statement (wallet-read.ts, named, so parsed once per
 *   connection), answered as the rows' JSON;
 * - `pk`: instead of the wallet, one primary-key lookup of the member row, the least a read
 *   kept ready by the writes (a per-member wallet document) would cost.
 * The answer is padded with spaces to READ_FLOOR_BYTES (the gateway's answer's size, 7,723
 * bytes by default), so the same bytes cross the socket. Without `verify` the member is read
 * from the token's payload unverified.
 */
const steps = new Set((process.env.READ_FLOOR ?? 'verify,wallet').split(','));
const answerBytes = Number(process.env.READ_FLOOR_BYTES ?? 7723);
const keys = new Map<string, KeyObject>(
  (JSON.parse(process.env.JWT_PUBLIC_JWKS ?? '{"keys":[]}') as { keys: JsonWebKey[] }).keys.map(
    (jwk) => [String(jwk.kid), createPublicKey({ key: jwk, format: 'jwk' })],
  ),
);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const memberRow = { name: 'read_floor_member', text: 'select * from member where id = $1' };

function memberOf(token: string): string {
  const [header, payload, signature] = token.split('.');
  if (steps.has('verify')) {
    const { kid } = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid: string };
    const ok = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: keys.get(kid)!, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature!, 'base64url'),
    );
    if (!ok) throw new Error('bad signature');
  }
  return (JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { sub: string }).sub;
}

async function answer(memberId: string): Promise<Buffer> {
  const result = steps.has('pk')
    ? await pool.query({ ...memberRow, values: [memberId] })
    : await pool.query({
        ...walletFirstPageStatement,
        values: [memberId, new Date(Date.now() + 30 * 86_400_000), 21],
      });
  const json = JSON.stringify({ data: result.rows });
  return Buffer.from(
    json.length < answerBytes ? json + ' '.repeat(answerBytes - json.length) : json,
  );
}

const server = createServer((request, response) => {
  if (request.url === '/health') {
    response.end('ok');
    return;
  }
  request.on('data', () => undefined);
  request.on('end', () => {
    const token = (request.headers.authorization ?? '').slice('Bearer '.length);
    Promise.resolve()
      .then(() => answer(memberOf(token)))
      .then(
        (body) => {
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-length': body.length,
          });
          response.end(body);
        },
        (error: Error) => {
          response.writeHead(500);
          response.end(error.message);
        },
      );
  });
});
runStandaloneServer(server, { release: () => pool.end() });
