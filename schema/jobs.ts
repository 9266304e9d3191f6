import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';
import { Int64 } from './scalars';

@ObjectType({
  description:
    'One attempt of a scheduled job (a sweep), run by the schedule or by hand (`npm run jobs`).',
})
export class JobRun {
  @Field({ description: 'The job, e.g. "mature", "expire", "holds", "quotes".' })
  jobName!: string;

  @Field({ description: '"schedule", or "command" for a run by hand.' })
  trigger!: string;

  @Field({
    nullable: true,
    description:
      'The start of the interval a scheduled run belongs to: one job per interval, however many gateway processes run.',
  })
  slotAt?: Date;

  @Field(() => Int, { description: '1 for the first attempt, 2 for its first retry, and so on.' })
  attempt!: number;

  @Field({ description: 'When the attempt started.' })
  startedAt!: Date;

  @Field({ nullable: true, description: 'When it ended; null while it runs.' })
  finishedAt?: Date;

  @Field({ description: '"running", "succeeded" or "failed".' })
  outcome!: string;

  @Field(() => Int64, { nullable: true, description: 'Rows it changed, once it succeeded.' })
  rowsAffected?: bigint;

  @Field({ nullable: true, description: 'Why it failed (it is retried with backoff).' })
  error?: string;

  @Field({ description: 'The process that ran it, as host:pid.' })
  process!: string;
}

@ObjectType({ description: 'A kind of scheduled work, its schedule and what it did last.' })
export class ScheduledJob {
  @Field({ description: 'Its name, also the `npm run jobs` command for it.' })
  name!: string;

  @Field({ description: 'What it does.' })
  description!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds between runs; null when no gateway process schedules it.',
  })
  intervalSeconds?: number;

  @Field(() => JobRun, { nullable: true, description: 'Its latest attempt, whatever the outcome.' })
  lastRun?: JobRun;

  @Field({
    nullable: true,
    description:
      'When it runs next: a retry’s start after a failure, else the start of the next interval.',
  })
  nextRunAt?: Date;
}
