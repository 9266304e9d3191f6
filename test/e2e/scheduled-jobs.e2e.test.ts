import { JobRuns } from '../../gateway/jobs/job-runs';
import type { JobDefinition } from '../../gateway/jobs/registry';
import { type JobScheduler, startJobs } from '../../gateway/jobs/scheduler';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * The scheduled jobs on pg-boss, in this process over a real database (the two-process test is
 * test/e2e/replicas.e2e.test.ts): a failing attempt is retried with backoff, a stuck one is
 * given up and retried, and every attempt is visible to the operator. Nothing waits on the
 * clock: each step polls the database until the attempts it expects are recorded.
 */
let gateway: TestGateway;
const schedulers: JobScheduler[] = [];

beforeAll(async () => {
  gateway = await createTestGateway({ demo: false });
});
afterAll(async () => {
  await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
  await gateway?.close();
});

async function start(definitions: JobDefinition[]): Promise<void> {
  schedulers.push(
    await startJobs({
      app: gateway.app,
      settings: { sweepIntervalMs: 0 },
      log: () => undefined,
      definitions,
      retries: { limit: 3, delaySeconds: 1 },
      pollingIntervalSeconds: 0.5,
    }),
  );
}

/** Polls until `jobName` has a succeeded attempt; returns its attempts, oldest first. */
async function attemptsUntilSuccess(jobName: string) {
  const runs = new JobRuns(gateway.app.db);
  for (;;) {
    const recent = await runs.recent({ jobName, limit: 10 });
    if (recent.some((run) => run.outcome === 'succeeded')) return recent.reverse();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A job of one slot an hour long: it runs once in the test, then only its retries. */
function hourly(name: string, run: JobDefinition['run'], timeoutMs = 60_000): JobDefinition {
  return { name, description: `test job ${name}`, intervalMs: () => 3_600_000, timeoutMs, run };
}

describe('scheduled jobs', () => {
  it('retries a job that throws, with its failures visible to the operator', async () => {
    let calls = 0;
    await start([
      hourly('flaky', async () => {
        calls++;
        if (calls < 3) throw new Error(`flaky failure ${calls}`);
        return 7;
      }),
    ]);
    const attempts = await attemptsUntilSuccess('flaky');
    expect(attempts.map((run) => [run.attempt, run.outcome, run.error, run.rowsAffected])).toEqual([
      [1, 'failed', 'flaky failure 1', null],
      [2, 'failed', 'flaky failure 2', null],
      [3, 'succeeded', null, 7n],
    ]);
    // One slot, one queued job: the retries are attempts of the same job.
    expect(new Set(attempts.map((run) => run.slotAt?.toISOString())).size).toBe(1);
    expect(attempts[0]!.slotAt).not.toBeNull();
    // Backoff: each retry started after the previous attempt ended, a second later at least.
    for (let index = 1; index < attempts.length; index++) {
      const waitedMs =
        attempts[index]!.startedAt.getTime() - attempts[index - 1]!.finishedAt!.getTime();
      expect(waitedMs).toBeGreaterThanOrEqual(500);
    }

    const operator = await gateway.token('operator', 'admin');
    const answer = await gateway.graphql(
      operator,
      '{ jobRuns(jobName: "flaky", first: 5) { jobName trigger attempt outcome error rowsAffected process } }',
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.jobRuns).toEqual([
      expect.objectContaining({ attempt: 3, outcome: 'succeeded', rowsAffected: '7', error: null }),
      expect.objectContaining({ attempt: 2, outcome: 'failed', error: 'flaky failure 2' }),
      expect.objectContaining({ attempt: 1, outcome: 'failed', error: 'flaky failure 1' }),
    ]);
    expect(answer.body.data.jobRuns[0].process).toMatch(/:\d+$/);
  });

  it('gives up an attempt that runs past its time and retries it', async () => {
    let calls = 0;
    await start([
      hourly(
        'stuck',
        async (_app, run) => {
          calls++;
          if (calls > 1) return 1;
          // The first attempt hangs until it is given up; its next batch then stops it.
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          run.progress(1);
          return 99;
        },
        500,
      ),
    ]);
    const attempts = await attemptsUntilSuccess('stuck');
    expect(attempts.map((run) => [run.attempt, run.outcome, run.rowsAffected])).toEqual([
      [1, 'failed', null],
      [2, 'succeeded', 1n],
    ]);
    expect(attempts[0]!.error).toBe('job stuck ran for over 500 ms and was given up');
  });

  it('lists every registered job for the operator, and no one else', async () => {
    const operator = await gateway.token('operator', 'admin');
    const answer = await gateway.graphql(
      operator,
      '{ scheduledJobs { name description intervalSeconds nextRunAt lastRun { outcome } } }',
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.scheduledJobs.map((job: { name: string }) => job.name)).toEqual([
      'mature',
      'expire',
      'holds',
      'quotes',
      'tiers',
      'referrals',
      'survey-rewards',
      'points-expiring',
      'segments',
      'prune-webhook-events',
      'prune-job-runs',
    ]);
    const member = await gateway.token('member', 'mbr_alice');
    const refused = await gateway.graphql(member, '{ scheduledJobs { name } }');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
