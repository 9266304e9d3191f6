import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { PageInfo } from './common';

@ObjectType({ description: 'Who made a recorded change.' })
export class AuditActor {
  @Field({ description: 'The kind of caller: operator, finance, partner, member or system.' })
  kind!: string;

  @Field({ description: 'The caller’s id: a user id, a partner id (ptr_...) or a member id.' })
  id!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The partner a finance user works for; null for everyone else.',
  })
  partnerId!: string | null;
}

@ObjectType({
  description:
    'One configuration change, recorded in the same transaction as the change itself. The log is append-only.',
})
export class AuditEntry {
  @Field(() => ID, { description: 'The entry; larger ids are later.' })
  id!: string;

  @Field({ description: 'When the change was made.' })
  occurredAt!: Date;

  @Field(() => AuditActor, { description: 'Who made it.' })
  actor!: AuditActor;

  @Field({
    description:
      'What kind of configuration changed: exchange_rate, exchange_promotion, liquidity_floor, reference_value, settlement_agreement, settlement_period, partner_service, partner, currency, partner_currency, member (erasure)...',
  })
  entityType!: string;

  @Field({ description: 'Which one (a composite key joined with ":", e.g. "HTL:SKY").' })
  entityId!: string;

  @Field({ description: 'What happened: create, update, add_version, set, register, erase...' })
  action!: string;

  @Field(() => [ID], { description: 'The partners whose configuration this is.' })
  partnerIds!: string[];

  @Field(() => String, {
    nullable: true,
    description: 'The configuration before the change, as JSON text; null when there was none.',
  })
  before!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The configuration after the change, as JSON text; null when none is left.',
  })
  after!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The id of the request that made it, to find its log lines.',
  })
  requestId!: string | null;
}

@ObjectType({ description: 'A page of the audit log, newest first.' })
export class AuditLogPage {
  @Field(() => [AuditEntry], { description: 'The entries of this page.' })
  entries!: AuditEntry[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;
}
