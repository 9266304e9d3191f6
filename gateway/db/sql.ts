import pg from 'pg';

/** Something that runs one SQL statement: the pool, or a client inside a transaction. */
export interface Sql {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<Row>>;
}

/** Attempts of one transaction before a serialization failure or deadlock is given up. */
const transactionAttemptsMax = 12;
const retryDelayMsMax = 50;

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
}

/**
 * The ledger's connection pool. The ledger writes with plain, set-based SQL (no ORM unit of
 * work on the hot path); MikroORM keeps its own pool for the reference data it manages.
 */
export class SqlDatabase implements Sql {
  readonly pool: pg.Pool;

  constructor(options: SqlDatabaseOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSizeMax ?? 16,
      application_name: options.applicationName ?? 'coalition-ledger',
      types: typeParsers,
    });
    // An idle client that loses its connection must not crash the process; the next query
    // gets a fresh one.
    this.pool.on('error', () => undefined);
  }

  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<Row>> {
    return this.pool.query<Row>(text, values as unknown[]);
  }

  /**
   * Runs `work` in one READ COMMITTED transaction and commits it. On a serialization failure or
   * a deadlock the transaction is rolled back and `work` runs again from the start, so `work`
   * must have no effects outside the database (it may be called several times). Any other
   * error rolls back and is rethrown.
   */
  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('begin');
        const result = await work(client);
        await client.query('commit');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch {
          broken = true;
        }
        if (attempt < transactionAttemptsMax && isRetryable(error)) {
          await sleep(Math.random() * retryDelayMsMax * Math.min(attempt, 4));
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
    query: async <Row extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.pool.query<Row>(text, values as unknown[]);
        } catch (error) {
          if (attempt >= transactionAttemptsMax || !isRetryable(error)) throw error;
          await sleep(Math.random() * retryDelayMsMax * Math.min(attempt, 4));
        }
      }
    },
  };

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export function isRetryable(error: unknown): boolean {
  return retryableCodes.has((error as { code?: string })?.code ?? '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
