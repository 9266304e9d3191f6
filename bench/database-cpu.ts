import pg from 'pg';
import { cpuSeconds } from './server-process';

/** The backends of one database and their CPU seconds so far, and its transactions so far. */
export interface DatabaseUsage {
  cpuSecondsByBackend: Map<number, number>;
  transactions: number;
}

/**
 * How much one database's PostgreSQL backends have worked so far: each backend's CPU seconds
 * (from /proc/<pid>/stat: the server must run on this machine, as the embedded one and the
 * project machines' PostgreSQL do) and the committed and rolled back transactions (a statement
 * outside a transaction block is one; backends report them within a second). Taken before and
 * after a window (`usedBetween`), it says how much of a read is the database's. Undefined when
 * it cannot be read.
 */
export async function databaseUsage(databaseUrl: string): Promise<DatabaseUsage | undefined> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    const stats = await client.query<{ transactions: string }>(
      `select (xact_commit + xact_rollback)::text as transactions
       from pg_stat_database where datname = current_database()`,
    );
    const backends = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    const cpuSecondsByBackend = new Map<number, number>();
    for (const { pid } of backends.rows) {
      const seconds = await cpuSeconds(pid).catch(() => undefined);
      if (seconds !== undefined) cpuSecondsByBackend.set(pid, seconds);
    }
    return { cpuSecondsByBackend, transactions: Number(stats.rows[0]?.transactions ?? 0) };
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

/**
 * CPU seconds and transactions between two readings. A backend that started in between counts
 * whole; one that exited in between is missing (pools idle past 10 s close connections), so
 * the CPU is a lower bound.
 */
export function usedBetween(
  before: DatabaseUsage,
  after: DatabaseUsage,
): { cpuSeconds: number; transactions: number } {
  let cpuSeconds = 0;
  for (const [pid, seconds] of after.cpuSecondsByBackend) {
    cpuSeconds += seconds - (before.cpuSecondsByBackend.get(pid) ?? 0);
  }
  return { cpuSeconds, transactions: after.transactions - before.transactions };
}

/**
 * Runs one window (a load whose result counts what it `answered`) and measures the database's
 * backends' CPU during it, per answer: undefined when /proc could not be read.
 */
export async function withDatabaseCpu<Result extends { answered: number }>(
  databaseUrl: string,
  window: () => Promise<Result>,
): Promise<{ result: Result; databaseCpuMsPerAnswer: number | undefined }> {
  const before = await databaseUsage(databaseUrl);
  const result = await window();
  const after = await databaseUsage(databaseUrl);
  return {
    result,
    databaseCpuMsPerAnswer:
      before && after
        ? (usedBetween(before, after).cpuSeconds * 1_000) / Math.max(result.answered, 1)
        : undefined,
  };
}
