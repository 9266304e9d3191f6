import 'reflect-metadata';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { decideReceiptErrors, registerReceiptErrors } from '../gateway/purchases/receipts';
import { Money, MoneyInput, PageInfo } from './common';
import { resultUnion } from './errors';

export enum ReceiptStatus {
  PENDING = 'pending',
  CONFIRMED = 'confirmed',
  REJECTED = 'rejected',
  MATCHED = 'matched',
}
registerEnumType(ReceiptStatus, {
  name: 'ReceiptStatus',
  description:
    'PENDING until the partner decides; CONFIRMED (it earned), REJECTED, or MATCHED to the purchase the partner had reported.',
});

@InputType({ description: 'A purchase the calling member made in store and registers afterwards.' })
export class RegisterReceiptInput {
  @Field(() => ID, { description: 'Where it was bought; the member’s card must be linked there.' })
  partnerId!: string;

  @Field({ description: 'The number printed on the receipt (the partner’s transaction id).' })
  receiptNumber!: string;

  @Field({ description: 'When it was bought (at most 90 days ago).' })
  purchasedAt!: Date;

  @Field(() => MoneyInput)
  amount!: MoneyInput;

  @Field({ description: 'The program currency to earn, e.g. "HTL".' })
  currency!: string;
}

@ObjectType({ description: 'A purchase registered by its member after the fact.' })
export class MemberReceipt {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  memberId!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field()
  receiptNumber!: string;

  @Field()
  purchasedAt!: Date;

  @Field(() => Money)
  amount!: Money;

  @Field()
  currency!: string;

  @Field(() => ReceiptStatus)
  status!: ReceiptStatus;

  @Field(() => ID, { nullable: true, description: 'The earn it gave, or the one it matched.' })
  transferId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the partner rejected it.' })
  reason!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  decidedAt!: Date | null;
}

@ObjectType({ description: 'A page of receipts, newest first.' })
export class MemberReceiptsPage {
  @Field(() => [MemberReceipt])
  nodes!: MemberReceipt[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'The receipt as it now stands.' })
export class ReceiptSuccess {
  @Field(() => MemberReceipt)
  receipt!: MemberReceipt;
}

export const RegisterReceiptResult = resultUnion({
  name: 'RegisterReceiptResult',
  description: 'ReceiptSuccess, or why nothing was registered.',
  success: ReceiptSuccess,
  errors: registerReceiptErrors,
});

export const DecideReceiptResult = resultUnion({
  name: 'DecideReceiptResult',
  description: 'ReceiptSuccess, or why the receipt was not decided.',
  success: ReceiptSuccess,
  errors: decideReceiptErrors,
});
