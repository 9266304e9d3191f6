import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { redeemVoucherErrors } from '../gateway/rules/vouchers';
import { PageInfo } from './common';
import { resultUnion } from './errors';

export enum VoucherReward {
  FREE_DELIVERY = 'free_delivery',
  FREE_PRODUCT = 'free_product',
  PERCENT_OFF = 'percent_off',
}
registerEnumType(VoucherReward, {
  name: 'VoucherReward',
  description: 'What a reward voucher gives when redeemed.',
  valuesConfig: {
    FREE_DELIVERY: { description: 'Free delivery of an order.' },
    FREE_PRODUCT: { description: 'One unit of a product (`sku`) free.' },
    PERCENT_OFF: { description: 'A percentage off the purchase it is redeemed on.' },
  },
});

export enum VoucherState {
  AVAILABLE = 'available',
  REDEEMED = 'redeemed',
  EXPIRED = 'expired',
  VOID = 'void',
}
registerEnumType(VoucherState, {
  name: 'VoucherState',
  description: 'Where a voucher stands.',
  valuesConfig: {
    AVAILABLE: { description: 'Can be redeemed until it expires.' },
    REDEEMED: {
      description: 'Redeemed on a transaction (a full refund of it restores the voucher).',
    },
    EXPIRED: { description: 'Past its expiry, unused.' },
    VOID: { description: 'The purchase that gave it was refunded in full before it was used.' },
  },
});

@ObjectType({ description: 'A single-use voucher an earning rule gave a member.' })
export class IssuedVoucher {
  @Field({
    description:
      'What the member shows to redeem it (12 letters and digits); empty in a preview, where no voucher is issued.',
  })
  code!: string;

  @Field(() => VoucherReward)
  reward!: VoucherReward;

  @Field(() => String, { nullable: true, description: 'The free product of FREE_PRODUCT.' })
  sku!: string | null;

  @Field(() => Int, { nullable: true, description: 'The percent off of PERCENT_OFF.' })
  percentOff!: number | null;

  @Field()
  expiresAt!: Date;
}

@ObjectType({
  description: 'A reward voucher, as its member, its partner and the operator see it.',
})
export class RewardVoucher extends IssuedVoucher {
  @Field(() => ID, {
    description: 'The partner where it is redeemed (the one whose purchase gave it).',
  })
  partnerId!: string;

  @Field(() => ID)
  memberId!: string;

  @Field({ description: 'The program currency of the rule that gave it.' })
  currency!: string;

  @Field(() => ID)
  ruleId!: string;

  @Field({ description: 'The receipt line that gave it.' })
  description!: string;

  @Field(() => ID, { description: 'The earn that gave it.' })
  transferId!: string;

  @Field()
  issuedAt!: Date;

  @Field(() => VoucherState)
  state!: VoucherState;

  @Field(() => Date, { nullable: true })
  redeemedAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'The partner’s transaction it was redeemed on.',
  })
  redeemedTransactionId!: string | null;
}

@ObjectType({ description: 'A page of vouchers, newest first.' })
export class RewardVouchersPage {
  @Field(() => [RewardVoucher])
  nodes!: RewardVoucher[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: 'A voucher the member shows at the calling partner.' })
export class RedeemVoucherInput {
  @Field({ description: 'The voucher’s code (any case; spaces and dashes are ignored).' })
  code!: string;

  @Field({
    description:
      'The partner’s transaction it is redeemed on: redeeming again on it answers the same redemption.',
  })
  transactionId!: string;
}

@ObjectType({ description: 'The voucher, redeemed on the transaction.' })
export class RedeemVoucherSuccess {
  @Field(() => RewardVoucher)
  voucher!: RewardVoucher;
}

export const RedeemVoucherResult = resultUnion({
  name: 'RedeemVoucherResult',
  description: 'RedeemVoucherSuccess, or why the voucher cannot be redeemed.',
  success: RedeemVoucherSuccess,
  errors: redeemVoucherErrors,
});
