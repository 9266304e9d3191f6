import 'reflect-metadata';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { designateCharityErrors, donateErrors } from '../gateway/redemptions/donations';
import { resultUnion } from './errors';
import { Int64 } from './scalars';

@InputType({ description: 'A gift of points from the calling member to a charity.' })
export class DonatePointsInput {
  @Field(() => ID, { description: 'The charity (a partner, see `charities`).' })
  charityId!: string;

  @Field({ description: 'The program currency given, which the charity accepts.' })
  currency!: string;

  @Field(() => Int64)
  points!: bigint;

  @Field({ description: 'The member’s own key for this gift: a retry with it gives once.' })
  idempotencyKey!: string;
}

@ObjectType({ description: 'A partner that accepts gifts of points.' })
export class Charity {
  @Field(() => ID)
  partnerId!: string;

  @Field()
  name!: string;

  @Field(() => [String], { description: 'The program currencies it accepts.' })
  currencies!: string[];

  @Field()
  designatedAt!: Date;
}

@ObjectType({ description: 'The points were given (or had been, for a retried request).' })
export class DonationSuccess {
  @Field(() => ID, { description: 'The gift: a redemption at the charity.' })
  transferId!: string;

  @Field(() => ID)
  memberId!: string;

  @Field(() => ID)
  charityId!: string;

  @Field()
  charityName!: string;

  @Field()
  currency!: string;

  @Field(() => Int64)
  points!: bigint;

  @Field()
  createdAt!: Date;
}

@ObjectType({ description: 'The charities after the change.' })
export class CharitiesSuccess {
  @Field(() => [Charity])
  charities!: Charity[];
}

export const DonatePointsResult = resultUnion({
  name: 'DonatePointsResult',
  description: 'DonationSuccess, or why nothing was given.',
  success: DonationSuccess,
  errors: donateErrors,
});

export const DesignateCharityResult = resultUnion({
  name: 'DesignateCharityResult',
  description: 'CharitiesSuccess, or why nothing changed.',
  success: CharitiesSuccess,
  errors: designateCharityErrors,
});
