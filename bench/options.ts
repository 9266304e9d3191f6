import { resolve } from 'node:path';
import { projectRoot } from '../gateway/config';

/** Every figure the harness reports, in report order (issue 6). */
export const figureNames = [
  'earn_vs_tpcb',
  'hot_partner',
  'read_vs_bare_http',
  'read_uncached_vs_bare_http',
  'settle_vs_scan',
  'statement_page_ms',
  'scale_latency',
  'federation_overhead',
  'gateway_rss',
  'stuck_partner',
  'overload_p99',
  'earn_tiers_vs_plain',
  'earn_rules_vs_plain',
  'earn_with_outbox_vs_plain',
  'webhook_lag_p99',
] as const;
export type FigureName = (typeof figureNames)[number];

/** The issue asks for at least this many runs per figure, and pgbench at this scale or more. */
export const runsMin = 3;
const durationSecondsMin = 0.1;
export const pgbenchScaleMin = 10;

export interface BenchOptions {
  /**
   * Seconds of each measured window. pgbench takes whole seconds: its windows last this rounded
   * (at least 1), and earn_vs_tpcb notes when that differs (sub-second windows are for the
   * smoke test only).
   */
  durationSeconds: number;
  /** Measured windows per figure; each figure reports min/median/max over them. */
  runs: number;
  /**
   * A window stays open past its duration until this many successes were counted (0: never).
   * The smoke test sets it so a busy machine yields a slower figure, not an empty window.
   */
  minSuccesses: number;
  /** Seconds of load before the first measured window of each side, not counted. */
  warmupSeconds: number;
  /** Concurrent clients of every load (the 10). */
  clients: number;
  only: FigureName[];
  /** Bench members, each linked to every bench partner. */
  members: number;
  pgbenchScale: number;
  /** Transfers stored for the two sides of scale_latency. */
  scaleSmallTransfers: number;
  scaleLargeTransfers: number;
  /** Transfers in the period settle_vs_scan closes. */
  settleTransfers: number;
  /** PostgreSQL databases created by the run are named <prefix>_<purpose>. */
  databasePrefix: string;
  /** Keys, logs and the embedded cluster's sibling folder. */
  dataDir: string;
  output: string;
  keepDatabases: boolean;
  /** Write a V8 CPU profile of every gateway process to <dataDir>/profiles. */
  profile: boolean;
  quick: boolean;
  /** From DATABASE_URL; otherwise an embedded PostgreSQL in <project>/.data/postgres-bench. */
  databaseUrl: string | undefined;
}

const fullDefaults = {
  durationSeconds: 20,
  runs: 3,
  warmupSeconds: 5,
  members: 10_000,
  scaleLargeTransfers: 10_000_000,
  settleTransfers: 1_000_000,
};

/** `--quick`: a few minutes in all, for checking a change; not the figures of record. */
const quickDefaults = {
  durationSeconds: 5,
  runs: 3,
  warmupSeconds: 2,
  members: 2_000,
  scaleLargeTransfers: 100_000,
  settleTransfers: 100_000,
};

export const usage = `usage: npm run bench -- [options]
  --duration <s>          seconds per measured window (default 20; --quick 5); pgbench: rounded
  --runs <n>              windows per figure, min/median/max reported (default 3)
  --min-successes <n>     keep a window open past its duration until n successes (default 0)
  --warmup <s>            unmeasured load before measuring (default 5; --quick 2)
  --clients <n>           concurrent clients (default 10)
  --only <a,b>            figures to run: ${figureNames.join(', ')}
  --members <n>           bench members (default 10000; --quick 2000)
  --pgbench-scale <n>     pgbench -i scale (default 10)
  --scale-small <n>       transfers stored, small side of scale_latency (default 10000)
  --scale-large <n>       transfers stored, large side (default 10000000; --quick 100000)
  --settle-transfers <n>  transfers in the period settle_vs_scan closes (default 1000000)
  --database-prefix <p>   databases are named <p>_<purpose> (default bench)
  --data-dir <dir>        keys and logs (default .data/bench)
  --output <file>         results JSON (default bench/results/latest.json)
  --keep-databases        leave the bench databases behind for inspection
  --profile               write each gateway's CPU profile to <data-dir>/profiles (open in Chrome DevTools)
  --quick                 shorter windows and smaller data: a check, not a measurement
DATABASE_URL selects a PostgreSQL server (the bench creates its own databases there);
otherwise an embedded server runs in .data/postgres-bench.`;

export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions {
  const flags = readFlags(argv);
  const quick = flags.has('quick');
  const defaults = quick ? quickDefaults : fullDefaults;
  const number = (name: string, fallback: number, min: number) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
    }
    return value;
  };
  const options: BenchOptions = {
    durationSeconds: seconds(flags.get('duration'), defaults.durationSeconds),
    runs: number('runs', defaults.runs, 1),
    minSuccesses: number('min-successes', 0, 0),
    warmupSeconds: number('warmup', defaults.warmupSeconds, 0),
    clients: number('clients', 10, 1),
    only: parseOnly(flags.get('only')),
    members: number('members', defaults.members, 10),
    pgbenchScale: number('pgbench-scale', 10, 1),
    scaleSmallTransfers: number('scale-small', 10_000, 1),
    scaleLargeTransfers: number('scale-large', defaults.scaleLargeTransfers, 1),
    settleTransfers: number('settle-transfers', defaults.settleTransfers, 1),
    databasePrefix: flags.get('database-prefix') ?? 'bench',
    dataDir: resolve(flags.get('data-dir') ?? resolve(projectRoot, '.data/bench')),
    output: resolve(flags.get('output') ?? resolve(projectRoot, 'bench/results/latest.json')),
    keepDatabases: flags.has('keep-databases'),
    profile: flags.has('profile'),
    quick,
    databaseUrl: env.DATABASE_URL || undefined,
  };
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(options.databasePrefix)) {
    throw new Error('--database-prefix must be lowercase letters, digits and _ (at most 41)');
  }
  return options;
}

const booleanFlags = new Set(['quick', 'keep-databases', 'profile', 'help']);
const valueFlags = new Set([
  'min-successes',
  'duration',
  'runs',
  'warmup',
  'clients',
  'only',
  'members',
  'pgbench-scale',
  'scale-small',
  'scale-large',
  'settle-transfers',
  'database-prefix',
  'data-dir',
  'output',
]);

function readFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    if (!match) throw new Error(`unexpected argument "${argument}"\n${usage}`);
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    if (booleanFlags.has(name)) {
      flags.set(name, 'true');
    } else if (valueFlags.has(name)) {
      const value = inline ?? argv[++index];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new Error(`unknown option --${name}\n${usage}`);
    }
  }
  return flags;
}

function seconds(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < durationSecondsMin) {
    throw new Error(
      `--duration must be a number of seconds >= ${durationSecondsMin}, got "${raw}"`,
    );
  }
  return value;
}

function parseOnly(raw: string | undefined): FigureName[] {
  if (raw === undefined) return [...figureNames];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(figureNames as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown figure "${name}"; known: ${figureNames.join(', ')}`);
    }
  }
  return names as FigureName[];
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
