import { durabilityProblem } from '../../bench/environment';
import { figureNames, parseOptions } from '../../bench/options';
import { parsePgbenchOutput } from '../../bench/pgbench';
import { rounded, spreadOf } from '../../bench/summary';

describe('bench command-line options', () => {
  it('defaults to the issue’s full run: 20 s windows, 3 runs, 10 clients, 10M transfers', () => {
    const options = parseOptions([], {});
    expect(options).toMatchObject({
      durationSeconds: 20,
      runs: 3,
      clients: 10,
      members: 10_000,
      pgbenchScale: 10,
      scaleSmallTransfers: 10_000,
      scaleLargeTransfers: 10_000_000,
      settleTransfers: 1_000_000,
      only: [...figureNames],
      quick: false,
      databaseUrl: undefined,
    });
  });

  it('shortens everything with --quick, and takes explicit values over it', () => {
    const options = parseOptions(
      ['--quick', '--duration=7', '--only', 'earn_vs_tpcb,gateway_rss'],
      { DATABASE_URL: 'postgres://db/x' },
    );
    expect(options).toMatchObject({
      durationSeconds: 7,
      scaleLargeTransfers: 100_000,
      only: ['earn_vs_tpcb', 'gateway_rss'],
      quick: true,
      databaseUrl: 'postgres://db/x',
    });
  });

  it('refuses unknown figures, unknown flags and values out of range', () => {
    expect(() => parseOptions(['--only', 'earn_vs_tpcc'], {})).toThrow(
      '--only: unknown figure "earn_vs_tpcc"',
    );
    expect(() => parseOptions(['--fast'], {})).toThrow('unknown option --fast');
    expect(() => parseOptions(['--duration', '0'], {})).toThrow(
      '--duration must be a number of seconds >= 0.1, got "0"',
    );
    expect(() => parseOptions(['--runs', '2.5'], {})).toThrow(
      '--runs must be an integer >= 1, got "2.5"',
    );
    expect(() => parseOptions(['--database-prefix', 'Bench; drop'], {})).toThrow(
      '--database-prefix must be lowercase',
    );
  });
});

describe('per-run figures', () => {
  it('reports min, median and max over the runs, keeping the runs in order', () => {
    expect(spreadOf([0.31, 0.27, 0.29])).toEqual({
      min: 0.27,
      median: 0.29,
      max: 0.31,
      runs: [0.31, 0.27, 0.29],
    });
    expect(spreadOf([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('rounds to three significant digits', () => {
    expect(rounded(4_712.38)).toBe(4_712);
    expect(rounded(0.123_456)).toBe(0.123);
    expect(rounded(12.345_6)).toBe(12.3);
    expect(rounded(0.012_345)).toBe(0.0123);
    expect(rounded(0)).toBe(0);
  });
});

describe('pgbench output', () => {
  it('reads tps, latency and counts from a pgbench 15 summary', () => {
    const summary = [
      'transaction type: <builtin: TPC-B (sort of)>',
      'scaling factor: 10',
      'number of transactions actually processed: 94213',
      'number of failed transactions: 0 (0.000%)',
      'latency average = 2.123 ms',
      'initial connection time = 4.993 ms',
      'tps = 4710.651234 (without initial connection time)',
    ].join('\n');
    expect(parsePgbenchOutput(summary)).toEqual({
      tps: 4710.651234,
      latencyAverageMs: 2.123,
      transactions: 94213,
      failedTransactions: 0,
    });
  });

  it('refuses output without a tps line', () => {
    expect(() => parsePgbenchOutput('connection to server failed')).toThrow(
      'pgbench printed no tps line',
    );
  });
});

describe('durability check', () => {
  it('refuses to compare when commits do not wait for the WAL flush', () => {
    expect(durabilityProblem({ synchronous_commit: 'on', fsync: 'on' })).toBeUndefined();
    expect(durabilityProblem({ synchronous_commit: 'local', fsync: 'on' })).toBeUndefined();
    expect(durabilityProblem({ synchronous_commit: 'off', fsync: 'on' })).toBe(
      'synchronous_commit is off: commits are not durable, the comparisons would be unfair',
    );
    expect(durabilityProblem({ synchronous_commit: 'on', fsync: 'off' })).toBe(
      'fsync is off: commits are not durable',
    );
  });
});
