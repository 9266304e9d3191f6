import { loadavg } from 'node:os';
import { relative } from 'node:path';
import { projectRoot } from '../gateway/config';
import { exitWithParent } from '../gateway/lifecycle';
import { BenchContext } from './context';
import { openBenchServer } from './database-server';
import { durabilityProblem, machineInfo, postgresInfo } from './environment';
import type { FigureResult } from './figure';
import { failed } from './figure';
import { experiments } from './figures';
import { figureNames, parseOptions, runsMin, usage, wantsHelp } from './options';
import { pgbenchVersion } from './pgbench';
import { type BenchReport, formatTable, writeReport } from './report';
import { loadBenchKeys } from './requests';

/**
 * `npm run bench -- [options]`: issue 6's figures on one PostgreSQL server, each the
 * min/median/max of per-run ratios measured side by side. Prints a table and writes
 * bench/results/latest.json. Exits 1 when the run itself broke (not when a target is missed).
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  const options = parseOptions(argv);
  const startedAt = new Date();
  const machine = machineInfo();
  const log = (line: string) => console.log(`[bench] ${line}`);
  const server = await openBenchServer({
    databaseUrl: options.databaseUrl,
    prefix: options.databasePrefix,
    log,
  });
  let context: BenchContext | undefined;
  const stopAll = async () => {
    await context?.close();
    if (!options.keepDatabases) await server.dropDatabases().catch(() => undefined);
    await server.stop();
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: stopping the processes started and the database');
    void stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Run by a test that timed out and was killed: stop as if interrupted.
  exitWithParent(process.env, onSignal);
  try {
    const postgres = await postgresInfo(server.adminUrl, server.embedded);
    const problem = durabilityProblem(postgres.settings);
    if (problem) throw new Error(`refusing to measure: ${problem}`);
    log(
      `${postgres.version.split(',')[0]} (${postgres.server}); synchronous_commit=${postgres.settings.synchronous_commit}, fsync=${postgres.settings.fsync}, shared_buffers=${postgres.settings.shared_buffers}`,
    );
    context = new BenchContext(options, server, await loadBenchKeys(options.dataDir));
    const figures: FigureResult[] = [];
    for (const experiment of experiments) {
      const wanted = experiment.figures.filter((name) => options.only.includes(name));
      if (wanted.length === 0) continue;
      context.log(`== ${experiment.figures.join(' + ')}`);
      try {
        const results = await experiment.run(context);
        figures.push(...results.filter((result) => wanted.includes(result.name)));
      } catch (error) {
        context.log(`${experiment.figures.join(' + ')} broke: ${(error as Error).stack}`);
        figures.push(...wanted.map((name) => failed(name, (error as Error).message)));
      }
    }
    figures.sort((a, b) => figureNames.indexOf(a.name) - figureNames.indexOf(b.name));
    for (const figure of figures) figure.notes.unshift(...runNotes(options.runs, options.quick));
    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: {
        ...options,
        databaseUrl: options.databaseUrl ? redact(options.databaseUrl) : undefined,
      },
      machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))) },
      postgres,
      pgbench: (await pgbenchVersion()) ?? null,
      gateway: { command: 'node dist/gateway/main.js', nodeEnv: 'production' },
      figures,
    };
    await writeReport(options.output, report);
    console.log(`\n${formatTable(figures)}\n`);
    console.log(
      `machine: ${machine.cpuCount} x ${machine.cpuModel}, load average ${machine.loadAverageAtStart.join(' ')} at start; results in ${displayPath(options.output)}`,
    );
    return figures.some((figure) => figure.status === 'failed') ? 1 : 0;
  } finally {
    await stopAll();
  }
}

function displayPath(file: string): string {
  const inProject = relative(projectRoot, file);
  return inProject.startsWith('..') ? file : inProject;
}

function runNotes(runs: number, quick: boolean): string[] {
  const notes: string[] = [];
  if (runs < runsMin) notes.push(`${runs} run(s): the issue asks for at least ${runsMin}`);
  if (quick) notes.push('--quick: a check, not a figure of record');
  return notes;
}

/** A connection string without its password, for the report. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[bench] ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
