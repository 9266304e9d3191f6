/**
 * A broken expectation of the code itself (never of the input): a bug. Thrown by invariant() and
 * required() with a sentence saying what was expected, where a non-null `!` would have let a
 * TypeError surface later and elsewhere. Reported as an internal error.
 */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/** Asserts what the code relies on, in the style of graphql-js's `invariant`. */
export function invariant(condition: unknown, expected: string): asserts condition {
  if (!condition) throw new InvariantViolation(`Invariant violated: ${expected}`);
}

/** `value`, which must exist here; `what` names it in the error if it does not. */
export function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) {
    throw new InvariantViolation(`Invariant violated: ${what} must exist`);
  }
  return value;
}
