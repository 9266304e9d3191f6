import type { App } from '../app';
import { appendExpiryReminders, expiryNoticeDaysDefault } from '../webhooks/expiry-reminders';
import { pruneWebhookEvents, webhookEventRetentionDays } from '../webhooks/pruning';
import { JobRuns, jobRunRetentionDays } from './job-runs';

/** What a job's handler is given for one run. */
export interface JobRun {
  /** The business time the run acts as of: now, or `--as-of` on the command line. */
  asOf: Date;
  /**
   * Reports progress (rows done so far). Throws once the run's time is up, so a sweep that
   * works in batches stops at its next batch instead of running on after it was given up.
   */
  progress(done: number): void;
}

/**
 * One kind of scheduled work. Adding a job type is one entry in `jobDefinitions` below: the
 * scheduler creates its queue, schedules it once per interval across every gateway process,
 * retries it with backoff and records each attempt (`jobRuns`, `npm run jobs -- status`); the
 * command line runs it by name. The handler must be idempotent (a retry, or a run by hand at
 * the same time, repeats it) and must return how many rows it changed.
 */
export interface JobDefinition {
  /** The queue's name and the command-line name (lower case, no spaces). */
  name: string;
  /** What it does, for the command line's usage and the status listing. */
  description: string;
  /** How often it runs, from the settings (SWEEP_INTERVAL_MS for the sweeps); 0: never. */
  intervalMs(settings: JobSettings): number;
  /** How long one attempt may take before it is given up and retried. */
  timeoutMs: number;
  /** Does the work; returns the rows affected. */
  run(app: App, run: JobRun): Promise<number>;
}

/** The settings schedules are read from (Config's subset). */
export interface JobSettings {
  sweepIntervalMs: number;
}

/** A sweep works through its rows in batches: a quarter of an hour is plenty. */
const sweepTimeoutMs = 15 * 60_000;

/** A sweep: every SWEEP_INTERVAL_MS, a quarter of an hour per attempt at most. */
function sweep(name: string, description: string, run: JobDefinition['run']): JobDefinition {
  return {
    name,
    description,
    intervalMs: (settings) => settings.sweepIntervalMs,
    timeoutMs: sweepTimeoutMs,
    run,
  };
}

/**
 * Every job type, frozen. The sweeps are idempotent: each acts only on rows still due (a
 * pending earn not yet matured, a lot not yet expired, a hold not yet voided, a quote not yet
 * deleted, a tier not yet reviewed), so a second run of the same slot finds nothing left to do.
 */
export const jobDefinitions: readonly JobDefinition[] = Object.freeze([
  sweep('mature', 'pending earns whose maturity date has come become available', (app, run) =>
    app.ledger.matureDue(run.asOf, run.progress),
  ),
  sweep('expire', 'points whose lots have reached their expiry date expire', (app, run) =>
    app.ledger.expireDue(run.asOf, run.progress),
  ),
  sweep('holds', 'redemption holds past their confirmation deadline are voided', (app, run) =>
    app.ledger.voidExpiredHolds(run.asOf),
  ),
  sweep('quotes', 'unused conversion quotes expired over a day ago are deleted', (app, run) =>
    app.exchange.deleteExpiredQuotes(run.asOf, run.progress),
  ),
  sweep(
    'tiers',
    "members' tiers due for review are reviewed (downgrades at the review date, grants started or ended)",
    (app, run) => app.tiers.reviewDue(run.asOf, run.progress),
  ),
  sweep(
    'referrals',
    'referrals whose new member made a qualifying purchase reward both members, once',
    (app, run) => app.referrals.rewardDue(run.asOf),
  ),
  sweep(
    'survey-rewards',
    'survey answers whose member event was not recorded (a stop mid-answer) are rewarded',
    (app, run) =>
      app.surveyAnswers.recordPendingRewards(
        app.systemContext('survey-rewards'),
        run.asOf,
        run.progress,
      ),
  ),
  {
    // Hourly, so a day's reminders go out early in the day; idempotent per member, currency
    // and UTC day (the events' dedupe key), whatever the number of runs.
    name: 'points-expiring',
    description: `partners get one points.expiring event per member and currency with points expiring within ${expiryNoticeDaysDefault} days, once a day`,
    intervalMs: () => 3_600_000,
    timeoutMs: sweepTimeoutMs,
    run: (app, run) => appendExpiryReminders(app.db, run.asOf),
  },
  {
    // Hourly: membership is what a rule's segment condition and an offer's targeting read;
    // each run recomputes every segment as of its business time (idempotent).
    name: 'segments',
    description:
      "every partner's and the coalition's segments are recomputed from the transfers as of the run",
    intervalMs: () => 3_600_000,
    timeoutMs: sweepTimeoutMs,
    run: (app, run) => app.segments.refreshAll(run.asOf),
  },
  {
    name: 'prune-webhook-events',
    description: `webhook events over ${webhookEventRetentionDays} days old that every subscription of their partner has received are deleted`,
    intervalMs: () => 6 * 3_600_000,
    timeoutMs: sweepTimeoutMs,
    run: (app, run) => pruneWebhookEvents(app.db, run.asOf, run.progress),
  },
  {
    name: 'prune-job-runs',
    description: `job attempts recorded over ${jobRunRetentionDays} days ago are deleted`,
    intervalMs: () => 6 * 3_600_000,
    timeoutMs: 60_000,
    run: (app) => new JobRuns(app.db).prune(),
  },
]);

export function jobNamed(
  name: string,
  definitions: readonly JobDefinition[] = jobDefinitions,
): JobDefinition | undefined {
  return definitions.find((definition) => definition.name === name);
}
