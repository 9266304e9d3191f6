import { execFile } from 'node:child_process';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** The settings that decide what a commit costs and how much fits in memory. */
export const recordedSettings = [
  'synchronous_commit',
  'fsync',
  'full_page_writes',
  'wal_level',
  'wal_sync_method',
  'wal_buffers',
  'commit_delay',
  'shared_buffers',
  'effective_cache_size',
  'work_mem',
  'max_connections',
  'max_wal_size',
  'checkpoint_timeout',
  'jit',
  'huge_pages',
  'autovacuum',
] as const;

export interface MachineInfo {
  platform: string;
  kernel: string;
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine. */
  loadAverageAtStart: number[];
}

export function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    platform: platform(),
    kernel: release(),
    cpuModel: processors[0]?.model ?? 'unknown',
    cpuCount: processors.length,
    memoryBytes: totalmem(),
    node: process.version,
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

export interface PostgresInfo {
  version: string;
  /** embedded (.data/postgres-bench) or DATABASE_URL. */
  server: 'embedded' | 'DATABASE_URL';
  settings: Record<string, string>;
  superuser: boolean;
}

export async function postgresInfo(url: string, embedded: boolean): Promise<PostgresInfo> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const version = (await client.query<{ version: string }>('select version()')).rows[0]!.version;
    const rows = await client.query<{ name: string; setting: string; unit: string | null }>(
      `select name, current_setting(name) as setting, unit from pg_settings
       where name = any($1::text[]) order by name`,
      [[...recordedSettings]],
    );
    const superuser = await client.query<{ rolsuper: boolean }>(
      'select rolsuper from pg_roles where rolname = current_user',
    );
    return {
      version,
      server: embedded ? 'embedded' : 'DATABASE_URL',
      settings: Object.fromEntries(rows.rows.map((row) => [row.name, row.setting])),
      superuser: superuser.rows[0]?.rolsuper ?? false,
    };
  } finally {
    await client.end();
  }
}

/**
 * Durable means the commit waits for the WAL flush: synchronous_commit other than `off`, with
 * fsync on. The comparisons are meaningless otherwise, so the run refuses them.
 */
export function durabilityProblem(settings: Record<string, string>): string | undefined {
  if (settings.synchronous_commit === 'off') {
    return 'synchronous_commit is off: commits are not durable, the comparisons would be unfair';
  }
  if (settings.fsync === 'off') return 'fsync is off: commits are not durable';
  return undefined;
}

export async function commandVersion(command: string): Promise<string | undefined> {
  try {
    return (await execFileAsync(command, ['--version'])).stdout.trim();
  } catch {
    return undefined;
  }
}
