import pg from 'pg';

/** How long the server takes to make a commit durable, measured as it serves the bench. */
export interface CommitFlush {
  commits: number;
  p50Ms: number;
  p90Ms: number;
}

/**
 * The database's commit flush time (issue 16, part 3): `commits` one-row INSERTs, each its own
 * transaction on one connection with synchronous_commit on, timed from the client. A commit
 * waits for its WAL flush, so with nothing else running this is close to the flush time of the
 * disk (pg_test_fsync's figure, which the embedded server does not ship); pgbench's TPC-B rate,
 * and so earn_vs_tpcb, follows it.
 */
export async function measureCommitFlush(databaseUrl: string, commits = 200): Promise<CommitFlush> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('set synchronous_commit = on');
    await client.query(
      'create table if not exists bench_commit_probe (id bigserial primary key, at timestamptz not null)',
    );
    const times: number[] = [];
    for (let index = 0; index < commits; index++) {
      const started = process.hrtime.bigint();
      await client.query('insert into bench_commit_probe (at) values (now())');
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    await client.query('drop table bench_commit_probe');
    times.sort((a, b) => a - b);
    const at = (share: number) =>
      times[Math.min(times.length - 1, Math.floor(times.length * share))]!;
    return { commits, p50Ms: round(at(0.5)), p90Ms: round(at(0.9)) };
  } finally {
    await client.end();
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
