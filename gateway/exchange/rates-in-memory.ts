import type { SqlDatabase } from '../db/sql';
import type { ExchangeRate } from './exchange-model';
import { ratesInForce, rateVersionsFrom } from './rate-book';

/** More versions than this in force from now on, and each read asks the database. */
export const rateVersionsInMemoryMax = 1_000;

interface Loaded {
  /** The versions in force at `from` or later, or undefined when there were too many. */
  versions: Promise<readonly ExchangeRate[] | undefined>;
  from: Date;
}

/**
 * The exchange rates in force, from memory while the change feed keeps them current: a
 * reward's affordability reads them on every federated read a member makes, a statement per
 * request before. Held: every version in force at the load's moment or later (the open ones
 * and the scheduled ones), so the rates in force at any later moment are a filter of them.
 * Dropped (`clear`) by this process's rate changes once they commit and by every process's
 * through the change feed (migration 0095: `exchange_rate` notifies `coalition_changed`), and
 * loaded again by the next read; the operator's writes are acknowledged only once every
 * process has handled the notification (ChangeFeed.propagate), so a read after a rate change
 * never finds the old version in any process. `current()` false (the feed's connection
 * dropped, or it never listened) and every read asks the database, as do reads of a moment
 * before the load's (a test's clock set back).
 */
export class RatesInMemory {
  private loaded: Loaded | undefined;
  private current: () => boolean = () => false;

  constructor(private readonly db: SqlDatabase) {}

  /** From now on, serve from memory while `current()` holds (the feed's listeningNow()). */
  follow(current: () => boolean): void {
    this.loaded = undefined;
    this.current = current;
  }

  /** Drops what is held: a rate version or promotion changed somewhere. */
  clear(): void {
    this.loaded = undefined;
  }

  /** Every rate in force at `at`, by pair, as ratesInForce reads them. */
  async inForce(at: Date): Promise<ExchangeRate[]> {
    if (!this.current()) return ratesInForce(this.db, at);
    const loaded = this.loadFor(at);
    const versions = loaded && (await loaded.versions);
    if (!versions) return ratesInForce(this.db, at);
    const time = at.getTime();
    return versions.filter(
      (rate) =>
        rate.effectiveFrom.getTime() <= time &&
        (rate.effectiveTo === null || rate.effectiveTo.getTime() > time),
    );
  }

  private loadFor(at: Date): Loaded | undefined {
    if (!this.loaded) {
      const versions = rateVersionsFrom(this.db, at, rateVersionsInMemoryMax + 1).then((rates) =>
        rates.length > rateVersionsInMemoryMax
          ? undefined
          : rates.map((rate) => Object.freeze(rate)),
      );
      const loaded = { versions, from: at };
      this.loaded = loaded;
      // A failed load is not kept: the next read tries again.
      versions.catch(() => {
        if (this.loaded === loaded) this.loaded = undefined;
      });
    }
    return at.getTime() >= this.loaded.from.getTime() ? this.loaded : undefined;
  }
}
