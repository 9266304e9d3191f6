import pg from 'pg';
import { cpuSeconds } from './server-process';

/**
 * CPU seconds the PostgreSQL backends connected to one database have used so far (from
 * /proc/<pid>/stat: the server must run on this machine, as the embedded one and the project
 * machines' PostgreSQL do). Taken before and after a window, it says how much of a read's time
 * is the database's. A backend that exits during the window takes its CPU with it, so pools
 * must stay connected (the gateway's do). Undefined when /proc cannot be read.
 */
export async function databaseCpuSeconds(
  databaseUrl: string,
): Promise<{ cpuSeconds: number; transactions: number } | undefined> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    // Statements outside a transaction block count one each (the stats lag by up to 0.5 s).
    const stats = await client.query<{ transactions: string }>(
      `select (xact_commit + xact_rollback)::text as transactions
       from pg_stat_database where datname = current_database()`,
    );
    const backends = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    const each = await Promise.all(backends.rows.map((row) => cpuSeconds(row.pid).catch(() => 0)));
    return {
      cpuSeconds: each.reduce((sum, seconds) => sum + seconds, 0),
      transactions: Number(stats.rows[0]?.transactions ?? 0),
    };
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}
