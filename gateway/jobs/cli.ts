import { createApp } from '../app';
import { loadConfig } from '../config';
import { openDatabaseServer } from '../db/database';

/**
 * `npm run jobs -- mature | expire | quotes | tiers | all [--as-of 2027-01-01T00:00:00Z]`: runs the
 * sweeps once, printing progress, on DATABASE_URL or the embedded database (shared with a running
 * gateway, or started for the run). The gateway also runs them on a schedule.
 */
const usage = 'usage: npm run jobs -- mature|expire|quotes|tiers|all [--as-of <ISO time>]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const job = args[0];
  if (!job || !['mature', 'expire', 'quotes', 'tiers', 'all'].includes(job)) {
    console.error(usage);
    process.exit(2);
  }
  const asOfIndex = args.indexOf('--as-of');
  const asOf = asOfIndex >= 0 ? new Date(args[asOfIndex + 1] ?? '') : new Date();
  if (Number.isNaN(asOf.getTime())) {
    console.error(`--as-of needs an ISO time. ${usage}`);
    process.exit(2);
  }
  const config = loadConfig();
  const log = (line: string) => console.log(`[jobs] ${line}`);
  const database = await openDatabaseServer({ ...config, attach: true, log });
  const app = await createApp({ databaseUrl: database.url });
  try {
    const progress = (what: string) => (done: number) => log(`${what}: ${done} so far`);
    if (job === 'mature' || job === 'all') {
      log(
        `matured ${await app.ledger.matureDue(asOf, progress('matured'))} pending earns due by ${asOf.toISOString()}`,
      );
    }
    if (job === 'expire' || job === 'all') {
      log(
        `expired points in ${await app.ledger.expireDue(asOf, progress('expired'))} accounts, due by ${asOf.toISOString()}`,
      );
    }
    if (job === 'tiers' || job === 'all') {
      log(
        `reviewed the tiers of ${await app.tiers.reviewDue(asOf, progress('reviewed'))} members due by ${asOf.toISOString()} (downgrades at the review date, grants started or ended)`,
      );
    }
    if (job === 'quotes' || job === 'all') {
      log(
        `deleted ${await app.exchange.deleteExpiredQuotes(asOf, progress('deleted'))} unused quotes expired over a day before ${asOf.toISOString()}`,
      );
    }
  } finally {
    await app.close();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`[jobs] failed: ${(error as Error).message}`);
  process.exit(1);
});
