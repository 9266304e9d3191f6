import PgBoss from 'pg-boss';
import type { App } from '../app';
import { invariant } from '../shared/invariant';
import { JobRuns } from './job-runs';
import { type JobDefinition, type JobSettings, jobDefinitions } from './registry';
import { runJobAttempt } from './run-job';

/** How a failed attempt is retried: `limit` more attempts, the first after about `delaySeconds`. */
export interface JobRetries {
  limit: number;
  /** Base delay; pg-boss doubles it per attempt, with jitter (between d·2^n/2 and d·2^n). */
  delaySeconds: number;
}

export const defaultJobRetries: JobRetries = { limit: 5, delaySeconds: 2 };

/**
 * pg-boss archives completed jobs after this long; a slot's job must still be in the job table
 * while its slot lasts (that is what makes the slot unique), so no interval may be longer.
 */
const archiveCompletedAfterSeconds = 12 * 3_600;
/** A dead process's job (active past its expiry) is released by maintenance this often. */
const maintenanceIntervalSeconds = 60;

export interface JobScheduler {
  stop(): Promise<void>;
}

/**
 * Runs the registered jobs on pg-boss (see docs/reliability.md, "Scheduled jobs"): each job type
 * is a queue; every gateway process offers the current slot's job (one per interval, the slot
 * computed from the database's clock) and pg-boss's unique index keeps one job per slot, so the
 * number of processes does not change how often a job runs. Any process may take the job. A
 * failed or timed-out attempt is retried with exponential backoff; a process that dies with a
 * job in hand has it released after its expiry by pg-boss's maintenance and retried elsewhere.
 */
export async function startJobs(options: {
  app: App;
  settings: JobSettings;
  log: (line: string) => void;
  definitions?: readonly JobDefinition[];
  retries?: JobRetries;
  /** How often each queue is polled for due jobs; a quarter of its interval, 0.5-10 s, by default. */
  pollingIntervalSeconds?: number;
}): Promise<JobScheduler> {
  const { app, log } = options;
  const retries = options.retries ?? defaultJobRetries;
  const scheduled = (options.definitions ?? jobDefinitions)
    .map((definition) => ({
      definition,
      intervalSeconds: Math.max(1, Math.round(definition.intervalMs(options.settings) / 1000)),
    }))
    .filter(({ definition }) => definition.intervalMs(options.settings) > 0);
  const boss = new PgBoss({
    connectionString: app.databaseUrl,
    application_name: 'coalition-jobs',
    max: 2,
    // The schema is installed by migration 0023; pg-boss only checks its version.
    migrate: false,
    // Our slots replace pg-boss's cron (minute-grained, and polled every 30 seconds).
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds,
    archiveCompletedAfterSeconds,
  });
  boss.on('error', (error) => log(`jobs: ${(error as Error).message}`));
  await boss.start();
  const timers: NodeJS.Timeout[] = [];
  const stop = async () => {
    for (const timer of timers) clearInterval(timer);
    await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  };
  try {
    await createQueues(
      app,
      scheduled.map(({ definition }) => definition.name),
    );
    for (const { definition, intervalSeconds } of scheduled) {
      invariant(
        intervalSeconds <= archiveCompletedAfterSeconds,
        `job ${definition.name} runs every ${intervalSeconds} s, at most every ${archiveCompletedAfterSeconds} s`,
      );
      timers.push(
        await scheduleJob(boss, app, definition, log, {
          intervalSeconds,
          retries,
          pollingIntervalSeconds:
            options.pollingIntervalSeconds ?? Math.min(10, Math.max(0.5, intervalSeconds / 4)),
        }),
      );
    }
    await new JobRuns(app.db).recordSchedules(
      scheduled.map(({ definition, intervalSeconds }) => ({
        jobName: definition.name,
        intervalSeconds,
      })),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

/**
 * Creates the queues that do not exist yet, with pg-boss's own `create_queue` (a row and a
 * partition of its job table). Processes starting together take turns: two creating queues at
 * once deadlock on the partitioned table. A job's retry and expiry settings travel with each
 * job (see `offer`), so a queue needs no settings of its own.
 */
async function createQueues(app: App, names: readonly string[]): Promise<void> {
  await app.db.transaction(async (sql) => {
    await sql.query("select pg_advisory_xact_lock(hashtext('coalition-jobs: create queues'))");
    for (const name of names) {
      await sql.query('select pgboss.create_queue($1, $2::json)', [
        name,
        JSON.stringify({ policy: 'standard' }),
      ]);
    }
  });
}

/** Works the job's queue, and offers each slot's job; returns the offering timer. */
async function scheduleJob(
  boss: PgBoss,
  app: App,
  definition: JobDefinition,
  log: (line: string) => void,
  schedule: { intervalSeconds: number; retries: JobRetries; pollingIntervalSeconds: number },
): Promise<NodeJS.Timeout> {
  const { intervalSeconds, retries, pollingIntervalSeconds } = schedule;
  const name = definition.name;
  await boss.work<object>(
    name,
    {
      batchSize: 1,
      includeMetadata: true,
      pollingIntervalSeconds,
    },
    async ([job]) => {
      invariant(job, 'pg-boss hands a worker at least one job');
      try {
        const rowsAffected = await runJobAttempt(app, definition, {
          trigger: 'schedule',
          number: job.retryCount + 1,
          queueJobId: job.id,
        });
        if (rowsAffected > 0)
          log(`jobs: ${name}: ${rowsAffected} rows (${definition.description})`);
        return { rowsAffected };
      } catch (error) {
        log(`jobs: ${name} failed (will retry): ${(error as Error).message}`);
        throw error;
      }
    },
  );
  // Offered several times per slot by every process: the first offer in a slot creates its
  // job, the others are no-ops (pg-boss's unique index on queue, slot and key).
  const offer = () =>
    boss
      .send(
        name,
        {},
        {
          singletonKey: name,
          singletonSeconds: intervalSeconds,
          retryLimit: retries.limit,
          retryDelay: retries.delaySeconds,
          retryBackoff: true,
          // pg-boss's own limit is a backstop behind the attempt's (run-job.ts), a little later.
          expireInSeconds: Math.ceil(definition.timeoutMs / 1000) + 30,
        },
      )
      .catch((error: Error) => log(`jobs: cannot schedule ${name}: ${error.message}`));
  await offer();
  const timer = setInterval(offer, Math.min(15_000, Math.max(250, (intervalSeconds * 1000) / 4)));
  timer.unref();
  return timer;
}
