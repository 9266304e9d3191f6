import pg from 'pg';
import { observePool } from '../observability/metrics';
import { inSpan, SpanKind } from '../observability/tracing';
import {
  type DeadlineAt,
  deadlineExceeded,
  deadlinePassed,
  isDatabaseUnavailable,
} from '../shared/transient';

/** Something that runs one SQL statement: the pool, or a client inside a transaction. */
export interface Sql {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | NamedStatement,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<Row>>;
}

/**
 * A statement each connection parses once and then only binds and executes: the server keeps
 * it, and after five runs a generic plan, so a hot read pays no parse or plan per call. Only for
 * fixed text (a name stands for one text on a connection), run on every request.
 */
export interface NamedStatement {
  name: string;
  text: string;
}

function statementOf(text: string | NamedStatement, values: readonly unknown[] | undefined) {
  return typeof text === 'string'
    ? { text, values: values as unknown[] }
    : { name: text.name, text: text.text, values: values as unknown[] };
}

/** Attempts of one transaction before a serialization failure or deadlock is given up. */
const transactionAttemptsMax = 12;
const retryDelayMsMax = 50;
/** Runs of one transaction again after its connection was lost before COMMIT. */
const connectionLossRetriesMax = 2;

/** PostgreSQL errors after which the whole transaction can simply run again. */
const retryableCodes = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * int8 columns (points, money in minor units) arrive as `bigint`, never as a lossy `number` or a
 * string that a caller might forget to convert.
 */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (value: string) => BigInt(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export interface SqlDatabaseOptions {
  url: string;
  poolSizeMax?: number;
  applicationName?: string;
  timeouts?: Partial<DatabaseTimeouts>;
}

/**
 * How long the database may make a request wait; set per connection (startup parameters, no
 * round trip). A wait beyond them fails the statement with a retryable LOCK_TIMEOUT or
 * STATEMENT_TIMEOUT (see transientFailureOf), so nothing waits forever.
 */
export interface DatabaseTimeouts {
  /** A row or advisory lock waited for longer fails (DB_LOCK_TIMEOUT_MS). */
  lockTimeoutMs: number;
  /** A statement running longer is cancelled (DB_STATEMENT_TIMEOUT_MS; 0: never). */
  statementTimeoutMs: number;
  /** A session idle inside a transaction longer is ended, releasing its locks. */
  idleInTransactionTimeoutMs: number;
}

export const defaultDatabaseTimeouts: DatabaseTimeouts = {
  lockTimeoutMs: 3_000,
  // Long enough for a settlement close or a sweep of a large period in one statement.
  statementTimeoutMs: 120_000,
  idleInTransactionTimeoutMs: 60_000,
};

/** What a transaction is run for; both optional. */
export interface TransactionOptions {
  /** The request's deadline: past it, the transaction rolls back instead of committing. */
  deadlineAt?: DeadlineAt;
  /**
   * The partner it is run for. One partner's transactions hold at most half the pool, so a
   * partner whose rows are stuck (each of its transactions waiting up to the lock timeout)
   * leaves the other half to everyone else.
   */
  lane?: string;
}

/**
 * The ledger's connection pool. The ledger writes with plain, set-based SQL (no ORM unit of
 * work on the hot path); MikroORM keeps its own pool for the reference data it manages.
 */
export class SqlDatabase implements Sql {
  readonly pool: pg.Pool;
  readonly timeouts: DatabaseTimeouts;
  private readonly lanes = new Map<string, Semaphore>();
  private readonly laneSlotsMax: number;
  private readonly unobserve: () => void;

  constructor(options: SqlDatabaseOptions) {
    const poolSizeMax = options.poolSizeMax ?? 16;
    this.timeouts = { ...defaultDatabaseTimeouts, ...options.timeouts };
    this.laneSlotsMax = Math.max(1, Math.floor(poolSizeMax / 2));
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: poolSizeMax,
      application_name: options.applicationName ?? 'coalition-ledger',
      types: typeParsers,
      lock_timeout: this.timeouts.lockTimeoutMs,
      statement_timeout: this.timeouts.statementTimeoutMs,
      idle_in_transaction_session_timeout: this.timeouts.idleInTransactionTimeoutMs,
    });
    // An idle client that loses its connection must not crash the process; the next query
    // gets a fresh one.
    this.pool.on('error', () => undefined);
    // Nor may a checked-out one: pg-pool drops its idle listener on checkout, and a client held
    // by a transaction between two statements would emit an unhandled 'error' (the process
    // exits) when the server terminates it. The statement in flight, or the next one, fails
    // instead, and the client is discarded on release.
    this.pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    const pool = this.pool;
    this.unobserve = observePool('ledger', () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }));
  }

  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string | NamedStatement,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<Row>> {
    return this.pool.query<Row>(statementOf(text, values));
  }

  /**
   * Runs `work` in one READ COMMITTED transaction and commits it. On a serialization failure or
   * a deadlock the transaction is rolled back and `work` runs again from the start, so `work`
   * must have no effects outside the database (it may be called several times). Any other
   * error rolls back and is rethrown.
   *
   * Past `options.deadlineAt` it rolls back and throws DEADLINE_EXCEEDED rather than commit:
   * its caller has been answered that error already. (A deadline passing during the commit
   * itself leaves it committed, once: the retry with the same key answers the original.)
   */
  transaction<T>(work: (sql: Sql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // One span per transaction (its retries inside), when tracing is on; never per statement.
    return inSpan('db transaction', SpanKind.CLIENT, () => this.inLane(work, options));
  }

  private async inLane<T>(work: (sql: Sql) => Promise<T>, options: TransactionOptions): Promise<T> {
    if (options.lane === undefined) return this.attempts(work, options.deadlineAt);
    const lane = this.laneOf(options.lane);
    await lane.acquire();
    try {
      return await this.attempts(work, options.deadlineAt);
    } finally {
      lane.release();
      if (lane.idle) this.lanes.delete(options.lane);
    }
  }

  private laneOf(name: string): Semaphore {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = new Semaphore(this.laneSlotsMax);
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private async attempts<T>(
    work: (sql: Sql) => Promise<T>,
    deadlineAt: DeadlineAt | undefined,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (deadlinePassed(deadlineAt)) throw deadlineExceeded();
      const client = await this.pool.connect();
      let broken = false;
      let committing = false;
      try {
        await client.query('begin');
        const result = await work(client);
        if (deadlinePassed(deadlineAt)) throw deadlineExceeded();
        committing = true;
        await client.query('commit');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch {
          broken = true;
        }
        if (attempt < transactionAttemptsMax && isRetryable(error)) {
          await pauseBeforeRetry(attempt);
          continue;
        }
        // A connection lost before COMMIT was sent rolled the transaction back on the server:
        // run it again on a fresh connection (a terminated backend, a restarted pool client).
        // Lost during COMMIT, the outcome is unknown and the error goes to the caller, whose
        // retry with the same idempotency key answers the original result.
        if (
          !committing &&
          attempt <= connectionLossRetriesMax &&
          broken &&
          isDatabaseUnavailable(error)
        ) {
          await pauseBeforeRetry(attempt);
          continue;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  /**
   * Runs single statements in autocommit (each is its own transaction), retrying a statement
   * that failed on a serialization failure or deadlock: it rolled back whole, so running it
   * again is safe. For hot paths that do all their work in one statement.
   */
  readonly retrying: Sql = {
    query: async <Row extends pg.QueryResultRow>(
      text: string | NamedStatement,
      values?: readonly unknown[],
    ) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.pool.query<Row>(statementOf(text, values));
        } catch (error) {
          if (attempt >= transactionAttemptsMax || !isRetryable(error)) throw error;
          await pauseBeforeRetry(attempt);
        }
      }
    },
  };

  async close(): Promise<void> {
    this.unobserve();
    await this.pool.end();
  }
}

/** A counting semaphore: at most `slots` holders, the rest queue in order. */
class Semaphore {
  private holders = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly slots: number) {}

  get idle(): boolean {
    return this.holders === 0 && this.waiting.length === 0;
  }

  acquire(): Promise<void> {
    if (this.holders < this.slots) {
      this.holders++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.holders--;
  }
}

export function isRetryable(error: unknown): boolean {
  return retryableCodes.has((error as { code?: string })?.code ?? '');
}

/** A random pause growing with the attempt (up to the fourth), so retries spread out. */
function pauseBeforeRetry(attempt: number): Promise<void> {
  return sleep(Math.random() * retryDelayMsMax * Math.min(attempt, 4));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
