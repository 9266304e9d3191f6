import { createApp } from '../app';
import { loadConfig } from '../config';
import { openDatabaseServer } from '../db/database';
import { JobRuns, type JobStatus } from './job-runs';
import { jobDefinitions, jobNamed } from './registry';
import { runJobAttempt } from './run-job';

/**
 * `npm run jobs -- <job>|all [--as-of 2027-01-01T00:00:00Z]`: runs jobs once now, printing
 * progress, on DATABASE_URL or the embedded database (shared with a running gateway, or started
 * for the run). Each run is recorded beside the scheduled ones. `npm run jobs -- status`: each
 * job's schedule, last run and next run. The gateway runs the same jobs on a schedule, once
 * across all its processes (gateway/jobs/scheduler.ts).
 */
const names = jobDefinitions.map((definition) => definition.name);
const usage = `usage: npm run jobs -- ${names.join('|')}|all [--as-of <ISO time>]
       npm run jobs -- status
${jobDefinitions.map((definition) => `  ${definition.name.padEnd(15)} ${definition.description}`).join('\n')}`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const job = args[0];
  if (!job || !(job === 'all' || job === 'status' || jobNamed(job))) {
    console.error(usage);
    process.exit(2);
  }
  const asOfIndex = args.indexOf('--as-of');
  const asOf = asOfIndex >= 0 ? new Date(args[asOfIndex + 1] ?? '') : new Date();
  if (Number.isNaN(asOf.getTime())) {
    console.error(`--as-of needs an ISO time. ${usage}`);
    process.exit(2);
  }
  const config = loadConfig();
  const log = (line: string) => console.log(`[jobs] ${line}`);
  const database = await openDatabaseServer({ ...config, attach: true, log });
  const app = await createApp({ databaseUrl: database.url });
  try {
    if (job === 'status') {
      for (const status of await new JobRuns(app.db).status(names)) log(statusLine(status));
      return;
    }
    for (const definition of job === 'all' ? jobDefinitions : [jobNamed(job)!]) {
      const rows = await runJobAttempt(app, definition, {
        trigger: 'command',
        number: 1,
        asOf,
        progress: (done) => log(`${definition.name}: ${done} so far`),
      });
      log(
        `${definition.name}: ${rows} rows, as of ${asOf.toISOString()} (${definition.description})`,
      );
    }
  } finally {
    await app.close();
    await database.stop();
  }
}

function statusLine(status: JobStatus): string {
  const schedule = status.intervalSeconds
    ? `every ${status.intervalSeconds} s, next ${status.nextRunAt?.toISOString()}`
    : 'not scheduled';
  const run = status.lastRun;
  const last = !run
    ? 'never run'
    : `last ${run.trigger} run ${run.startedAt.toISOString()} attempt ${run.attempt}: ${run.outcome}${run.outcome === 'succeeded' ? `, ${run.rowsAffected} rows` : ''}${run.error ? ` (${run.error})` : ''}`;
  return `${status.jobName.padEnd(15)} ${schedule}; ${last}`;
}

main().catch((error: unknown) => {
  console.error(`[jobs] failed: ${(error as Error).message}`);
  process.exit(1);
});
