/**
 * Failures that say nothing about the request itself: the same request, sent again with the same
 * idempotency key, may succeed later. They are thrown (never a member of a result union) and
 * answered as a top-level GraphQL error whose extensions carry `code`, `retryable: true` and
 * `retryAfterSeconds`; the HTTP layer adds `Retry-After`.
 *
 * A write answered with one of them either did not happen or, when the deadline passed while it
 * was committing, happened exactly once: its retry with the same key returns the original result.
 */
/** The codes, each with what it means; `transientCodes` and the TransientCode type come from it. */
const transientCodeList = [
  /** The request's deadline passed before it was answered (REQUEST_DEADLINE_MS). */
  'DEADLINE_EXCEEDED',
  /** The gateway is at capacity: the request waited GATEWAY_QUEUE_WAIT_MS for a slot. */
  'BUSY',
  /** A row the request needs stayed locked longer than DB_LOCK_TIMEOUT_MS. */
  'LOCK_TIMEOUT',
  /** A database statement ran longer than DB_STATEMENT_TIMEOUT_MS. */
  'STATEMENT_TIMEOUT',
  /** The partner sent more requests than its rate limit allows (HTTP 429). */
  'RATE_LIMITED',
  /** The database cannot be reached, or dropped the connection (see isDatabaseUnavailable). */
  'DATABASE_UNAVAILABLE',
] as const;

export type TransientCode = (typeof transientCodeList)[number];

export const transientCodes: ReadonlySet<string> = new Set<TransientCode>(transientCodeList);

export class TransientFailure extends Error {
  constructor(
    readonly code: TransientCode,
    message: string,
    readonly retryAfterSeconds = 1,
    /** The HTTP status when the failure answers the whole request (503, or 429 for a limit). */
    readonly httpStatus = 503,
  ) {
    super(message);
  }

  /** GraphQL copies an original error's extensions: they survive the subgraph hop. */
  get extensions() {
    return { code: this.code, retryable: true, retryAfterSeconds: this.retryAfterSeconds };
  }
}

/** PostgreSQL's lock_timeout and statement_timeout errors, as TransientFailure; else undefined. */
export function transientFailureOf(error: unknown): TransientFailure | undefined {
  if (error instanceof TransientFailure) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '55P03') {
    return new TransientFailure('LOCK_TIMEOUT', 'A row this request needs is locked; retry.');
  }
  // 57014 is query_canceled: statement_timeout (the only cancel the gateway issues).
  if (code === '57014') {
    return new TransientFailure('STATEMENT_TIMEOUT', 'The database took too long; retry.');
  }
  if (isDatabaseUnavailable(error)) {
    return new TransientFailure(
      'DATABASE_UNAVAILABLE',
      'The database is unavailable; retry with the same idempotency key.',
    );
  }
  return undefined;
}

/**
 * SQLSTATEs after which the server is gone or going: connection exceptions (class 08),
 * admin_shutdown (pg_terminate_backend, a fast stop), crash_shutdown (another backend crashed),
 * cannot_connect_now (starting up or in recovery), too_many_connections, and the session ended
 * by idle_in_transaction_session_timeout.
 */
const unavailableSqlStates = new Set(['57P01', '57P02', '57P03', '53300', '25P03']);
/** Socket errors of a server that is down or restarting. */
const unavailableSocketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** What node-postgres says, without a code, when the connection went away under it. */
const unavailableMessages =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|terminating connection/i;

/**
 * Whether `error` says the database could not be reached or dropped the connection: nothing
 * about the request, so the same request may succeed once the server is back. Looks through the
 * wrappers MikroORM and AggregateError put around the driver's error.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const { code, sqlState, message, cause, errors } = error as {
    code?: unknown;
    sqlState?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  for (const state of [code, sqlState]) {
    if (typeof state !== 'string') continue;
    if (state.startsWith('08') && state.length === 5) return true;
    if (unavailableSqlStates.has(state) || unavailableSocketCodes.has(state)) return true;
  }
  if (typeof message === 'string' && unavailableMessages.test(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) {
    return true;
  }
  return isDatabaseUnavailable(cause, depth + 1);
}

/**
 * When a request stops waiting, on the monotonic clock (performance.now() milliseconds): never
 * the ledger's business clock, which tests move at will.
 */
export type DeadlineAt = number;

export function deadlinePassed(deadlineAt: DeadlineAt | undefined): boolean {
  return deadlineAt !== undefined && performance.now() >= deadlineAt;
}

export function deadlineExceeded(): TransientFailure {
  return new TransientFailure(
    'DEADLINE_EXCEEDED',
    'The request took longer than its deadline; retry with the same idempotency key.',
  );
}
