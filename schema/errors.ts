import 'reflect-metadata';
import {
  type ClassType,
  createUnionType,
  Field,
  ID,
  InterfaceType,
  ObjectType,
  registerEnumType,
} from 'type-graphql';
import * as exchangeErrors from '../gateway/exchange/errors';
import * as federationErrors from '../gateway/federation/errors';
import * as feedbackErrors from '../gateway/feedback/errors';
import * as ledgerErrors from '../gateway/ledger/errors';
import * as offerErrors from '../gateway/offers/errors';
import * as programErrors from '../gateway/programs/errors';
import * as ruleErrors from '../gateway/rules/errors';
import * as settlementErrors from '../gateway/settlement/errors';
import type { DomainError, ErrorClass, ErrorField } from '../gateway/shared/errors';
import * as sharedErrors from '../gateway/shared/errors';
import * as tierErrors from '../gateway/tiers/errors';
import { Int64 } from './scalars';

/**
 * Expected failures are typed results in the schema, not strings in `errors`: a client switches
 * on `__typename` (or `code`) and reads the fields it needs to act.
 *
 * The result types are built from the domain errors themselves: every error class a module
 * exports from its `errors.ts` (with its code and result shape) becomes `<Name>Error`, its code a
 * value of ErrorCode. An operation's result union is built from the one list of errors its
 * service declares (resultUnion), so adding an error touches its module and nothing else.
 */

/** Every error code, filled from the registered error classes below (the enum's values). */
export const ErrorCode: Record<string, string> = {};

@InterfaceType({
  description: 'An expected failure of a mutation. When one is returned, nothing was written.',
})
export abstract class ErrorResult {
  @Field(() => ErrorCode, { description: 'A stable code to switch on.' })
  code!: string;

  @Field({ description: 'A human-readable explanation, for logs and operators.' })
  message!: string;
}

/** Why a new leg of a purchase was refused. */
export enum TransactionConflictReason {
  ANOTHER_MEMBER = 'another_member',
  ALREADY_EARNED = 'already_earned',
  ALREADY_PAID = 'already_paid',
  ALREADY_REFUNDED = 'already_refunded',
}
registerEnumType(TransactionConflictReason, {
  name: 'TransactionConflictReason',
  description: 'Why a new earn or payment under a transaction id was refused.',
  valuesConfig: {
    ANOTHER_MEMBER: {
      description: 'The transaction id already has an earn or payment of another member.',
    },
    ALREADY_EARNED: {
      description: 'The transaction id already earned points (one earn per purchase).',
    },
    ALREADY_PAID: {
      description: 'The transaction id was already paid (one payment per purchase).',
    },
    ALREADY_REFUNDED: {
      description: 'The purchase was refunded: it takes no new earn or payment.',
    },
  },
});

const fieldTypes: Record<ErrorField['type'], () => unknown> = {
  String: () => String,
  ID: () => ID,
  Int64: () => Int64,
  DateTime: () => Date,
  '[String]': () => [String],
  TransactionConflictReason: () => TransactionConflictReason,
};

/** `<Name>Error`: the GraphQL object type of a domain error class, built from its result shape. */
function buildErrorResultType(errorClass: ErrorClass): ClassType<ErrorResult> {
  const name = `${errorClass.name}Error`;
  const type = { [name]: class extends ErrorResult {} }[name]!;
  for (const [field, shape] of Object.entries(errorClass.result.fields)) {
    Field(fieldTypes[shape.type] as () => unknown as never, {
      nullable: shape.nullable ?? false,
      ...(shape.description ? { description: shape.description } : {}),
    })(type.prototype, field);
  }
  ObjectType(name, { implements: ErrorResult, description: errorClass.result.description })(type);
  return type;
}

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && 'result' in value && 'code' in value;
}

/** Every module's error classes: whatever its errors.ts exports with a result shape. */
const errorClasses = [
  sharedErrors,
  ledgerErrors,
  programErrors,
  exchangeErrors,
  federationErrors,
  settlementErrors,
  tierErrors,
  ruleErrors,
  feedbackErrors,
  offerErrors,
].flatMap((module) => Object.values(module).filter(isErrorClass));

const resultTypeByClass = new Map<ErrorClass, ClassType<ErrorResult>>();
const resultTypeByCode = new Map<string, ClassType<ErrorResult>>();
for (const errorClass of errorClasses) {
  const type = buildErrorResultType(errorClass);
  resultTypeByClass.set(errorClass, type);
  resultTypeByCode.set(errorClass.code, type);
  ErrorCode[errorClass.code] = errorClass.code;
}
registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description: 'Why an operation was refused. Nothing was written when one is returned.',
});

/** The result object of a domain error: its result type, carrying its fields and message. */
export function errorResultOf(error: DomainError): ErrorResult | undefined {
  const type = resultTypeByCode.get(error.code);
  return type && Object.assign(new type(), { ...error }, { message: error.message });
}

/** The names of an operation's error result types, for its description. */
export function errorsDoc(errors: readonly ErrorClass[]): string {
  return `Errors: ${errors.map((errorClass) => `${errorClass.name}Error`).join(', ')}.`;
}

/**
 * An operation's result: its success type, or one of the errors its service lists (the same
 * list types the service's return value, through failsWith). The description names the errors.
 */
export function resultUnion<Success extends ClassType>(options: {
  name: string;
  /** The union's description; the errors' names are appended. */
  description: string;
  success: Success;
  errors: readonly ErrorClass[];
}) {
  const types = options.errors.map((errorClass) => {
    const type = resultTypeByClass.get(errorClass);
    if (!type) throw new Error(`${errorClass.name} is not exported by its module's errors.ts`);
    return type;
  });
  return createUnionType({
    name: options.name,
    description: `${options.description} ${errorsDoc(options.errors)}`,
    types: () => [options.success, ...types] as const,
  });
}
