import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { Money } from './common';
import { Int64 } from './scalars';

@ObjectType({
  description:
    'What a program owes its members: the points they hold (outstanding) at the operator’s reference value.',
})
export class ProgramLiability {
  @Field({ description: 'The program currency code, e.g. "SKY".' })
  currency!: string;

  @Field(() => ID, { description: 'The partner that owns the program.' })
  ownerPartnerId!: string;

  @Field(() => Int64, { description: 'Members’ spendable points.' })
  availablePoints!: bigint;

  @Field(() => Int64, { description: 'Earned, not yet matured.' })
  pendingPoints!: bigint;

  @Field(() => Int64, { description: 'Reserved by redemptions awaiting a partner.' })
  heldPoints!: bigint;

  @Field(() => Int64, { description: 'available + pending + held: the points still owed.' })
  outstandingPoints!: bigint;

  @Field(() => Int64, { description: 'Members holding any of them.' })
  memberCount!: bigint;

  @Field(() => Int64, {
    nullable: true,
    description: 'Millionths of the reference unit (EUR) per point; null when none is set.',
  })
  valueMicros!: bigint | null;

  @Field(() => Money, {
    nullable: true,
    description:
      'outstandingPoints x the reference value, rounded down to the cent; null when the currency has no reference value.',
  })
  value!: Money | null;
}
