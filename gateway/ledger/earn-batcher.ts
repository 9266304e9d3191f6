import type { DomainError } from '../shared/errors';
import { type EarnEntry, type EarnReceipt, purchaseKey } from './earn';

type Outcome = EarnReceipt | DomainError;

interface Waiting {
  entry: EarnEntry;
  key: string;
  /** The partner's purchase: one earn per purchase, so two never share a batch either. */
  purchase: string;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

/** Earns committed per transaction at most. */
export const earnBatchSizeMax = 256;
/**
 * Batches in flight at once. One: the next batch gathers while the current one commits, so
 * batches are as large as the load allows. Measured with 10 clients: 1 in flight gave the most
 * earns per second and the least CPU per earn in both the gateway and PostgreSQL (1,885/s at
 * 0.28 + 0.33 ms) against 2 (1,641/s, 0.33 + 0.46 ms) and 3 (1,303/s, 0.40 + 0.64 ms).
 * Again with the five-statement batch function (migrations/0012), earn_vs_tpcb over 6 runs
 * each, alternating: median 0.605 with 1 in flight, 0.539 with 2.
 */
export const earnBatchesInFlightMax = 1;
/**
 * How long, at most, the next batch waits for the requests just answered to come back. Without
 * it a closed-loop load splits into two cohorts that alternate (half the clients wait in the
 * queue while the other half commits), so batches stay half as large as they could be. With
 * 10 clients on the bench: batches of about 10 instead of 5, 1,520-1,670 earns/s against
 * 480-680/s in the same session (noisy machine; see the closing note of issue 6). A request
 * arriving at an idle batcher with nothing just answered never waits.
 */
export const earnGatherMs = 2;

/**
 * Group commit for earns. Requests queue here and leave in batches, each posted in one
 * transaction: while batches are in flight, new requests gather, so under load a commit (and
 * the update of the hot issuance account) carries many earns, and with no load a request
 * leaves at once, alone, adding no latency.
 *
 * Each request keeps its own result and idempotency: outcomes are matched to requests by
 * position. Two requests with one idempotency key never share a batch (the second waits for
 * the next one and is answered from the first's stored result), nor two under one transaction
 * id (the second then sees the first, and is refused or answered from it). When a batch fails as a whole
 * (a constraint a single entry broke), its entries are retried one per transaction, so one bad
 * entry fails alone.
 */
export class EarnBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  /** Requests the next batch waits for: those queued plus those just answered. */
  private gatherTarget = 0;
  private gatherTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly post: (entries: EarnEntry[]) => Promise<Outcome[]>,
    private readonly gatherMs = earnGatherMs,
  ) {}

  submit(entry: EarnEntry): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const { scope, operation, key } = entry.claim;
      this.queue.push({
        entry,
        key: `${scope}\u0000${operation}\u0000${key}`,
        purchase: purchaseKey(entry),
        resolve,
        reject,
      });
      this.pump();
    });
  }

  private pump(): void {
    if (this.gathering()) return;
    while (this.inFlight < earnBatchesInFlightMax && this.queue.length > 0) {
      this.stopGathering();
      const batch = this.takeBatch();
      this.inFlight++;
      this.run(batch, true).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** True while the next batch waits for more requests (until the target or the deadline). */
  private gathering(): boolean {
    if (
      this.gatherMs <= 0 ||
      this.inFlight > 0 ||
      this.queue.length === 0 ||
      this.queue.length >= this.gatherTarget
    ) {
      return false;
    }
    this.gatherTimer ??= setTimeout(() => {
      this.gatherTimer = undefined;
      this.gatherTarget = 0;
      this.pump();
    }, this.gatherMs);
    return true;
  }

  private stopGathering(): void {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    this.gatherTarget = 0;
  }

  /** Up to earnBatchSizeMax waiting requests with distinct keys and purchases, oldest first. */
  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const keys = new Set<string>();
    const purchases = new Set<string>();
    for (let index = 0; index < this.queue.length && batch.length < earnBatchSizeMax; ) {
      const waiting = this.queue[index]!;
      if (keys.has(waiting.key) || purchases.has(waiting.purchase)) {
        index++;
        continue;
      }
      keys.add(waiting.key);
      purchases.add(waiting.purchase);
      batch.push(waiting);
      this.queue.splice(index, 1);
    }
    return batch;
  }

  private async run(batch: Waiting[], whole = false): Promise<void> {
    try {
      const outcomes = await this.post(batch.map((waiting) => waiting.entry));
      // Counted before answering: the answered come back after this, as new submissions.
      if (whole) this.gatherTarget = Math.min(earnBatchSizeMax, this.queue.length + batch.length);
      for (const [index, waiting] of batch.entries()) waiting.resolve(outcomes[index]!);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // Isolate the entry that broke the batch: each of the others succeeds on its own.
      await Promise.all(batch.map((waiting) => this.run([waiting])));
    }
  }
}
