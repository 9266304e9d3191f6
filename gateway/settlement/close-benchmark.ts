import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { createDatabaseIfMissing, withDatabase } from '../db/database';
import { EmbeddedPostgres } from '../db/embedded-postgres';
import type { Sql } from '../db/sql';
import { ManualClock } from '../shared/clock';
import { DomainError } from '../shared/errors';
import { statementCsv } from './exports';
import { statementLines } from './statements';
import { generateTransfers, seedSyntheticCoalition, syntheticPartner } from './synthetic-activity';

/**
 * `npm run bench:settlement-close -- --transfers 1000000 --partners 20`: closes a period of
 * generated transfers on a database of its own (DATABASE_URL's server, or an embedded one in
 * .data/postgres-bench) and prints the time and memory it took, beside a plain SQL aggregate
 * scan of the same transfers and a streamed statement export. Not part of the test suite.
 */
const dayMs = 86_400_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      transfers: { type: 'string', default: '1000000' },
      partners: { type: 'string', default: '20' },
      currencies: { type: 'string', default: '4' },
      members: { type: 'string', default: '50000' },
      keep: { type: 'boolean', default: false },
    },
  });
  const shape = {
    partners: Number(values.partners),
    currencies: Number(values.currencies),
    members: Number(values.members),
  };
  const count = Number(values.transfers);
  const config = loadConfig();
  const log = (line: string) => console.log(`[bench] ${line}`);
  const embedded = config.databaseUrl
    ? undefined
    : await EmbeddedPostgres.start({
        dataDir: join(config.dataDir, 'postgres-bench'),
        preferredPort: 54349,
        log,
      });
  const serverUrl = config.databaseUrl ?? embedded!.url;
  const name = `coalition_bench_${process.pid}`;
  await createDatabaseIfMissing(serverUrl, name);
  const databaseUrl = withDatabase(serverUrl, name);
  const start = new Date('2026-01-01T00:00:00Z');
  const clock = new ManualClock(start);
  const app = await createApp({ databaseUrl, clock });
  try {
    await seedSyntheticCoalition(app, shape, start);
    const generated = await timed(() =>
      generateTransfers(
        app.db,
        shape,
        { count, firstId: 1, startsAt: start, spanMs: 28 * dayMs },
        (n) => log(`generated ${n} transfers`),
      ),
    );
    await app.db.query('vacuum analyze transfer');
    await app.db.query('vacuum analyze posting');
    const system = app.systemContext('bench');
    const period = must(
      await app.settlement.openPeriod(system, {
        startsAt: start,
        endsAt: new Date(start.getTime() + 28 * dayMs),
      }),
    );
    clock.set(period.endsAt);

    const scanSql = `select t.partner_id, p.currency_code, t.code, sum(p.amount_points), count(*)
       from transfer t join posting p on p.transfer_id = t.id
       where t.created_at >= $1 and t.created_at < $2 group by 1, 2, 3`;
    await app.db.query(scanSql, [period.startsAt, period.endsAt]); // warm the cache
    const scan = await timed(() => app.db.query(scanSql, [period.startsAt, period.endsAt]));

    const rssBefore = process.memoryUsage().rss;
    const sampler = rssSampler();
    const close = await timed(async () =>
      must(await app.settlement.closePeriod(system, period.id, (line) => log(line))),
    );
    const closePeakRss = sampler.stop();

    const biggest = await largestPartner(app.db, period.id);
    const statement = must(await app.settlement.statement(system, period.id, biggest));
    await mkdir(join(config.dataDir, 'bench'), { recursive: true });
    const file = join(config.dataDir, 'bench', `statement-${biggest}.csv`);
    const exportSampler = rssSampler();
    const exported = await timed(() =>
      pipeline(
        statementCsv(
          app.db,
          statement,
          (lines) => log(`exported ${lines} statement lines`),
          100_000,
        ),
        createWriteStream(file),
      ),
    );
    const exportPeakRss = exportSampler.stop();
    const firstPage = await timed(() => statementLines(app.db, period.id, biggest, 100, null));

    const summary = {
      transfers: count,
      partners: shape.partners,
      members: shape.members,
      generateSeconds: generated.seconds,
      plainScanSeconds: scan.seconds,
      closeSeconds: close.seconds,
      closeVersusScan: Number((close.seconds / scan.seconds).toFixed(1)),
      obligations: close.value.obligationCount?.toString(),
      nodeRssBeforeCloseMiB: mib(rssBefore),
      nodeRssPeakDuringCloseMiB: mib(closePeakRss),
      statementPartner: biggest,
      statementLines: statement.totals.reduce((sum, total) => sum + total.lineCount, 0n).toString(),
      statementExportSeconds: exported.seconds,
      nodeRssPeakDuringExportMiB: mib(exportPeakRss),
      statementFirstPageMs: Math.round(firstPage.seconds * 1000),
      nodeMaxRssWholeRunMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await app.close();
    if (!values.keep) {
      const admin = new pg.Client(serverUrl);
      await admin.connect();
      await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
      await admin.end();
    }
    await embedded?.stop();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Samples the process's resident memory every 50 ms; `stop` returns the highest seen. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

async function largestPartner(db: Sql, periodId: string): Promise<string> {
  const rows = await db.query<{ debtor_id: string }>(
    `select debtor_id from settlement_gross where period_id = $1 and debtor_id like 'ptr_%'
     group by debtor_id order by sum(obligation_count) desc limit 1`,
    [periodId],
  );
  return rows.rows[0]?.debtor_id ?? syntheticPartner(0);
}

function must<T>(outcome: T | DomainError): T {
  if (outcome instanceof DomainError) throw new Error(outcome.message);
  return outcome;
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
