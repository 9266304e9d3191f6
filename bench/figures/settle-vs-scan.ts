import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { type App, createApp } from '../../gateway/app';
import { statementCsv } from '../../gateway/settlement/exports';
import { ManualClock } from '../../gateway/shared/clock';
import { DomainError } from '../../gateway/shared/errors';
import type { BenchContext } from '../context';
import { type Experiment, measured, spreadOver } from '../figure';
import { rounded } from '../summary';
import {
  generateTransfers,
  type SyntheticShape,
  seedSyntheticCoalition,
  vacuumSyntheticActivity,
} from '../synthetic-activity';

const dayMs = 86_400_000;
/** The period's window: four weeks well before the run. */
const periodStart = new Date('2026-01-01T00:00:00Z');
const periodSpanMs = 28 * dayMs;
/**
 * 20 partners, as the issue says; 4 program currencies; members spread the activity: 50,000 for
 * the bench's million transfers, one per 20 transfers below that (the smoke's hundred transfers
 * need no 50,000 members and their 200,000 accounts, 4 s of seeding).
 */
function shapeFor(transfers: number): SyntheticShape {
  return {
    partners: 20,
    currencies: 4,
    members: Math.min(50_000, Math.max(100, Math.ceil(transfers / 20))),
  };
}

/**
 * The baseline: one aggregate pass over the period's transfers and postings, the least work any
 * close must do to know what each partner issued.
 */
export const periodScanSql = `
select t.partner_id, p.currency_code, t.code, count(*) as transfers,
       sum(p.amount_points)::bigint as points, sum(t.purchase_amount_minor)::bigint as purchases_minor
from transfer t join posting p on p.transfer_id = t.id
where t.created_at >= $1 and t.created_at < $2
group by t.partner_id, p.currency_code, t.code`;

/** Lines per statement page, as the API's default. */
const pageSize = 100;
/** Reads of each page per run; the figure takes their median. */
const pageReads = 5;

/**
 * settle_vs_scan: the settlement module's synthetic activity (earns, redemptions, refunds and
 * conversions over 20 partners, written set-based) fills one period of a template database,
 * once; each run clones it (a close needs the period open), takes the scan (once to warm the
 * cache, once timed) and then times the close, both on the clone.
 *
 * statement_page_ms, on the period just closed: the busiest partner's statement (most lines),
 * its first page of 100 lines and the page after a cursor from the middle of the period, each
 * read 5 times (the median counts; the first read is in `details`); then the whole statement
 * streamed as CSV (seconds, the process's peak RSS, and a SHA-256 of the text with the period's
 * id blanked out, so runs of different code on the same generated data can be compared).
 */
export const settleVsScan: Experiment = {
  figures: ['settle_vs_scan', 'statement_page_ms'],
  async run(context) {
    const templateUrl = await context.server.recreateDatabase('settle_template');
    const shape = shapeFor(context.options.settleTransfers);
    const periodId = await prepareTemplate(context, templateUrl, shape);
    const closeSeconds: number[] = [];
    const scanSeconds: number[] = [];
    const peakRssMiB: number[] = [];
    const steps: CloseSteps[] = [];
    const statements: StatementTimes[] = [];
    for (let run = 0; run < context.options.runs; run++) {
      const url = await context.server.recreateDatabase('settle', 'settle_template');
      scanSeconds.push(await timeScan(url));
      const close = await timeClose(url, periodId);
      closeSeconds.push(close.seconds);
      peakRssMiB.push(close.peakRssMiB);
      steps.push(close.steps);
      context.log(
        `run ${run + 1}/${context.options.runs}: close ${close.seconds.toFixed(2)} s, scan ${scanSeconds.at(-1)!.toFixed(2)} s`,
      );
      const times = await timeStatement(url, periodId);
      statements.push(times);
      context.log(
        `run ${run + 1}/${context.options.runs}: ${times.partnerId}'s statement: first page ${times.firstPageMs.toFixed(1)} ms, deep page ${times.deepPageMs.toFixed(1)} ms, CSV ${times.csvSeconds.toFixed(1)} s`,
      );
    }
    const csvHashes = [...new Set(statements.map((times) => times.csvSha256))];
    return [
      measured(
        'settle_vs_scan',
        closeSeconds.map((seconds, index) => rounded(seconds / scanSeconds[index]!)),
        {
          transfers: context.options.settleTransfers,
          partners: shape.partners,
          closeSeconds: spreadOver(closeSeconds, (value) => value),
          scanSeconds: spreadOver(scanSeconds, (value) => value),
          closePeakRssMiB: spreadOver(peakRssMiB, (value) => value),
          // Where the close's time went: fixing the cut-off and counting the period's
          // transfers, the direct obligations' aggregate, the reversals' (close-sql.ts), writing.
          closeStepSeconds: {
            members: spreadOver(steps, (step) => step.members),
            direct: spreadOver(steps, (step) => step.direct),
            reversals: spreadOver(steps, (step) => step.reversals),
            write: spreadOver(steps, (step) => step.write),
          },
        },
      ),
      measured(
        'statement_page_ms',
        statements.map((times) => rounded(Math.max(times.firstPageMs, times.deepPageMs))),
        {
          partnerId: statements[0]!.partnerId,
          statementLines: statements[0]!.lines,
          firstPageMs: spreadOver(statements, (times) => times.firstPageMs),
          deepPageMs: spreadOver(statements, (times) => times.deepPageMs),
          firstPageColdMs: spreadOver(statements, (times) => times.firstPageColdMs),
          deepPageColdMs: spreadOver(statements, (times) => times.deepPageColdMs),
          csvSeconds: spreadOver(statements, (times) => times.csvSeconds),
          csvPeakRssMiB: spreadOver(statements, (times) => times.csvPeakRssMiB),
          csvBytes: statements[0]!.csvBytes,
          csvSha256: csvHashes,
        },
        csvHashes.length === 1 ? [] : ['the CSV differed between runs of the same data'],
      ),
    ];
  },
};

/** Migrates, seeds the synthetic coalition, writes the transfers and opens their period. */
async function prepareTemplate(
  context: BenchContext,
  url: string,
  shape: SyntheticShape,
): Promise<string> {
  const app = await createApp({ databaseUrl: url, clock: new ManualClock(periodStart) });
  try {
    const transfers = context.options.settleTransfers;
    await seedSyntheticCoalition(app, shape, periodStart);
    context.log(`writing ${transfers.toLocaleString('en')} transfers into one period`);
    const started = performance.now();
    await generateTransfers(
      app.db,
      shape,
      { count: transfers, firstId: 1, startsAt: periodStart, spanMs: periodSpanMs },
      (written) => context.log(`written ${written.toLocaleString('en')} transfers`),
    );
    await vacuumSyntheticActivity(app.db);
    await app.db.query('checkpoint');
    context.log(`period loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const period = await app.settlement.openPeriod(app.systemContext('bench'), {
      startsAt: periodStart,
      endsAt: new Date(periodStart.getTime() + periodSpanMs),
    });
    if (period instanceof DomainError) throw new Error(`opening the period: ${period.message}`);
    return period.id;
  } finally {
    await app.close();
  }
}

async function timeScan(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const window = [periodStart, new Date(periodStart.getTime() + periodSpanMs)];
    await client.query(periodScanSql, window); // warm the cache, as the close will find it
    const started = performance.now();
    await client.query(periodScanSql, window);
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}

/** Closes the period as finance would; returns the time and the process's peak RSS during it. */
/** Seconds of each step of one close, from its progress lines (close.ts). */
interface CloseSteps {
  members: number;
  direct: number;
  reversals: number;
  write: number;
}

/** The progress line that ends each step, in order. */
const closeStepEnds: [keyof CloseSteps, string][] = [
  ['members', 'fixed the cut-off'],
  ['direct', 'derived earns'],
  ['reversals', 'derived the gross matrix'],
  ['write', 'closed '],
];

async function timeClose(
  url: string,
  periodId: string,
): Promise<{ seconds: number; peakRssMiB: number; steps: CloseSteps }> {
  const clock = new ManualClock(new Date(periodStart.getTime() + periodSpanMs + 1_000));
  const app = await createApp({ databaseUrl: url, migrate: false, clock });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const started = performance.now();
    const steps: CloseSteps = { members: 0, direct: 0, reversals: 0, write: 0 };
    let stepStarted = started;
    const progress = (line: string) => {
      const ended = closeStepEnds.find(([, prefix]) => line.startsWith(prefix));
      if (!ended) return;
      const now = performance.now();
      steps[ended[0]] = rounded((now - stepStarted) / 1000);
      stepStarted = now;
    };
    const closed = await app.settlement.closePeriod(app.systemContext('bench'), periodId, progress);
    if (closed instanceof DomainError) throw new Error(`closing the period: ${closed.message}`);
    return {
      seconds: (performance.now() - started) / 1000,
      peakRssMiB: Math.round(peak / 2 ** 20),
      steps,
    };
  } finally {
    clearInterval(sampler);
    await app.close();
  }
}

interface StatementTimes {
  partnerId: string;
  lines: number;
  firstPageMs: number;
  deepPageMs: number;
  firstPageColdMs: number;
  deepPageColdMs: number;
  csvSeconds: number;
  csvPeakRssMiB: number;
  csvBytes: number;
  csvSha256: string;
}

/** The busiest partner's statement of the closed period: two pages, then the whole CSV. */
async function timeStatement(url: string, periodId: string): Promise<StatementTimes> {
  const app = await createApp({ databaseUrl: url, migrate: false, clock: new ManualClock() });
  try {
    const system = app.systemContext('bench');
    const partnerId = await busiestPartner(app, periodId);
    const page = async (after: string | null) => {
      const started = performance.now();
      const lines = await app.settlement.statementLines(
        system,
        periodId,
        partnerId,
        pageSize,
        after,
      );
      if (lines instanceof DomainError) throw new Error(`reading a page: ${lines.message}`);
      return { ms: performance.now() - started, lines };
    };
    const timesOf = async (after: string | null) => {
      const reads = [];
      for (let read = 0; read < pageReads; read++) reads.push(await page(after));
      const sorted = reads.map((read) => read.ms).sort((a, b) => a - b);
      return {
        coldMs: reads[0]!.ms,
        ms: sorted[Math.floor(pageReads / 2)]!,
        page: reads[0]!.lines,
      };
    };
    const first = await timesOf(null);
    if (first.page.items.length === 0) throw new Error(`${partnerId}'s statement has no lines`);
    // A real cursor from the middle: the page that starts at the period's middle transfer.
    const middle = await page(middleCursor(await middleTransfer(app, periodId)));
    const deep = await timesOf(middle.lines.endCursor);
    const csv = await timeCsv(app, periodId, partnerId);
    return {
      partnerId,
      firstPageMs: first.ms,
      deepPageMs: deep.ms,
      firstPageColdMs: first.coldMs,
      deepPageColdMs: deep.coldMs,
      ...csv,
    };
  } finally {
    await app.close();
  }
}

async function busiestPartner(app: App, periodId: string): Promise<string> {
  const rows = await app.db.query<{ party: string }>(
    `select party from (
       select debtor_id as party, obligation_count from settlement_gross where period_id = $1
       union all
       select creditor_id, obligation_count from settlement_gross where period_id = $1) flows
     where party like 'ptr_%' group by party order by sum(obligation_count) desc, party limit 1`,
    [periodId],
  );
  const party = rows.rows[0]?.party;
  if (!party) throw new Error('the closed period has no obligations');
  return party;
}

async function middleTransfer(app: App, periodId: string): Promise<string> {
  const rows = await app.db.query<{ id: string }>(
    `select t.id from transfer t, settlement_period p
     where p.id = $1 and t.created_at >= p.starts_at and t.created_at < p.ends_at
     order by t.id offset (select count(*) / 2 from transfer t, settlement_period p
                           where p.id = $1 and t.created_at >= p.starts_at and t.created_at < p.ends_at)
     limit 1`,
    [periodId],
  );
  return rows.rows[0]!.id;
}

/** A statement cursor is the position (transfer id, kind, currency) after which a page starts. */
function middleCursor(transferId: string): string {
  return Buffer.from(JSON.stringify([transferId, '', ''])).toString('base64url');
}

/** Streams the statement's CSV into a hash, sampling the process's RSS every 50 ms. */
async function timeCsv(app: App, periodId: string, partnerId: string) {
  const whole = await app.settlement.statement(app.systemContext('bench'), periodId, partnerId);
  if (whole instanceof DomainError) throw new Error(`reading the statement: ${whole.message}`);
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      bytes += chunk.length;
      lines += text.startsWith('line,') ? 1 : 0;
      hash.update(text.replaceAll(periodId, 'PERIOD'));
      done();
    },
  });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const started = performance.now();
    await pipeline(statementCsv(app.db, whole), sink);
    return {
      csvSeconds: (performance.now() - started) / 1000,
      csvPeakRssMiB: Math.round(peak / 2 ** 20),
      csvBytes: bytes,
      csvSha256: hash.digest('hex'),
      lines,
    };
  } finally {
    clearInterval(sampler);
  }
}
