import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchReport } from '../../bench/report';
import { buildDist } from '../helpers/build';
import { runChild, stopChildren } from '../helpers/child-processes';
import { testServerUrl } from '../helpers/test-database';
import { runPrefixVariable } from '../helpers/test-environment';

const projectRoot = resolve(__dirname, '../..');
/**
 * Builds, starts gateways and a database, runs every figure: minutes on a busy machine. No
 * assertion is about speed, so the limit only catches a run that hangs.
 */
const benchSmokeTimeoutMs = 10 * 60_000;

/**
 * The harness cannot rot: build it and run every figure end to end through the real CLI, with
 * 0.2-second windows and tiny data, against the test database server (its databases carry this
 * Jest run's prefix, so the global teardown drops whatever a failed run leaves). A window stays
 * open until it has counted a few answers (`--min-successes`), so a busy machine makes it
 * longer, never empty. The full run is not part of CI.
 */
describe('npm run bench (smoke)', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
  });
  afterAll(async () => {
    // The harness and the gateways it started, even when this test timed out.
    await stopChildren();
    await rm(folder, { recursive: true, force: true });
  });

  it(
    'measures every available figure, explains the others, and writes the results file',
    async () => {
      await buildDist();
      const output = join(folder, 'latest.json');
      const { stdout } = await runBench('dist/bench/main.js', [
        ...['--duration', '0.2', '--runs', '1', '--warmup', '0', '--members', '50'],
        // A window waits for a few answers however busy the machine is: no figure depends on speed.
        ...['--min-successes', '3'],
        ...['--pgbench-scale', '1', '--scale-small', '100', '--scale-large', '500'],
        ...['--settle-transfers', '100', '--data-dir', folder, '--output', output],
        ...['--database-prefix', `${process.env[runPrefixVariable]}_bench`],
      ]);
      const report = JSON.parse(await readFile(output, 'utf8')) as BenchReport;
      const status = Object.fromEntries(
        report.figures.map((figure) => [figure.name, figure.status]),
      );
      const pgbenchPresent = report.pgbench !== null;
      expect(status).toEqual({
        // Without pgbench on PATH the ratio cannot be taken; the run says so and goes on.
        earn_vs_tpcb: pgbenchPresent ? 'measured' : 'not available',
        hot_partner: 'measured',
        read_vs_bare_http: 'measured',
        read_uncached_vs_bare_http: 'measured',
        settle_vs_scan: 'measured',
        statement_page_ms: 'measured',
        scale_latency: 'measured',
        federation_overhead: 'measured',
        gateway_rss: 'measured',
        stuck_partner: 'measured',
        overload_p99: 'measured',
        earn_tiers_vs_plain: 'measured',
        earn_rules_vs_plain: 'measured',
        earn_with_outbox_vs_plain: 'measured',
        webhook_lag_p99: 'measured',
      });
      if (!pgbenchPresent) console.warn('pgbench is not on PATH: earn_vs_tpcb was not taken');
      for (const figure of report.figures) {
        if (figure.status === 'measured') expect(figure.value.median).toBeGreaterThan(0);
      }
      expect(report.postgres.settings.synchronous_commit).toBe('on');
      expect(report.figures.find((figure) => figure.name === 'gateway_rss')?.target).toEqual({
        comparison: '<=',
        value: 256,
        unit: 'MB',
      });
      expect(stdout).toMatch(/^figure\s+median\s+min\s+max\s+target\s+met\s+runs$/m);
    },
    benchSmokeTimeoutMs,
  );
});

/** Runs the compiled CLI; a failure carries the end of its output, which says what broke. */
async function runBench(script: string, args: string[]): Promise<{ stdout: string }> {
  try {
    return await runChild(process.execPath, [script, ...args], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: testServerUrl() },
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run bench failed:\n${stdout.slice(-4_000)}\n${stderr.slice(-2_000)}`);
  }
}
