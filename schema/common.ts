import 'reflect-metadata';
import { Field, InputType, ObjectType } from 'type-graphql';
import { Int64 } from './scalars';

@ObjectType({ description: 'Where a page of a list ends and whether another follows.' })
export class PageInfo {
  @Field(() => String, {
    nullable: true,
    description: 'Pass as `after` to get the next page; null when the page is empty.',
  })
  endCursor!: string | null;

  @Field({ description: 'True when more items follow this page.' })
  hasNextPage!: boolean;
}

@ObjectType({ description: 'An amount of real money. Exact: never a float.' })
export class Money {
  @Field(() => Int64, { description: 'The amount in minor units (cents for EUR).' })
  amountMinor!: bigint;

  @Field({ description: 'The amount as a decimal string, e.g. "50.00".' })
  amount!: string;

  @Field({ description: 'ISO 4217 currency code, e.g. "EUR".' })
  currency!: string;
}

@InputType({ description: 'An amount of real money, e.g. { amount: "50.00", currency: "EUR" }.' })
export class MoneyInput {
  @Field({
    description:
      'A decimal string with at most the currency’s number of decimals ("50", "50.5", "50.00"; not "50.001" for EUR).',
  })
  amount!: string;

  @Field({ description: 'ISO 4217 currency code, e.g. "EUR".' })
  currency!: string;
}
