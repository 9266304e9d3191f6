import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type App, createApp } from '../../gateway/app';
import { bulkLoadEarns } from '../bulk-load';
import type { BenchContext } from '../context';
import { type Experiment, measured, notAvailable, spreadOver } from '../figure';
import { rounded } from '../summary';

/** A closed period: a calendar month well before the run. */
export interface SettlementPeriod {
  from: Date;
  to: Date;
}

/** Closes one settlement period on the app's database, as finance would. */
export type ClosePeriod = (period: SettlementPeriod) => Promise<unknown>;

/**
 * Finds the settlement close of issue 4 on the App. Settlement is built on another branch; until
 * it is merged there is none and the figure reports "not available". This is the one place to
 * adapt when its real name and signature are known.
 */
export function findClosePeriod(app: App): ClosePeriod | undefined {
  const settlement = (
    app as unknown as {
      settlement?: {
        closePeriod?: (context: unknown, period: SettlementPeriod) => Promise<unknown>;
      };
    }
  ).settlement;
  const close = settlement?.closePeriod;
  if (typeof close !== 'function') return undefined;
  return (period) => close.call(settlement, app.systemContext('bench-settle'), period);
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

export async function scanPeriod(databaseUrl: string, period: SettlementPeriod): Promise<number> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    const started = performance.now();
    await client.query(periodScanSql, [period.from, period.to]);
    return (performance.now() - started) / 1_000;
  } finally {
    await client.end();
  }
}

/**
 * settle_vs_scan: each run clones the loaded database (a close must find the period open), times
 * the close and then the scan on the clone. Reports "not available" until settlement exists.
 */
export const settleVsScan: Experiment = {
  figures: ['settle_vs_scan'],
  async run(context) {
    const templateUrl = await context.seededDatabase('settle_template');
    const app = await createApp({ databaseUrl: templateUrl, migrate: false });
    const available = findClosePeriod(app) !== undefined;
    await app.close();
    if (!available) {
      return [
        notAvailable(
          'settle_vs_scan',
          'the App has no settlement.closePeriod (settlement, issue 4, is not merged yet)',
        ),
      ];
    }
    const period = lastMonth();
    const transfers = context.options.settleTransfers;
    context.log(`bulk-loading ${transfers.toLocaleString('en')} transfers into one period`);
    const load = await bulkLoadEarns(templateUrl, {
      transfers,
      members: context.options.members,
      createdFrom: period.from,
      createdTo: period.to,
      log: (line) => context.log(line),
    });
    const closeSeconds: number[] = [];
    const scanSeconds: number[] = [];
    for (let run = 0; run < context.options.runs; run++) {
      const url = await context.server.recreateDatabase('settle', 'settle_template');
      closeSeconds.push(await timeClose(context, url, period));
      scanSeconds.push(await scanPeriod(url, period));
      context.log(
        `run ${run + 1}/${context.options.runs}: close ${closeSeconds.at(-1)!.toFixed(2)} s, scan ${scanSeconds.at(-1)!.toFixed(2)} s`,
      );
    }
    return [
      measured(
        'settle_vs_scan',
        closeSeconds.map((seconds, index) => rounded(seconds / scanSeconds[index]!)),
        {
          transfers,
          loadSeconds: rounded(load.loadSeconds),
          closeSeconds: spreadOver(closeSeconds, (value) => value),
          scanSeconds: spreadOver(scanSeconds, (value) => value),
        },
      ),
    ];
  },
};

async function timeClose(
  context: BenchContext,
  url: string,
  period: SettlementPeriod,
): Promise<number> {
  const app = await createApp({ databaseUrl: url, migrate: false });
  try {
    const close = findClosePeriod(app)!;
    const started = performance.now();
    await close(period);
    return (performance.now() - started) / 1_000;
  } catch (error) {
    context.log(`settlement close failed: ${(error as Error).message}`);
    throw error;
  } finally {
    await app.close();
  }
}

function lastMonth(): SettlementPeriod {
  const now = new Date();
  return {
    from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)),
    to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
  };
}
