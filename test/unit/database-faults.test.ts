import { once } from 'node:events';
import pg from 'pg';
import { SqlDatabase } from '../../gateway/db/sql';
import { isDatabaseUnavailable, transientFailureOf } from '../../gateway/shared/transient';
import { createTestDatabase, testServerUrl } from '../helpers/test-database';

/**
 * The ledger's pool when the server drops its connections: a client terminated between two
 * statements of a transaction (the case that used to end the process with an unhandled 'error'
 * event) fails that transaction's next statement, and the transaction runs again on a fresh
 * connection; a connection lost on a plain query is a retryable DATABASE_UNAVAILABLE.
 */
let databaseUrl: string;
let db: SqlDatabase;
let admin: pg.Client;
beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  db = new SqlDatabase({ url: databaseUrl, poolSizeMax: 4, applicationName: 'faults-test' });
  admin = new pg.Client(testServerUrl());
  await admin.connect();
});
afterAll(async () => {
  await db.close();
  await admin.end();
});

const terminate = (pid: number) => admin.query('select pg_terminate_backend($1)', [pid]);

describe('a connection the server terminates', () => {
  it('between two statements of a transaction: the transaction runs again and commits once', async () => {
    await db.query('create table fault_probe (n int)');
    let runs = 0;
    const result = await db.transaction(async (sql) => {
      runs++;
      const { rows } = await sql.query<{ pid: number }>('select pg_backend_pid() as pid');
      await sql.query('insert into fault_probe values ($1)', [runs]);
      if (runs === 1) {
        // The server ends this backend while the transaction is open and idle: the client
        // emits 'error' while checked out. Listen before terminating: the client can see its
        // socket close before the admin's answer arrives, and a late listener waits forever.
        const ended = once(sql as pg.PoolClient, 'end');
        await terminate(rows[0]!.pid);
        await ended;
      }
      await sql.query('select 1');
      return runs;
    });
    expect(result).toBe(2);
    const { rows } = await db.query<{ n: number }>('select n from fault_probe');
    expect(rows).toEqual([{ n: 2 }]);
  });

  it('during a plain query: a retryable DATABASE_UNAVAILABLE, and the next query is served', async () => {
    const query = db.query('select pg_sleep(30)');
    // Wait until the statement runs on the server (no clock: as long as it takes).
    for (;;) {
      const running = await admin.query(
        "select 1 from pg_stat_activity where application_name = 'faults-test' and query like 'select pg_sleep%'",
      );
      if (running.rowCount === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'faults-test'",
    );
    const error = await query.catch((caught: unknown) => caught);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(transientFailureOf(error)?.extensions).toEqual({
      code: 'DATABASE_UNAVAILABLE',
      retryable: true,
      retryAfterSeconds: 1,
    });
    expect((await db.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('a refused connection is DATABASE_UNAVAILABLE too', async () => {
    const nowhere = new URL(databaseUrl);
    nowhere.port = '1';
    const unreachable = new SqlDatabase({ url: nowhere.toString() });
    try {
      const error = await unreachable.query('select 1').catch((caught: unknown) => caught);
      expect(transientFailureOf(error)?.code).toBe('DATABASE_UNAVAILABLE');
    } finally {
      await unreachable.close();
    }
  });
});
