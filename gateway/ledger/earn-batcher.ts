import type { DomainError } from '../shared/errors';
import type { EarnEntry, EarnReceipt } from './earn';

type Outcome = EarnReceipt | DomainError;

interface Waiting {
  entry: EarnEntry;
  key: string;
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
 */
export const earnBatchesInFlightMax = 1;

/**
 * Group commit for earns. Requests queue here and leave in batches, each posted in one
 * transaction: while batches are in flight, new requests gather, so under load a commit (and
 * the update of the hot issuance account) carries many earns, and with no load a request
 * leaves at once, alone, adding no latency.
 *
 * Each request keeps its own result and idempotency: outcomes are matched to requests by
 * position. Two requests with one idempotency key never share a batch (the second waits for
 * the next one and is answered from the first's stored result). When a batch fails as a whole
 * (a constraint a single entry broke), its entries are retried one per transaction, so one bad
 * entry fails alone.
 */
export class EarnBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;

  constructor(private readonly post: (entries: EarnEntry[]) => Promise<Outcome[]>) {}

  submit(entry: EarnEntry): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const { scope, operation, key } = entry.claim;
      this.queue.push({ entry, key: `${scope}\u0000${operation}\u0000${key}`, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < earnBatchesInFlightMax && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Up to earnBatchSizeMax waiting requests with distinct keys, oldest first. */
  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const keys = new Set<string>();
    for (let index = 0; index < this.queue.length && batch.length < earnBatchSizeMax; ) {
      const waiting = this.queue[index]!;
      if (keys.has(waiting.key)) {
        index++;
        continue;
      }
      keys.add(waiting.key);
      batch.push(waiting);
      this.queue.splice(index, 1);
    }
    return batch;
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await this.post(batch.map((waiting) => waiting.entry));
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
