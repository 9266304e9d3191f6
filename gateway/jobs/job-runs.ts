import { hostname } from 'node:os';
import type { Sql } from '../db/sql';

/** How a run was started: by the schedule, or by `npm run jobs`. */
export type JobTrigger = 'schedule' | 'command';
export type JobOutcome = 'running' | 'succeeded' | 'failed';

/** One attempt of a job, as recorded in `job_run` (migration 0023). */
export interface JobRunRecord {
  jobName: string;
  trigger: JobTrigger;
  /** The start of the interval a scheduled run belongs to; null for a run by hand. */
  slotAt: Date | null;
  attempt: number;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: JobOutcome;
  rowsAffected: bigint | null;
  error: string | null;
  /** `host:pid` of the process that ran it. */
  process: string;
}

/** A job type's schedule and what it did last. */
export interface JobStatus {
  jobName: string;
  /** Seconds between runs; null when no gateway has scheduled it. */
  intervalSeconds: number | null;
  /** Its latest attempt, whatever the outcome. */
  lastRun: JobRunRecord | null;
  /** When it runs next: a queued or retrying job's start, else the next interval's start. */
  nextRunAt: Date | null;
}

/** A recorded error is cut to this many characters (a stack trace is not needed here). */
const errorLengthMax = 2_000;
/** Attempts are kept this long, then pruned by the `prune-job-runs` job. */
export const jobRunRetentionDays = 30;

/** This process, as the runs it records name it. */
export const thisProcess = `${hostname()}:${process.pid}`;

/**
 * The record of job attempts (table `job_run`) and of the schedules (`job_schedule`): written by
 * the scheduler and the command line, read by the operator's `jobRuns` query and
 * `npm run jobs -- status`.
 */
export class JobRuns {
  constructor(private readonly sql: Sql) {}

  /** Records the start of an attempt; returns its id for `finished`. */
  async started(run: {
    jobName: string;
    trigger: JobTrigger;
    attempt: number;
    /** pg-boss's job, for a scheduled run: its slot is read from it. */
    queueJobId?: string;
  }): Promise<string> {
    // pg-boss stores the slot as a timestamp without time zone, in UTC.
    const inserted = await this.sql.query<{ id: string }>(
      `insert into job_run (job_name, trigger, slot_at, queue_job_id, attempt, process)
       select $1, $2,
         (select job.singleton_on at time zone 'UTC' from pgboss.job job
           where job.name = $1 and job.id = $3::uuid),
         $3::uuid, $4, $5
       returning id::text`,
      [run.jobName, run.trigger, run.queueJobId ?? null, run.attempt, thisProcess],
    );
    return inserted.rows[0]!.id;
  }

  /** Records the end of an attempt: rows affected, or the error it failed with. */
  async finished(id: string, result: { rowsAffected: number } | { error: unknown }): Promise<void> {
    const failed = 'error' in result;
    await this.sql.query(
      `update job_run set finished_at = clock_timestamp(), outcome = $2, rows_affected = $3, error = $4
       where id = $1`,
      [
        id,
        failed ? 'failed' : 'succeeded',
        failed ? null : result.rowsAffected,
        failed ? errorText(result.error).slice(0, errorLengthMax) : null,
      ],
    );
  }

  /** Stores each job's interval, so any process (and the command line) can say when it runs. */
  async recordSchedules(schedules: readonly { jobName: string; intervalSeconds: number }[]) {
    if (schedules.length === 0) return;
    await this.sql.query(
      `insert into job_schedule (job_name, interval_seconds)
       select * from unnest($1::text[], $2::integer[])
       on conflict (job_name) do update
         set interval_seconds = excluded.interval_seconds, updated_at = now()`,
      [schedules.map((schedule) => schedule.jobName), schedules.map((s) => s.intervalSeconds)],
    );
  }

  /** Each named job's schedule, latest attempt and next run, in the order given. */
  async status(jobNames: readonly string[]): Promise<JobStatus[]> {
    const result = await this.sql.query(
      `select names.job_name, s.interval_seconds, last_run.*,
         coalesce(
           (select min(job.start_after) from pgboss.job job
             where job.name = names.job_name and job.state in ('created', 'retry')),
           to_timestamp(s.interval_seconds * (floor(extract(epoch from now()) / s.interval_seconds) + 1))
         ) as next_run_at
       from unnest($1::text[]) with ordinality as names (job_name, position)
       left join job_schedule s on s.job_name = names.job_name
       left join lateral (
         select run.job_name as run_job_name, run.trigger, run.slot_at, run.attempt, run.started_at,
                run.finished_at, run.outcome, run.rows_affected, run.error, run.process
         from job_run run where run.job_name = names.job_name
         order by run.started_at desc limit 1) last_run on true
       order by names.position`,
      [jobNames],
    );
    return result.rows.map((row) => ({
      jobName: row.job_name,
      intervalSeconds: row.interval_seconds ?? null,
      lastRun: row.run_job_name ? runRecord({ ...row, job_name: row.run_job_name }) : null,
      nextRunAt: row.next_run_at ?? null,
    }));
  }

  /** The latest attempts, newest first; of one job when named. */
  async recent(options: { jobName?: string; limit: number }): Promise<JobRunRecord[]> {
    const result = await this.sql.query(
      `select job_name, trigger, slot_at, attempt, started_at, finished_at, outcome, rows_affected,
              error, process
       from job_run where $1::text is null or job_name = $1
       order by started_at desc, id desc limit $2`,
      [options.jobName ?? null, options.limit],
    );
    return result.rows.map(runRecord);
  }

  /** Deletes attempts older than the retention; returns how many. */
  async prune(): Promise<number> {
    const result = await this.sql.query(
      `delete from job_run where started_at < now() - make_interval(days => $1)`,
      [jobRunRetentionDays],
    );
    return result.rowCount ?? 0;
  }
}

function runRecord(row: Record<string, unknown>): JobRunRecord {
  return {
    jobName: row.job_name as string,
    trigger: row.trigger as JobTrigger,
    slotAt: (row.slot_at as Date | null) ?? null,
    attempt: row.attempt as number,
    startedAt: row.started_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
    outcome: row.outcome as JobOutcome,
    rowsAffected: row.rows_affected === null ? null : BigInt(row.rows_affected as bigint),
    error: (row.error as string | null) ?? null,
    process: row.process as string,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
