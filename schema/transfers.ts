import 'reflect-metadata';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Money, PageInfo } from './common';
import { Int64 } from './scalars';

export enum TransferCode {
  earn = 'earn',
  redeem = 'redeem',
  refund = 'refund',
  mature = 'mature',
  expire = 'expire',
  hold = 'hold',
  post = 'post',
  void = 'void',
  cancel = 'cancel',
  convert = 'convert',
  fee = 'fee',
  adjust = 'adjust',
  settle = 'settle',
}
registerEnumType(TransferCode, {
  name: 'TransferCode',
  description: 'Why points moved.',
  valuesConfig: {
    earn: { description: 'Awarded by a partner for a purchase.' },
    redeem: { description: 'Spent at a partner.' },
    refund: {
      description: 'A purchase was refunded: earned points taken back, spent points returned.',
    },
    mature: { description: 'Pending points became spendable.' },
    expire: { description: 'Points reached their expiry date.' },
    hold: { description: 'Points reserved for a redemption awaiting confirmation.' },
    post: { description: 'A held redemption was confirmed.' },
    void: { description: 'A held redemption was declined or timed out; the points came back.' },
    cancel: {
      description:
        'A confirmed redemption was cancelled by its partner (a cancelled flight or stay); the points came back with their original expiry.',
    },
    convert: { description: 'Points exchanged into another program’s currency.' },
    fee: { description: 'A fee charged in points.' },
    adjust: { description: 'A correction posted by finance.' },
    settle: { description: 'A settlement between partners.' },
  },
});

export enum PostingKind {
  posted = 'posted',
  pending = 'pending',
  post_pending = 'post_pending',
  void_pending = 'void_pending',
}
registerEnumType(PostingKind, {
  name: 'PostingKind',
  description: 'How a posting moves points (TigerBeetle’s two-phase model).',
  valuesConfig: {
    posted: { description: 'Moved at once.' },
    pending: {
      description: 'Reserved: not yet spendable by the target, not spendable by the source.',
    },
    post_pending: { description: 'A reservation completed.' },
    void_pending: { description: 'A reservation released.' },
  },
});

@ObjectType({ description: 'An account a posting moved points from or to.' })
export class AccountSummary {
  @Field(() => ID, { description: 'Account id, e.g. "acc_42".' })
  id!: string;

  @Field({ description: 'member, issuance, redemption, breakage, liquidity or adjustment.' })
  kind!: string;

  @Field(() => ID, { nullable: true, description: 'The member, for a member account.' })
  memberId!: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The partner, for issuance and redemption accounts.',
  })
  partnerId!: string | null;
}

@ObjectType({ description: 'One movement of points between two accounts of one currency.' })
export class Posting {
  @Field(() => PostingKind)
  kind!: PostingKind;

  @Field({ description: 'The program currency code.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points moved; always positive.' })
  amount!: bigint;

  @Field(() => AccountSummary)
  source!: AccountSummary;

  @Field(() => AccountSummary)
  target!: AccountSummary;
}

@ObjectType({ description: 'An immutable record of points moving, with why (its code).' })
export class Transfer {
  @Field(() => ID, { description: 'e.g. "trf_01jd..."' })
  id!: string;

  @Field(() => TransferCode)
  code!: TransferCode;

  @Field(() => ID, { nullable: true })
  partnerId!: string | null;

  @Field(() => ID, { nullable: true })
  memberId!: string | null;

  @Field(() => String, { nullable: true, description: 'The partner’s own id of the operation.' })
  reference!: string | null;

  @Field(() => ID, { nullable: true, description: 'The transfer this one follows up.' })
  relatedTransferId!: string | null;

  @Field(() => Money, { nullable: true, description: 'The purchase (or refunded amount).' })
  purchase!: Money | null;

  @Field({ description: 'What happened, in a sentence.' })
  description!: string;

  @Field()
  createdAt!: Date;

  @Field(() => [Posting], { description: 'The movements; each balances by itself.' })
  postings!: Posting[];
}

@ObjectType({ description: 'A page of transfers, newest first.' })
export class TransferConnection {
  @Field(() => [Transfer])
  nodes!: Transfer[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'An account with its running totals (operator view).' })
export class AccountDetails {
  @Field(() => ID, { description: 'e.g. "acc_42".' })
  id!: string;

  @Field({ description: 'member, issuance, redemption, breakage, liquidity or adjustment.' })
  kind!: string;

  @Field({ description: 'The program currency code.' })
  currency!: string;

  @Field(() => ID, { nullable: true })
  memberId!: string | null;

  @Field(() => ID, { nullable: true })
  partnerId!: string | null;

  @Field(() => Int64)
  debitsPosted!: bigint;

  @Field(() => Int64)
  creditsPosted!: bigint;

  @Field(() => Int64)
  debitsPending!: bigint;

  @Field(() => Int64)
  creditsPending!: bigint;

  @Field(() => Int64, {
    description: 'creditsPosted - debitsPosted (negative for accounts that issue).',
  })
  balance!: bigint;
}
