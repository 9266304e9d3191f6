import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createApp } from '../../gateway/app';
import {
  generateTransfers,
  seedSyntheticCoalition,
} from '../../gateway/settlement/synthetic-activity';
import { ManualClock } from '../../gateway/shared/clock';
import { DomainError } from '../../gateway/shared/errors';
import type { BenchContext } from '../context';
import { type Experiment, measured, spreadOver } from '../figure';
import { rounded } from '../summary';

const dayMs = 86_400_000;
/** The period's window: four weeks well before the run. */
const periodStart = new Date('2026-01-01T00:00:00Z');
const periodSpanMs = 28 * dayMs;
/** 20 partners, as the issue says; 4 program currencies; members spread the activity. */
const shape = { partners: 20, currencies: 4, members: 50_000 };

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

/**
 * settle_vs_scan: the settlement module's synthetic activity (earns, redemptions, refunds and
 * conversions over 20 partners, written set-based) fills one period of a template database,
 * once; each run clones it (a close needs the period open), takes the scan (once to warm the
 * cache, once timed) and then times the close, both on the clone.
 */
export const settleVsScan: Experiment = {
  figures: ['settle_vs_scan'],
  async run(context) {
    const templateUrl = await context.server.recreateDatabase('settle_template');
    const periodId = await prepareTemplate(context, templateUrl);
    const closeSeconds: number[] = [];
    const scanSeconds: number[] = [];
    const peakRssMiB: number[] = [];
    for (let run = 0; run < context.options.runs; run++) {
      const url = await context.server.recreateDatabase('settle', 'settle_template');
      scanSeconds.push(await timeScan(url));
      const close = await timeClose(url, periodId);
      closeSeconds.push(close.seconds);
      peakRssMiB.push(close.peakRssMiB);
      context.log(
        `run ${run + 1}/${context.options.runs}: close ${close.seconds.toFixed(2)} s, scan ${scanSeconds.at(-1)!.toFixed(2)} s`,
      );
    }
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
        },
      ),
    ];
  },
};

/** Migrates, seeds the synthetic coalition, writes the transfers and opens their period. */
async function prepareTemplate(context: BenchContext, url: string): Promise<string> {
  const app = await createApp({ databaseUrl: url, clock: new ManualClock(periodStart) });
  try {
    await seedSyntheticCoalition(app, shape, periodStart);
    const transfers = context.options.settleTransfers;
    context.log(`writing ${transfers.toLocaleString('en')} transfers into one period`);
    const started = performance.now();
    await generateTransfers(
      app.db,
      shape,
      { count: transfers, firstId: 1, startsAt: periodStart, spanMs: periodSpanMs },
      (written) => context.log(`written ${written.toLocaleString('en')} transfers`),
    );
    await app.db.query('vacuum analyze transfer');
    await app.db.query('vacuum analyze posting');
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
async function timeClose(
  url: string,
  periodId: string,
): Promise<{ seconds: number; peakRssMiB: number }> {
  const clock = new ManualClock(new Date(periodStart.getTime() + periodSpanMs + 1_000));
  const app = await createApp({ databaseUrl: url, migrate: false, clock });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const started = performance.now();
    const closed = await app.settlement.closePeriod(app.systemContext('bench'), periodId);
    if (closed instanceof DomainError) throw new Error(`closing the period: ${closed.message}`);
    return {
      seconds: (performance.now() - started) / 1000,
      peakRssMiB: Math.round(peak / 2 ** 20),
    };
  } finally {
    clearInterval(sampler);
    await app.close();
  }
}
