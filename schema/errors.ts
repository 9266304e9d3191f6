import 'reflect-metadata';
import { Field, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { Int64 } from './scalars';

/**
 * Expected failures are typed results in the schema, not strings in `errors`: a client switches
 * on `__typename` (or `code`) and reads the fields it needs to act.
 */
export enum ErrorCode {
  INVALID_INPUT = 'INVALID_INPUT',
  INSUFFICIENT_POINTS = 'INSUFFICIENT_POINTS',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  NOT_FOUND = 'NOT_FOUND',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  CURRENCY_NOT_SUPPORTED = 'CURRENCY_NOT_SUPPORTED',
  REFUND_EXCEEDS_PURCHASE = 'REFUND_EXCEEDS_PURCHASE',
  PERIOD_STATE_CONFLICT = 'PERIOD_STATE_CONFLICT',
  AGREEMENT_MISSING = 'AGREEMENT_MISSING',
}
registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description: 'Why an operation was refused. Nothing was written when one is returned.',
});

@InterfaceType({
  description: 'An expected failure of a mutation. When one is returned, nothing was written.',
})
export abstract class ErrorResult {
  @Field(() => ErrorCode, { description: 'A stable code to switch on.' })
  code!: ErrorCode;

  @Field({ description: 'A human-readable explanation, for logs and operators.' })
  message!: string;
}

@ObjectType({ implements: ErrorResult, description: 'A field of the input is not acceptable.' })
export class InvalidInputError extends ErrorResult {
  @Field({ description: 'The input field, e.g. "purchase.amount".' })
  field!: string;

  @Field({ description: 'What is wrong with it.' })
  reason!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The member does not have enough available points.',
})
export class InsufficientPointsError extends ErrorResult {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points the operation needs.' })
  needed!: bigint;

  @Field(() => Int64, { description: 'Points available now (pending and held points excluded).' })
  available!: bigint;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The idempotency key (or transaction id) was already used for a different request. Retrying the original request returns its original result.',
})
export class IdempotencyKeyReusedError extends ErrorResult {
  @Field({ description: 'The key that was reused.' })
  key!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'Nothing with this reference is visible to the caller (it may not exist, or belong to someone else).',
})
export class NotFoundError extends ErrorResult {
  @Field({ description: 'What was looked for: member, partner, currency, purchase...' })
  entity!: string;

  @Field({ description: 'The reference that was given.' })
  reference!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'Something with this reference already exists.',
})
export class AlreadyExistsError extends ErrorResult {
  @Field({ description: 'What already exists.' })
  entity!: string;

  @Field({ description: 'Its reference.' })
  reference!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The partner does not award, or does not accept, this program currency.',
})
export class CurrencyNotSupportedError extends ErrorResult {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field({ description: 'The partner.' })
  partnerId!: string;

  @Field({ description: '"earn" when awarding, "accept" when paying.' })
  use!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The refund is larger than what is left of the purchase.',
})
export class RefundExceedsPurchaseError extends ErrorResult {
  @Field(() => Int64, { description: 'The refund asked for, in minor units.' })
  requestedMinor!: bigint;

  @Field(() => Int64, { description: 'What can still be refunded, in minor units.' })
  refundableMinor!: bigint;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The settlement period is not in the state the operation needs (e.g. it has not ended, an earlier period is still open, or it is not closed yet).',
})
export class PeriodStateConflictError extends ErrorResult {
  @Field({ description: 'The period.' })
  periodId!: string;

  @Field({ description: 'Its status: "open" or "closed".' })
  status!: string;

  @Field({ description: 'What stands in the way.' })
  reason!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'A transfer of the period needs settlement terms that no agreement in force at its time gives. Nothing was closed.',
})
export class AgreementMissingError extends ErrorResult {
  @Field({ description: 'The partner whose agreement is missing.' })
  partnerId!: string;

  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field({ description: 'When the transfer was made.' })
  at!: Date;

  @Field({ description: 'The first transfer that needs the agreement.' })
  transferId!: string;
}

export const errorResultTypes = [
  InvalidInputError,
  InsufficientPointsError,
  IdempotencyKeyReusedError,
  NotFoundError,
  AlreadyExistsError,
  CurrencyNotSupportedError,
  RefundExceedsPurchaseError,
  PeriodStateConflictError,
  AgreementMissingError,
] as const;
