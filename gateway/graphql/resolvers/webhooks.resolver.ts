import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { PageInfo } from '../../../schema/common';
import { errorsDoc } from '../../../schema/errors';
import { Int64 } from '../../../schema/scalars';
import {
  ChangeWebhookSubscriptionResult,
  CreateWebhookSubscriptionInput,
  CreateWebhookSubscriptionResult,
  ReplayWebhookSubscriptionResult,
  RetryWebhookDeadLettersResult,
  RetryWebhookDeadLettersSuccess,
  WebhookDeadLetter,
  WebhookDeadLetterPage,
  WebhookSubscription,
  WebhookSubscriptionSuccess,
} from '../../../schema/webhooks';
import {
  changeSubscriptionErrors,
  createSubscriptionErrors,
  type DeadLetterPage,
  deadLetterErrors,
  replaySubscriptionErrors,
  type WebhookSubscription as SubscriptionRecord,
} from '../../webhooks/subscriptions';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';
import { queryValue } from '../settlement-mappers';

/** Partners' webhook subscriptions. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class WebhookResolver {
  @Authorized('partner', 'operator')
  @Query(() => [WebhookSubscription], {
    description:
      'Webhook subscriptions, oldest first: a partner’s own; the operator’s list has every partner’s (or `partnerId`’s).',
  })
  async webhookSubscriptions(
    @Arg('partnerId', () => ID, {
      nullable: true,
      description: 'The operator: only this partner’s. Ignored for a partner.',
    })
    partnerId: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return (await ctx.app.webhooks.list(ctx.request, { partnerId })).map(subscriptionObject);
  }

  @Authorized('partner', 'operator')
  @Query(() => WebhookDeadLetterPage, {
    description: `A subscription’s dead letters, oldest position first (a partner: its own subscriptions only). ${errorsDoc(deadLetterErrors)}`,
  })
  async webhookDeadLetters(
    @Arg('subscriptionId', () => ID, { description: 'The subscription.' }) subscriptionId: string,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size (at most 100).' })
    first: number,
    @Arg('after', () => String, { nullable: true, description: 'The previous page’s endCursor.' })
    after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const page = queryValue<DeadLetterPage>(
      await ctx.app.webhooks.deadLetters(ctx.request, subscriptionId, { first, after }),
    );
    return Object.assign(new WebhookDeadLetterPage(), {
      deadLetters: page.deadLetters.map((letter) => Object.assign(new WebhookDeadLetter(), letter)),
      pageInfo: Object.assign(new PageInfo(), {
        endCursor: page.endCursor,
        hasNextPage: page.hasNextPage,
      }),
    });
  }

  @Authorized('partner')
  @Mutation(() => CreateWebhookSubscriptionResult, {
    description: `The calling partner subscribes a URL to its events of the given types, from the next event on (audited). ${errorsDoc(createSubscriptionErrors)}`,
  })
  createWebhookSubscription(
    @Arg('input') input: CreateWebhookSubscriptionInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.webhooks.create(ctx.request, input), success);
  }

  @Authorized('partner')
  @Mutation(() => ChangeWebhookSubscriptionResult, {
    description: `Pauses delivery to one of the caller’s subscriptions; events keep accumulating after its cursor (audited). ${errorsDoc(changeSubscriptionErrors)}`,
  })
  pauseWebhookSubscription(
    @Arg('id', () => ID, { description: 'The subscription.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.webhooks.setStatus(ctx.request, id, 'paused'), success);
  }

  @Authorized('partner')
  @Mutation(() => ChangeWebhookSubscriptionResult, {
    description: `Resumes delivery from the subscription’s cursor (audited). ${errorsDoc(changeSubscriptionErrors)}`,
  })
  resumeWebhookSubscription(
    @Arg('id', () => ID, { description: 'The subscription.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.webhooks.setStatus(ctx.request, id, 'active'), success);
  }

  @Authorized('partner')
  @Mutation(() => ChangeWebhookSubscriptionResult, {
    description: `Deletes one of the caller’s subscriptions: nothing more is delivered to it (audited). ${errorsDoc(changeSubscriptionErrors)}`,
  })
  deleteWebhookSubscription(
    @Arg('id', () => ID, { description: 'The subscription.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.webhooks.delete(ctx.request, id), success);
  }

  @Authorized('partner')
  @Mutation(() => ReplayWebhookSubscriptionResult, {
    description: `Replays a subscription from a position: exactly its events after \`afterPosition\` are delivered again, in order (audited). ${errorsDoc(replaySubscriptionErrors)}`,
  })
  replayWebhookSubscription(
    @Arg('id', () => ID, { description: 'The subscription.' }) id: string,
    @Arg('afterPosition', () => Int64, {
      description: 'Deliver the events after this position (0: from the start of the outbox).',
    })
    afterPosition: bigint,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.webhooks.replay(ctx.request, id, afterPosition), success);
  }

  @Authorized('partner')
  @Mutation(() => RetryWebhookDeadLettersResult, {
    description: `Delivers dead letters again (all of the subscription’s, or the positions given), before new events; those delivered leave the list (audited). ${errorsDoc(deadLetterErrors)}`,
  })
  retryWebhookDeadLetters(
    @Arg('subscriptionId', () => ID, { description: 'The subscription.' }) subscriptionId: string,
    @Arg('positions', () => [Int64], {
      nullable: true,
      description: 'Only these dead letters (at most 1,000); all when omitted.',
    })
    positions: bigint[] | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.webhooks.retryDeadLetters(ctx.request, subscriptionId, positions),
      (requested) => Object.assign(new RetryWebhookDeadLettersSuccess(), { requested }),
    );
  }
}

function subscriptionObject(record: SubscriptionRecord): WebhookSubscription {
  return Object.assign(new WebhookSubscription(), record);
}

function success(record: SubscriptionRecord): WebhookSubscriptionSuccess {
  return Object.assign(new WebhookSubscriptionSuccess(), {
    subscription: subscriptionObject(record),
  });
}
