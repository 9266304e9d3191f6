import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createApp } from '../gateway/app';
import { asPartner } from '../gateway/demo/seed';
import { DomainError } from '../gateway/shared/errors';
import {
  benchExternalId,
  benchPartnerCount,
  benchPartnerId,
  earnCurrency,
  seedBenchData,
} from './bench-data';
import { databaseUsage, usedBetween } from './database-cpu';
import { openBenchServer } from './database-server';

/**
 * What one earn writes (issue 16 part 1): rows, index entries and WAL bytes per earn, measured
 * over N earns posted through the purchase service (the same pricing and batching as the
 * gateway, without HTTP), C at a time so that batches form as under the bench's load.
 *
 *   npm run build && node dist/bench/earn-write-profile.js [earns] [concurrency] [currency]
 *
 * Runs on the bench's embedded PostgreSQL (or DATABASE_URL's server) in a database of its own,
 * `earnprof_profile`, dropped at the end. The WAL is read with pg_walinspect (PostgreSQL 15+),
 * by record type and, on 16+, by relation, so the figures are per earn and need no quiet
 * machine: only this run writes to the embedded server. Rows are pg_stat_user_tables' deltas,
 * read after the app's connections closed (their statistics are flushed on exit).
 */
async function main(): Promise<void> {
  const earns = Number(process.argv[2] ?? 5000);
  const concurrency = Number(process.argv[3] ?? 10);
  const currency = process.argv[4] ?? earnCurrency;
  const members = 2000;
  const server = await openBenchServer({
    databaseUrl: process.env.DATABASE_URL,
    prefix: 'earnprof',
    log: (line) => console.error(line),
  });
  try {
    const url = await server.recreateDatabase('profile');
    await seedBenchData(url, members);
    const admin = new pg.Client(url);
    await admin.connect();
    try {
      await admin.query('create extension if not exists pg_walinspect');
      // An experiment's SQL (a variant of ledger_earn_batch, say), applied before the earns.
      const experiment = process.env.EARN_PROFILE_SQL;
      if (experiment) await admin.query(readFileSync(experiment, 'utf8'));
      // Hint bits set and pages frozen now, not by the first earns that read the seeded rows.
      await admin.query('vacuum (freeze, analyze)');
      const app = await createApp({ databaseUrl: url, migrate: false });
      const contexts = Array.from({ length: benchPartnerCount }, (_, index) =>
        asPartner(app, benchPartnerId(index)),
      );
      const run = async (count: number, tag: string) => {
        let next = 0;
        const started = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < count) {
              const n = next++;
              const outcome = await app.purchases.award(contexts[n % benchPartnerCount]!, {
                member: { externalId: benchExternalId((n * 7919) % members) },
                transactionId: `PROF-${tag}-${n}`,
                currency,
                purchase: { amountMinor: 4200n, currency: 'EUR' },
              });
              if (outcome instanceof DomainError) throw outcome;
            }
          }),
        );
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      let ms: number;
      let usage: { cpuSeconds: number } | undefined;
      let walBefore: string;
      let tablesBefore: Awaited<ReturnType<typeof tableCounts>>;
      let commitsBefore: number;
      try {
        await run(500, 'warm');
        // The seed's and the warm-up's events numbered now: what the measured earns add, later.
        await sequenceAll(admin);
        await admin.query('checkpoint');
        // Backends flush their table statistics within 10 s of going idle.
        await new Promise((resolve) => setTimeout(resolve, 11_000));
        await admin.query('select pg_stat_clear_snapshot()');
        tablesBefore = await tableCounts(admin);
        commitsBefore = await commits(admin);
        const cpuBefore = await databaseUsage(url);
        walBefore = (await admin.query('select pg_current_wal_lsn() as lsn')).rows[0].lsn;
        ms = await run(earns, 'measured');
        const cpuAfter = await databaseUsage(url);
        usage = cpuBefore && cpuAfter ? usedBetween(cpuBefore, cpuAfter) : undefined;
      } finally {
        await app.close();
      }
      const walAfter = (await admin.query('select pg_current_wal_lsn() as lsn')).rows[0].lsn;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await admin.query('select pg_stat_clear_snapshot()');
      const tablesAfter = await tableCounts(admin);
      const transactions = (await commits(admin)) - commitsBefore;
      const total = Number(
        (await admin.query('select pg_wal_lsn_diff($2, $1) as d', [walBefore, walAfter])).rows[0].d,
      );
      const stats = await admin.query<{
        rec: string;
        count: string;
        record_size: string;
        fpi_size: string;
      }>(
        `select "resource_manager/record_type" as rec, count, record_size, fpi_size
         from pg_get_wal_stats($1, $2, true) where count > 0 order by record_size + fpi_size desc`,
        [walBefore, walAfter],
      );
      const version = Number(
        (await admin.query('show server_version_num')).rows[0].server_version_num,
      );
      let byRelation: { rel: string; records: string; bytes: string; fpi: string }[] = [];
      if (version >= 160000) {
        byRelation = (
          await admin.query(
            `select coalesce(c.relname, b.relfilenode::text) as rel, count(distinct b.start_lsn) as records,
                    sum(b.main_data_length + b.block_data_length) as bytes, sum(b.block_fpi_length) as fpi
             from pg_get_wal_block_info($1, $2) b
             left join pg_class c on c.relfilenode = b.relfilenode
             group by 1 order by 3 desc`,
            [walBefore, walAfter],
          )
        ).rows;
      }
      const perEarn = (value: number) => (value / earns).toFixed(2);
      // The outbox's sequencer (gateway/webhooks/delivery.ts, every gateway process) numbers
      // each points.earned event after its commit: an update per earn outside the batch.
      const sequenceStarted = process.hrtime.bigint();
      const sequenced = await sequenceAll(admin);
      const sequenceMs = Number(process.hrtime.bigint() - sequenceStarted) / 1e6;
      const walSequenced = (await admin.query('select pg_current_wal_lsn() as lsn')).rows[0].lsn;
      const sequenceWal = Number(
        (await admin.query('select pg_wal_lsn_diff($2, $1) as d', [walAfter, walSequenced])).rows[0]
          .d,
      );
      console.log(`${earns} earns of ${currency}, ${concurrency} at a time, ${ms.toFixed(0)} ms`);
      if (usage) {
        console.log(
          `database backends' CPU: ${((usage.cpuSeconds * 1e6) / earns).toFixed(1)} us per earn`,
        );
      }
      console.log(`${transactions} commits: ${(earns / transactions).toFixed(1)} earns per commit`);
      console.log(`WAL ${total} bytes: ${perEarn(total)} per earn`);
      const records = stats.rows.reduce((sum, row) => sum + Number(row.record_size), 0);
      const fpi = stats.rows.reduce((sum, row) => sum + Number(row.fpi_size), 0);
      console.log(`  records ${perEarn(records)} B/earn, full-page images ${perEarn(fpi)} B/earn`);
      console.log('record type                        count/earn  record B/earn  fpi B/earn');
      for (const row of stats.rows) {
        console.log(
          `  ${row.rec.padEnd(32)} ${perEarn(Number(row.count)).padStart(10)} ${perEarn(Number(row.record_size)).padStart(14)} ${perEarn(Number(row.fpi_size)).padStart(11)}`,
        );
      }
      if (byRelation.length > 0) {
        console.log('relation                           records/earn  data B/earn  fpi B/earn');
        for (const row of byRelation) {
          console.log(
            `  ${row.rel.padEnd(34)} ${perEarn(Number(row.records)).padStart(10)} ${perEarn(Number(row.bytes)).padStart(12)} ${perEarn(Number(row.fpi)).padStart(11)}`,
          );
        }
      }
      console.log(
        `then the sequencer numbered ${sequenced} events in ${sequenceMs.toFixed(0)} ms: WAL ${perEarn(sequenceWal)} bytes per earn more`,
      );
      console.log('table                     ins/earn  upd/earn  hot/earn');
      let rows = 0;
      for (const [table, after] of tablesAfter) {
        const before = tablesBefore.get(table) ?? { ins: 0, upd: 0, hot: 0 };
        const ins = after.ins - before.ins;
        const upd = after.upd - before.upd;
        const hot = after.hot - before.hot;
        if (ins + upd === 0) continue;
        rows += ins + upd;
        console.log(
          `  ${table.padEnd(24)} ${perEarn(ins).padStart(8)} ${perEarn(upd).padStart(9)} ${perEarn(hot).padStart(9)}`,
        );
      }
      console.log(`rows written per earn (inserted + updated): ${perEarn(rows)}`);
    } finally {
      await admin.end();
    }
    await server.dropDatabases();
  } finally {
    await server.stop();
  }
}

/** Numbers every event the outbox holds unnumbered, as the sequencer does; how many. */
async function sequenceAll(client: pg.Client): Promise<number> {
  let sequenced = 0;
  for (;;) {
    const numbered = Number(
      (await client.query('select outbox_sequence(1000) as n')).rows[0].n as string,
    );
    sequenced += numbered;
    if (numbered < 1000) return sequenced;
  }
}

async function commits(client: pg.Client): Promise<number> {
  const rows = await client.query<{ n: string }>(
    'select xact_commit as n from pg_stat_database where datname = current_database()',
  );
  return Number(rows.rows[0]!.n);
}

async function tableCounts(
  client: pg.Client,
): Promise<Map<string, { ins: number; upd: number; hot: number }>> {
  const rows = await client.query<{ relname: string; ins: string; upd: string; hot: string }>(
    `select relname, n_tup_ins as ins, n_tup_upd as upd, n_tup_hot_upd as hot
     from pg_stat_user_tables order by relname`,
  );
  return new Map(
    rows.rows.map((row) => [
      row.relname,
      { ins: Number(row.ins), upd: Number(row.upd), hot: Number(row.hot) },
    ]),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
