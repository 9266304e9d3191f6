import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The bar: pgbench's default TPC-B-like script (three UPDATEs, a SELECT and an INSERT per
 * transaction) on the same server, from the pgbench on PATH (Debian's postgresql-client; the
 * embedded package ships none). A pgbench 15 client works against newer servers.
 */
export const pgbenchCommand = process.env.PGBENCH ?? 'pgbench';
const outputBytesMax = 16 * 1024 * 1024;

export async function pgbenchVersion(): Promise<string | undefined> {
  try {
    return (await execFileAsync(pgbenchCommand, ['--version'])).stdout.trim();
  } catch {
    return undefined;
  }
}

/** `pgbench -i -s <scale>`: creates and fills the pgbench tables (scale x 100,000 accounts). */
export async function initPgbench(databaseUrl: string, scale: number): Promise<void> {
  await execFileAsync(pgbenchCommand, ['-i', '-q', '-s', String(scale), databaseUrl], {
    maxBuffer: outputBytesMax,
  });
}

export interface PgbenchResult {
  /** Transactions per second, without the initial connection time. */
  tps: number;
  latencyAverageMs: number;
  transactions: number;
  failedTransactions: number;
}

export async function runPgbench(
  databaseUrl: string,
  options: { clients: number; threads: number; durationSeconds: number },
): Promise<PgbenchResult> {
  const { stdout } = await execFileAsync(
    pgbenchCommand,
    [
      '-c',
      String(options.clients),
      '-j',
      String(options.threads),
      '-T',
      String(options.durationSeconds),
      databaseUrl,
    ],
    { maxBuffer: outputBytesMax },
  );
  return parsePgbenchOutput(stdout);
}

/** Reads pgbench's summary (the wording of versions 13 to 18). */
export function parsePgbenchOutput(stdout: string): PgbenchResult {
  const tps = /^tps = ([\d.]+) \((?:without|excluding)/m.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps line:\n${stdout}`);
  const latency = /^latency average = ([\d.]+) ms/m.exec(stdout);
  const processed = /^number of transactions actually processed: (\d+)/m.exec(stdout);
  const failed = /^number of failed transactions: (\d+)/m.exec(stdout);
  return {
    tps: Number(tps[1]),
    latencyAverageMs: latency ? Number(latency[1]) : Number.NaN,
    transactions: processed ? Number(processed[1]) : Number.NaN,
    failedTransactions: failed ? Number(failed[1]) : 0,
  };
}
