// Issue 17 item 9: the Apollo gateway (ELv2) against Hive Gateway's runtime (MIT), on the same
// hops, side by side in one run. See README.md. Everything listens on 127.0.0.1 only.
//
//   node harness.mjs [--windows 5] [--seconds 10] [--warmup 5] [--clients 10] [--members 100]
//                    [--database-url postgres://postgres@127.0.0.1:5432/] [--keep-database]
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDir, fromDist, projectRequire, projectRoot } from './shared.mjs';

const { values: flags } = parseArgs({
  options: {
    windows: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    clients: { type: 'string', default: '10' },
    members: { type: 'string', default: '100' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/' },
    'keep-database': { type: 'boolean', default: false },
  },
});
const options = {
  windows: Number(flags.windows),
  seconds: Number(flags.seconds),
  warmupSeconds: Number(flags.warmup),
  clients: Number(flags.clients),
  members: Number(flags.members),
  serverUrl: flags['database-url'],
  keepDatabase: flags['keep-database'],
};
for (const name of ['windows', 'seconds', 'clients', 'members']) {
  if (!(options[name] > 0)) throw new Error(`--${name} must be a positive number`);
}
const serverUrl = new URL(options.serverUrl);
if (serverUrl.hostname !== '127.0.0.1' && serverUrl.hostname !== 'localhost') {
  throw new Error('this bench talks to 127.0.0.1 only');
}

const { Client } = projectRequire('pg');
const { generateSigningKey, keySetFromPrivate } = fromDist('gateway/auth/keys');
const { TokenIssuer } = fromDist('gateway/auth/tokens');
const { seedBenchData, walletMemberId } = fromDist('bench/bench-data');
const { runLoad, sendOnce } = fromDist('bench/load-generator');
const { jsonHeaders, walletQuery } = fromDist('bench/requests');
const { federatedWalletQuery } = fromDist('bench/figures/federation-overhead');
const { walletProblem } = fromDist('bench/figures/read-vs-bare-http');

const gateways = ['apollo', 'hive'];
const queries = { wallet: walletQuery, federated: federatedWalletQuery };
const clockTicksPerSecond = 100;
const log = (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Every resource this run made, released in `cleanUp` (also on failure and on Ctrl-C). */
const resources = { children: [], database: undefined, tmp: undefined };

async function main() {
  const databaseName = `fedlic_${Date.now().toString(36)}_${process.pid}`;
  const databaseUrl = new URL(databaseName, withSlash(serverUrl)).toString();
  const loadAtStart = loadavg();
  await admin(`create database ${databaseName}`);
  resources.database = databaseName;
  log(`database ${databaseName}: migrating and seeding (${options.members} bench members)`);
  await seedBenchData(databaseUrl, options.members);

  const tokenJwk = await generateSigningKey('fedlic-token');
  const assertionJwk = await generateSigningKey('fedlic-gateway');
  // One token per client, all for the wallet member (ES256 signatures differ each time): the
  // clients stand for different sessions, so no gateway can merge their identical subgraph
  // requests in flight (Hive's HTTP executor deduplicates requests with the same headers).
  const issuer = new TokenIssuer(tokenJwk);
  const tokens = await Promise.all(
    Array.from({ length: options.clients }, () =>
      issuer.issue({ kind: 'member', subject: walletMemberId }),
    ),
  );
  if (new Set(tokens).size !== tokens.length)
    throw new Error('expected a distinct token per client');
  resources.tmp = mkdtempSync(join(tmpdir(), 'fedlic-'));
  const config = {
    databaseUrl,
    tokenJwk,
    assertionJwk,
    assertionPublicJwks: keySetFromPrivate(assertionJwk).publicJwks,
    subgraphsFile: join(resources.tmp, 'subgraphs.json'),
  };

  const subgraphs = await start('subgraphs', config);
  log(
    `coalition subgraph at ${subgraphs.ready.coalitionUrl}; partners ${subgraphs.ready.partners.join(' ')}`,
  );
  const sides = {};
  for (const gateway of gateways) {
    sides[gateway] = await start(`${gateway}-gateway`, config);
    log(
      `${gateway} gateway on port ${sides[gateway].ready.port} (supergraph ${sides[gateway].ready.supergraphBytes} bytes)`,
    );
  }

  const headersOf = tokens.map((token) => ({ ...jsonHeaders, authorization: `Bearer ${token}` }));
  const references = await checkAnswers(sides, headersOf[0]);
  let sent = 0;
  const load = (gateway, query, warmupMs, durationMs) =>
    runLoad({
      target: { host: '127.0.0.1', port: sides[gateway].ready.port, path: '/graphql' },
      clients: options.clients,
      warmupMs,
      durationMs,
      // uncachedWallet's shape: a body never seen before (an unused variable), nothing reused.
      request: (client) => ({
        headers: headersOf[client],
        body: JSON.stringify({ query: queries[query], variables: { nonce: sent++ } }),
      }),
      succeeded: (status, body) => status === 200 && !body.includes('"errors"'),
    });

  if (options.warmupSeconds > 0) {
    for (const gateway of gateways) {
      for (const query of Object.keys(queries)) {
        await load(gateway, query, options.warmupSeconds * 1_000, 0);
      }
    }
    log(`warmed up (${options.warmupSeconds} s per gateway and query)`);
  }

  const windows = { wallet: { apollo: [], hive: [] }, federated: { apollo: [], hive: [] } };
  for (let window = 0; window < options.windows; window++) {
    for (const query of Object.keys(queries)) {
      const order = window % 2 === 0 ? gateways : [...gateways].reverse();
      for (const gateway of order) {
        const gatewayCpu = cpuSeconds(sides[gateway].pid);
        const subgraphCpu = cpuSeconds(subgraphs.pid);
        const servedBefore = await coalitionServed(subgraphs);
        const clientCpu = process.cpuUsage();
        const result = await load(gateway, query, 1_000, options.seconds * 1_000);
        const answered = Math.max(result.answered, 1);
        const client = process.cpuUsage(clientCpu);
        const coalitionRequests = (await coalitionServed(subgraphs)) - servedBefore;
        const measured = {
          ...result,
          gatewayCpuMsPerRequest:
            ((cpuSeconds(sides[gateway].pid) - gatewayCpu) * 1_000) / answered,
          subgraphsCpuMsPerRequest: ((cpuSeconds(subgraphs.pid) - subgraphCpu) * 1_000) / answered,
          clientCpuMsPerRequest: (client.user + client.system) / 1_000 / answered,
          coalitionRequestsPerRequest: coalitionRequests / answered,
        };
        windows[query][gateway].push(measured);
        log(
          `window ${window + 1}/${options.windows} ${query.padEnd(9)} ${gateway.padEnd(6)} ${result.ratePerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, gateway CPU ${measured.gatewayCpuMsPerRequest.toFixed(2)} ms/req, subgraphs ${measured.subgraphsCpuMsPerRequest.toFixed(2)} ms/req, ${measured.coalitionRequestsPerRequest.toFixed(2)} coalition hops/req, ${result.failures} failed${result.failureSamples.length ? `: ${result.failureSamples[0]}` : ''}`,
        );
      }
    }
  }

  const summary = summarise(windows);
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAtStart: rounded(loadAtStart),
      loadAtEnd: rounded(loadavg()),
    },
    node: process.version,
    postgres: (await admin('select version() as version')).rows[0].version,
    options,
    versions: versionsOf(),
    answerBytes: references,
    summary,
    windows,
  };
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  printSummary(report);
}

/** Both gateways answer both queries, with the same data; returns the answers' sizes. */
async function checkAnswers(sides, headers) {
  const sizes = {};
  for (const [query, text] of Object.entries(queries)) {
    const answers = {};
    for (const gateway of gateways) {
      const target = { host: '127.0.0.1', port: sides[gateway].ready.port, path: '/graphql' };
      const answer = await sendOnce(target, headers, JSON.stringify({ query: text }));
      const problem =
        walletProblem(answer.status, answer.body) ?? federatedProblem(query, answer.body);
      if (problem) throw new Error(`${gateway} gateway, ${query} query: ${problem}`);
      answers[gateway] = JSON.parse(answer.body.toString('utf8')).data;
      sizes[`${query}.${gateway}`] = answer.body.length;
    }
    if (canonical(answers.apollo) !== canonical(answers.hive)) {
      throw new Error(`the gateways answer the ${query} query with different data`);
    }
  }
  log(`both gateways give the same data for both queries (${JSON.stringify(sizes)} bytes)`);
  return sizes;
}

function federatedProblem(query, body) {
  if (query !== 'federated') return undefined;
  const rewards = JSON.parse(body.toString('utf8')).data?.nordicHotelRewards;
  if (rewards?.length !== 3) return 'expected 3 Nordic rewards';
  if (rewards.some((reward) => !reward.price?.affordability))
    return 'a reward has no affordability';
  return undefined;
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function summarise(windows) {
  const summary = {};
  for (const [query, bySide] of Object.entries(windows)) {
    const pick = (side, field) => bySide[side].map((run) => run[field]);
    const ratios = (field) =>
      bySide.hive.map((run, index) => run[field] / bySide.apollo[index][field]);
    summary[query] = {};
    for (const field of [
      'ratePerSecond',
      'p50Ms',
      'p99Ms',
      'gatewayCpuMsPerRequest',
      'subgraphsCpuMsPerRequest',
      'coalitionRequestsPerRequest',
    ]) {
      summary[query][field] = {
        apollo: spread(pick('apollo', field)),
        hive: spread(pick('hive', field)),
        hiveOverApollo: spread(ratios(field)),
      };
    }
    summary[query].failures = {
      apollo: sum(pick('apollo', 'failures')),
      hive: sum(pick('hive', 'failures')),
    };
  }
  return summary;
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted.at(-1)) };
}

function printSummary(report) {
  const rows = [];
  const labels = {
    ratePerSecond: 'req/s',
    p50Ms: 'p50 ms',
    p99Ms: 'p99 ms',
    gatewayCpuMsPerRequest: 'gateway CPU ms/req',
    subgraphsCpuMsPerRequest: 'subgraphs CPU ms/req',
    coalitionRequestsPerRequest: 'coalition subgraph hops/req',
  };
  for (const [query, fields] of Object.entries(report.summary)) {
    for (const [field, label] of Object.entries(labels)) {
      const { apollo, hive, hiveOverApollo } = fields[field];
      rows.push(
        `| ${query} | ${label} | ${apollo.median} | ${hive.median} | ${hiveOverApollo.median} (${hiveOverApollo.min}-${hiveOverApollo.max}) |`,
      );
    }
  }
  console.log(
    [
      '',
      `${report.options.windows} windows of ${report.options.seconds} s, ${report.options.clients} clients; medians, Hive ÷ Apollo per window (min-max)`,
      `load average at start ${report.machine.loadAtStart.join(' ')}, at end ${report.machine.loadAtEnd.join(' ')}; ${report.machine.cpus} CPUs`,
      '',
      '| query | measure | Apollo | Hive | Hive ÷ Apollo |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `failures: ${JSON.stringify(Object.fromEntries(Object.entries(report.summary).map(([query, fields]) => [query, fields.failures])))}`,
      `written to ${join(benchDir, 'results', 'latest.json')}`,
    ].join('\n'),
  );
}

/** Starts a child process and waits for its `ready` message. */
function start(name, config) {
  const child = fork(join(benchDir, `${name}.mjs`), [], {
    env: { ...process.env, NODE_ENV: 'production', FEDLIC_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  resources.children.push({ name, child });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within 120 s`)),
      120_000,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (${code ?? signal})`));
    });
    child.on('message', (message) => {
      clearTimeout(timer);
      if (message.ready) resolve({ pid: child.pid, ready: message.ready });
      else reject(new Error(`${name}: ${message.failed}`));
    });
  });
}

/** How many GraphQL requests the coalition subgraph has served so far. */
async function coalitionServed(subgraphs) {
  const response = await fetch(subgraphs.ready.coalitionUrl.replace(/\/graphql$/, '/stats'));
  return (await response.json()).served;
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

function versionsOf() {
  const version = (modules, name) => {
    try {
      return JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  const project = join(projectRoot, 'node_modules');
  const local = join(benchDir, 'node_modules');
  return {
    '@apollo/gateway': version(project, '@apollo/gateway'),
    '@apollo/composition': version(project, '@apollo/composition'),
    '@apollo/server': version(project, '@apollo/server'),
    '@graphql-hive/gateway-runtime': version(local, '@graphql-hive/gateway-runtime'),
    '@theguild/federation-composition': version(local, '@theguild/federation-composition'),
    '@graphql-mesh/transport-http': version(local, '@graphql-mesh/transport-http'),
    'graphql (Apollo side)': version(project, 'graphql'),
    'graphql (Hive side)': version(local, 'graphql'),
  };
}

async function admin(sql) {
  const client = new Client({
    connectionString: new URL('postgres', withSlash(serverUrl)).toString(),
  });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function withSlash(url) {
  const copy = new URL(url);
  copy.pathname = '/';
  return copy;
}

async function stopChild({ name, child }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    log(`${name} (pid ${child.pid}) did not stop within 10 s: SIGKILL`);
    child.kill('SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

let cleaning;
function cleanUp() {
  cleaning ??= (async () => {
    // Gateways first, then the subgraphs they call; each by its own PID.
    for (const entry of [...resources.children].reverse()) {
      await stopChild(entry).catch((error) => log(`stopping ${entry.name}: ${error.message}`));
    }
    if (resources.database && !options.keepDatabase) {
      await admin(`drop database if exists ${resources.database} with (force)`).then(
        () => log(`dropped database ${resources.database}`),
        (error) => log(`dropping database ${resources.database}: ${error.message}`),
      );
    }
    if (resources.tmp) rmSync(resources.tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

function round(value) {
  return Number(value.toPrecision(3));
}
function rounded(values) {
  return values.map((value) => Number(value.toFixed(2)));
}
function sum(values) {
  return values.reduce((total, value) => total + value, 0);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    cleanUp().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  console.error(error.stack ?? error);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);
