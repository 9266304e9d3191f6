import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  changeSubscriptionErrors,
  createSubscriptionErrors,
  deadLetterErrors,
  replaySubscriptionErrors,
} from '../gateway/webhooks/subscriptions';
import { PageInfo } from './common';
import { resultUnion } from './errors';
import { Int64 } from './scalars';

@InputType({ description: 'A new webhook subscription of the calling partner.' })
export class CreateWebhookSubscriptionInput {
  @Field({
    description:
      'Where deliveries are POSTed (http or https, no credentials in it; at most 2,000 characters).',
  })
  url!: string;

  @Field(() => [String], {
    description:
      'The event types delivered: points.earned, points.spent, points.refunded, points.expiring, member.enrolled, member.linked, tier.changed, hold.voided, period.closed, statement.ready.',
  })
  eventTypes!: string[];
}

@ObjectType({
  description:
    'Where a partner receives its events: each delivery is a POST of one JWS (ES256, the gateway’s key at /.well-known/gateway-jwks.json) holding a batch of events in order.',
})
export class WebhookSubscription {
  @Field(() => ID, { description: 'The subscription (whs_...).' })
  id!: string;

  @Field(() => ID, { description: 'The partner whose events it receives.' })
  partnerId!: string;

  @Field({ description: 'Where deliveries are POSTed.' })
  url!: string;

  @Field(() => [String], { description: 'The event types delivered.' })
  eventTypes!: string[];

  @Field({ description: 'active (delivering) or paused.' })
  status!: string;

  @Field(() => Int64, {
    description:
      'Every event at or before this position was delivered or went to the dead-letter list.',
  })
  cursor!: bigint;

  @Field(() => Int64, {
    nullable: true,
    description: 'A replay asked for and not started yet: delivery restarts after this position.',
  })
  replayAfter!: bigint | null;

  @Field(() => Int, { description: 'Failed attempts at the next batch so far.' })
  attempts!: number;

  @Field({ description: 'When the next attempt may be made (backoff after failures).' })
  nextAttemptAt!: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the last attempt failed (an HTTP status or a network error); null after a success.',
  })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When a delivery last succeeded.' })
  lastDeliveredAt!: Date | null;

  @Field(() => Int, { description: 'Events in its dead-letter list.' })
  deadLetterCount!: number;

  @Field({ description: 'When it was created.' })
  createdAt!: Date;

  @Field({ description: 'When it was last changed (paused, resumed, replayed...).' })
  updatedAt!: Date;
}

@ObjectType({
  description:
    'An event given up after its delivery attempts ran out; `retryWebhookDeadLetters` delivers it again.',
})
export class WebhookDeadLetter {
  @Field(() => ID, { description: 'The event (evt_...), as delivered.' })
  eventId!: string;

  @Field(() => Int64, { description: 'Its position in the outbox.' })
  position!: bigint;

  @Field({ description: 'Its type, e.g. points.earned.' })
  type!: string;

  @Field(() => ID, { nullable: true, description: 'The member it is about, if any.' })
  memberId!: string | null;

  @Field({ description: 'When the change it reports happened.' })
  occurredAt!: Date;

  @Field(() => Int, { description: 'Delivery attempts made.' })
  attempts!: number;

  @Field({ description: 'Why the last attempt failed.' })
  lastError!: string;

  @Field({ description: 'When it was given up (again).' })
  deadAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When a retry was asked for; null when none is waiting.',
  })
  retryRequestedAt!: Date | null;
}

@ObjectType({ description: 'A page of a subscription’s dead letters, oldest position first.' })
export class WebhookDeadLetterPage {
  @Field(() => [WebhookDeadLetter], { description: 'The dead letters of this page.' })
  deadLetters!: WebhookDeadLetter[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'The subscription after the change.' })
export class WebhookSubscriptionSuccess {
  @Field(() => WebhookSubscription, { description: 'The subscription as it is now.' })
  subscription!: WebhookSubscription;
}

@ObjectType({ description: 'A retry of dead letters was asked for.' })
export class RetryWebhookDeadLettersSuccess {
  @Field(() => Int, { description: 'The dead letters that will be delivered again.' })
  requested!: number;
}

export const CreateWebhookSubscriptionResult = resultUnion({
  name: 'CreateWebhookSubscriptionResult',
  description: 'WebhookSubscriptionSuccess, or why nothing was created.',
  success: WebhookSubscriptionSuccess,
  errors: createSubscriptionErrors,
});

export const ChangeWebhookSubscriptionResult = resultUnion({
  name: 'ChangeWebhookSubscriptionResult',
  description: 'WebhookSubscriptionSuccess, or why nothing changed.',
  success: WebhookSubscriptionSuccess,
  errors: changeSubscriptionErrors,
});

export const ReplayWebhookSubscriptionResult = resultUnion({
  name: 'ReplayWebhookSubscriptionResult',
  description: 'WebhookSubscriptionSuccess, or why no replay was asked for.',
  success: WebhookSubscriptionSuccess,
  errors: replaySubscriptionErrors,
});

export const RetryWebhookDeadLettersResult = resultUnion({
  name: 'RetryWebhookDeadLettersResult',
  description: 'RetryWebhookDeadLettersSuccess, or why no retry was asked for.',
  success: RetryWebhookDeadLettersSuccess,
  errors: deadLetterErrors,
});
