import type { App } from '../app';
import { measuredJob } from '../observability/metrics';

/**
 * Runs the sweeps (maturity, expiry, expired redemption holds, expired quotes, tier reviews) every
 * `intervalMs` inside the gateway. Runs never overlap; a failed run is logged and the next one
 * tries again; each sweep is counted and timed (coalition_job_runs_total,
 * coalition_job_duration_seconds). The same sweeps run on demand with
 * `npm run jobs -- mature|expire|quotes|tiers`.
 */
export function startSweeps(
  app: App,
  intervalMs: number,
  log: (line: string) => void,
): { stop(): Promise<void> } {
  if (intervalMs === 0) return { stop: async () => undefined };
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const matured = await measuredJob('mature', () => app.ledger.matureDue());
      const expired = await measuredJob('expire', () => app.ledger.expireDue());
      const holdsVoided = await measuredJob('void_holds', () => app.ledger.voidExpiredHolds());
      const quotesDeleted = await measuredJob('delete_quotes', () =>
        app.exchange.deleteExpiredQuotes(),
      );
      const tiersReviewed = await measuredJob('review_tiers', () => app.tiers.reviewDue());
      if (matured + expired + holdsVoided + quotesDeleted + tiersReviewed > 0)
        log(
          `sweeps: ${matured} pending earns matured, ${expired} accounts had points expire, ${holdsVoided} unconfirmed redemption holds voided, ${quotesDeleted} expired quotes deleted, ${tiersReviewed} members' tiers reviewed`,
        );
    } catch (error) {
      log(`sweeps failed (will retry): ${(error as Error).message}`);
    }
  };
  const timer = setInterval(() => {
    running ??= run().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
