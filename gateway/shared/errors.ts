import { InvariantViolation } from './invariant';

/**
 * Expected failures are values, not exceptions that reach the client as strings: each one has a
 * stable code and the fields a caller needs to act on it. The GraphQL layer maps each to a typed
 * error result (`InsufficientPointsError { needed available }`).
 *
 * Inside a transaction they are thrown, so the transaction rolls back and nothing is written;
 * service methods catch them at their boundary and return them.
 *
 * Each module owns its errors (`ledger/errors.ts`, `exchange/errors.ts`, `programs/errors.ts`,
 * `federation/errors.ts`, `settlement/errors.ts`); this file holds the base class and the
 * failures every module shares: invalid input, not found, already exists, forbidden.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

/**
 * How an error's field appears in its GraphQL result type. Plain data, so domain modules stay free
 * of GraphQL; schema/errors.ts builds the `<Name>Error` object types from it.
 */
export interface ErrorField {
  type: 'String' | 'ID' | 'Int64' | 'DateTime' | '[String]' | 'TransactionConflictReason';
  nullable?: boolean;
  description?: string;
}

/** An error's GraphQL result type: its description and its fields (named as the error's own). */
export interface ErrorResultShape {
  description: string;
  fields: Record<string, ErrorField>;
}

/**
 * An expected failure that an operation returns as a typed result: a DomainError class with its
 * stable code and its result shape. Operations list the ones they may return (`failsWith`).
 */
export interface ErrorClass<E extends DomainError = DomainError> {
  // biome-ignore lint/suspicious/noExplicitAny: error constructors take their own fields.
  new (...args: any[]): E;
  readonly name: string;
  readonly code: string;
  readonly result: ErrorResultShape;
}

/**
 * What an operation listing these errors may fail with: one of them, or Forbidden (any operation
 * may be refused to its caller; GraphQL answers it as a FORBIDDEN error, not a result).
 */
export type ErrorOf<List extends readonly ErrorClass[]> = InstanceType<List[number]> | Forbidden;

export class InvalidInput extends DomainError {
  static readonly code = 'INVALID_INPUT';
  static readonly result: ErrorResultShape = {
    description: 'A field of the input is not acceptable.',
    fields: {
      field: { type: 'String', description: 'The input field, e.g. "purchase.amount".' },
      reason: { type: 'String', description: 'What is wrong with it.' },
    },
  };
  readonly code = InvalidInput.code;
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export class NotFound extends DomainError {
  static readonly code = 'NOT_FOUND';
  static readonly result: ErrorResultShape = {
    description:
      'Nothing with this reference is visible to the caller (it may not exist, or belong to someone else).',
    fields: {
      entity: {
        type: 'String',
        description: 'What was looked for: member, partner, currency, purchase...',
      },
      reference: { type: 'String', description: 'The reference that was given.' },
    },
  };
  readonly code = NotFound.code;
  constructor(
    readonly entity:
      | 'member'
      | 'partner'
      | 'currency'
      | 'purchase'
      | 'transfer'
      | 'account'
      | 'quote'
      | 'hold'
      | 'reward'
      | 'period'
      | 'reconciliation'
      | 'exception'
      | 'earnRule'
      | 'receipt'
      | 'voucher'
      | 'referralCode'
      | 'survey'
      | 'webhookSubscription'
      | 'segment'
      | 'offer',
    readonly reference: string,
  ) {
    super(`No ${entity} "${reference}" visible to this caller`);
  }
}

export class AlreadyExists extends DomainError {
  static readonly code = 'ALREADY_EXISTS';
  static readonly result: ErrorResultShape = {
    description: 'Something with this reference already exists.',
    fields: {
      entity: { type: 'String', description: 'What already exists.' },
      reference: { type: 'String', description: 'Its reference.' },
    },
  };
  readonly code = AlreadyExists.code;
  constructor(
    readonly entity: string,
    readonly reference: string,
  ) {
    super(`${entity} "${reference}" already exists`);
  }
}

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Like catchDomainError, for an operation that may fail only with `errors` (its one list, from
 * which its GraphQL result union is also built): any other expected failure is a bug and fails
 * as an invariant violation. Forbidden is returned too (see ErrorOf).
 */
export async function failsWith<List extends readonly ErrorClass[], T>(
  errors: List,
  work: () => Promise<T | DomainError>,
): Promise<T | ErrorOf<List>> {
  let outcome: T | DomainError;
  try {
    outcome = await work();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    outcome = error;
  }
  if (!(outcome instanceof DomainError)) return outcome;
  if (outcome instanceof Forbidden) return outcome;
  if (errors.some((errorClass) => outcome instanceof errorClass)) return outcome as ErrorOf<List>;
  throw new InvariantViolation(
    `Invariant violated: an operation listing ${errors.map((e) => e.name).join(', ')} failed with ${outcome.code}: ${outcome.message}`,
  );
}

/** Returns the expected failure thrown by `work` as a value; anything else propagates. */
export async function catchDomainError<T>(work: () => Promise<T>): Promise<T | DomainError> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}
