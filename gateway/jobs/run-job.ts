import type { App } from '../app';
import { measuredJob } from '../observability/metrics';
import { JobRuns, type JobTrigger } from './job-runs';
import type { JobDefinition } from './registry';

/** An attempt that ran past its definition's `timeoutMs`: given up, to be retried. */
export class JobTimedOut extends Error {
  constructor(jobName: string, timeoutMs: number) {
    super(`job ${jobName} ran for over ${timeoutMs} ms and was given up`);
  }
}

/**
 * Runs one attempt of a job and records it in `job_run` (start, end, outcome, rows or error):
 * the one path for scheduled runs and runs by hand. An attempt past its time rejects with
 * JobTimedOut; its sweep stops at its next batch (its `progress` throws from then on), and the
 * rows it committed stay committed: every sweep is idempotent, so the retry carries on.
 */
export async function runJobAttempt(
  app: App,
  definition: JobDefinition,
  attempt: {
    trigger: JobTrigger;
    number: number;
    asOf?: Date;
    queueJobId?: string;
    progress?: (done: number) => void;
  },
): Promise<number> {
  const runs = new JobRuns(app.db);
  const id = await runs.started({
    jobName: definition.name,
    trigger: attempt.trigger,
    attempt: attempt.number,
    queueJobId: attempt.queueJobId,
  });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new JobTimedOut(definition.name, definition.timeoutMs));
    }, definition.timeoutMs);
  });
  try {
    const work = definition.run(app, {
      asOf: attempt.asOf ?? app.clock.now(),
      progress: (done) => {
        if (timedOut) throw new JobTimedOut(definition.name, definition.timeoutMs);
        attempt.progress?.(done);
      },
    });
    // The work goes on in the background when the timer wins; its failure then is expected.
    work.catch(() => undefined);
    // Counted and timed per job (coalition_job_runs_total, coalition_job_duration_seconds).
    const rowsAffected = await measuredJob(definition.name, () => Promise.race([work, timeout]));
    await runs.finished(id, { rowsAffected });
    return rowsAffected;
  } catch (error) {
    await runs.finished(id, { error }).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
