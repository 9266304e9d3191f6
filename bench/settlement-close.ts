import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { type App, createApp } from '../gateway/app';
import { loadConfig } from '../gateway/config';
import { createDatabaseIfMissing, withDatabase } from '../gateway/db/database';
import { EmbeddedPostgres } from '../gateway/db/embedded-postgres';
import type { Sql } from '../gateway/db/sql';
import { statementCsv } from '../gateway/settlement/exports';
import type { Period } from '../gateway/settlement/model';
import { statementLines } from '../gateway/settlement/statements';
import { ManualClock } from '../gateway/shared/clock';
import { DomainError } from '../gateway/shared/errors';
import {
  generateTransfers,
  type SyntheticShape,
  seedSyntheticCoalition,
  syntheticPartner,
  vacuumSyntheticActivity,
} from './synthetic-activity';

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
  const clock = new ManualClock(benchStart);
  const app = await createApp({ databaseUrl: withDatabase(serverUrl, name), clock });
  try {
    const { period, generateSeconds } = await prepare(app, shape, count);
    clock.set(period.endsAt);
    const close = await measureClose(app, period);
    const exported = await measureExport(app, period, config.dataDir);
    const summary = {
      transfers: count,
      ...shape,
      generateSeconds,
      ...close,
      closeVersusScan: Number((close.closeSeconds / close.plainScanSeconds).toFixed(1)),
      ...exported,
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

const benchStart = new Date('2026-01-01T00:00:00Z');
const log = (line: string) => console.log(`[bench] ${line}`);

/** The coalition, its transfers over four weeks, fresh statistics, and the period holding them. */
async function prepare(app: App, shape: SyntheticShape, count: number) {
  await seedSyntheticCoalition(app, shape, benchStart);
  const generated = await timed(() =>
    generateTransfers(
      app.db,
      shape,
      { count, firstId: 1, startsAt: benchStart, spanMs: 28 * dayMs },
      (n) => log(`generated ${n} transfers`),
    ),
  );
  await vacuumSyntheticActivity(app.db);
  const period = must(
    await app.settlement.openPeriod(app.systemContext('bench'), {
      startsAt: benchStart,
      endsAt: new Date(benchStart.getTime() + 28 * dayMs),
    }),
  );
  return { period, generateSeconds: generated.seconds };
}

/** A plain SQL aggregate scan of the period's transfers (warm), then the close itself. */
async function measureClose(app: App, period: Period) {
  const scanSql = `select t.partner_id, p.currency_code, t.code, sum(p.amount_points), count(*)
     from transfer t join posting p on p.transfer_id = t.id
     where t.created_at >= $1 and t.created_at < $2 group by 1, 2, 3`;
  await app.db.query(scanSql, [period.startsAt, period.endsAt]); // warm the cache
  const scan = await timed(() => app.db.query(scanSql, [period.startsAt, period.endsAt]));
  const rssBefore = process.memoryUsage().rss;
  const sampler = rssSampler();
  const close = await timed(async () =>
    must(await app.settlement.closePeriod(app.systemContext('bench'), period.id, log)),
  );
  return {
    plainScanSeconds: scan.seconds,
    closeSeconds: close.seconds,
    obligations: close.value.obligationCount?.toString(),
    nodeRssBeforeCloseMiB: mib(rssBefore),
    nodeRssPeakDuringCloseMiB: mib(sampler.stop()),
  };
}

/** The busiest partner's statement streamed to a CSV file, and its first API page. */
async function measureExport(app: App, period: Period, dataDir: string) {
  const system = app.systemContext('bench');
  const biggest = await largestPartner(app.db, period.id);
  const statement = must(await app.settlement.statement(system, period.id, biggest));
  await mkdir(join(dataDir, 'bench'), { recursive: true });
  const file = join(dataDir, 'bench', `statement-${biggest}.csv`);
  const sampler = rssSampler();
  const exported = await timed(() =>
    pipeline(
      statementCsv(app.db, statement, (lines) => log(`exported ${lines} statement lines`), 100_000),
      createWriteStream(file),
    ),
  );
  const peak = sampler.stop();
  const firstPage = await timed(() => statementLines(app.db, period.id, biggest, 100, null));
  return {
    statementPartner: biggest,
    statementLines: statement.totals.reduce((sum, total) => sum + total.lineCount, 0n).toString(),
    statementExportSeconds: exported.seconds,
    nodeRssPeakDuringExportMiB: mib(peak),
    statementFirstPageMs: Math.round(firstPage.seconds * 1000),
  };
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

function must<Outcome>(outcome: Outcome): Exclude<Outcome, DomainError> {
  if (outcome instanceof DomainError) throw new Error(outcome.message);
  return outcome as Exclude<Outcome, DomainError>;
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
