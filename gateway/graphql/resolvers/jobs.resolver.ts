import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { JobRun, ScheduledJob } from '../../../schema/jobs';
import { type JobRunRecord, JobRuns } from '../../jobs/job-runs';
import { jobDefinitions, jobNamed } from '../../jobs/registry';
import type { GraphQLContext } from '../context';
import { badInput } from '../error-results';

/** Most attempts one `jobRuns` page returns. */
export const jobRunsPageMax = 100;

/** The scheduled jobs' status (the operator's). */
@Resolver()
export class JobsResolver {
  @Authorized('operator')
  @Query(() => [ScheduledJob], {
    description:
      'Every scheduled job: its interval, latest attempt and next run (operator). Jobs run once per interval across all gateway processes.',
  })
  async scheduledJobs(@Ctx() ctx: GraphQLContext): Promise<ScheduledJob[]> {
    const statuses = await new JobRuns(ctx.app.db).status(jobDefinitions.map((job) => job.name));
    return statuses.map((status) =>
      Object.assign(new ScheduledJob(), {
        name: status.jobName,
        description: jobNamed(status.jobName)?.description ?? '',
        intervalSeconds: status.intervalSeconds ?? undefined,
        lastRun: status.lastRun ? jobRunObject(status.lastRun) : undefined,
        nextRunAt: status.nextRunAt ?? undefined,
      }),
    );
  }

  @Authorized('operator')
  @Query(() => [JobRun], {
    description: 'The latest job attempts, newest first, of one job or all (operator).',
  })
  async jobRuns(
    @Ctx() ctx: GraphQLContext,
    @Arg('jobName', () => String, { nullable: true, description: 'Only this job’s attempts.' })
    jobName: string | undefined,
    @Arg('first', () => Int, { defaultValue: 20, description: `How many, 1-${jobRunsPageMax}.` })
    first: number,
  ): Promise<JobRun[]> {
    if (!Number.isInteger(first) || first < 1 || first > jobRunsPageMax) {
      throw badInput(`first must be between 1 and ${jobRunsPageMax}`);
    }
    const runs = await new JobRuns(ctx.app.db).recent({ jobName, limit: first });
    return runs.map(jobRunObject);
  }
}

function jobRunObject(record: JobRunRecord): JobRun {
  return Object.assign(new JobRun(), {
    ...record,
    slotAt: record.slotAt ?? undefined,
    finishedAt: record.finishedAt ?? undefined,
    rowsAffected: record.rowsAffected ?? undefined,
    error: record.error ?? undefined,
  });
}
