import { Migration } from '@mikro-orm/migrations';

/**
 * What the scheduled jobs did, readable by the operator (`jobRuns`, `npm run jobs -- status`)
 * without knowing the job library's tables:
 * - `job_schedule`: each job type and its interval, written by every gateway process at start
 *   (the last start's settings win; they are the same on every replica of a deployment);
 * - `job_run`: one row per attempt, scheduled or run by hand: when it started and ended, its
 *   outcome, the rows it affected or the error it failed with, and which process ran it. A
 *   scheduled attempt names its slot (the start of its interval: one slot, one job, however
 *   many processes scheduled it) and pg-boss's job (`queue_job_id`). Attempts older than the
 *   retention are deleted by the `prune-job-runs` job.
 */
export class Migration0024JobRuns extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table job_schedule (
  job_name text primary key,
  interval_seconds integer not null constraint job_schedule_interval_positive check (interval_seconds > 0),
  updated_at timestamptz not null default now()
);
create table job_run (
  id bigint generated always as identity primary key,
  job_name text not null,
  trigger text not null constraint job_run_trigger_known check (trigger in ('schedule', 'command')),
  slot_at timestamptz,
  queue_job_id uuid,
  attempt integer not null constraint job_run_attempt_positive check (attempt >= 1),
  started_at timestamptz not null default clock_timestamp(),
  finished_at timestamptz,
  outcome text not null default 'running'
    constraint job_run_outcome_known check (outcome in ('running', 'succeeded', 'failed')),
  rows_affected bigint,
  error text,
  process text not null
);
create index job_run_by_job on job_run (job_name, started_at desc);
`);
  }
}
