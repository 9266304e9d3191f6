import { earnBatchSize } from '../observability/metrics';
import { inSpan, SpanKind } from '../observability/tracing';
import type { DomainError } from '../shared/errors';
import { required } from '../shared/invariant';
import { deadlineExceeded, deadlinePassed, transientFailureOf } from '../shared/transient';
import { type EarnEntry, type EarnReceipt, purchaseKey, type RowsBusy, rowsBusy } from './earn';
import { claimString } from './idempotency';

type Outcome = EarnReceipt | DomainError;

/** Posts a batch: shared batches skip locked rows, a partner's lane waits for them. */
export type PostEarns = (
  entries: EarnEntry[],
  mode: { skipLocked: boolean },
) => Promise<(Outcome | RowsBusy)[]>;

interface Waiting {
  entry: EarnEntry;
  key: string;
  /** The partner's purchase: one earn per purchase, so two never share a batch either. */
  purchase: string;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

/** A partner's own queue, for earns the shared batch could not post without waiting. */
interface Lane {
  queue: Waiting[];
  busy: boolean;
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
 * Lane batches in flight at once, over all partners: each may wait for a lock (up to the
 * database's lock_timeout) holding a connection, so stuck partners hold at most this many.
 */
export const earnLanesInFlightMax = 2;

/**
 * Group commit for earns. Requests queue here and leave in batches, each posted in one
 * transaction: while batches are in flight, new requests gather, so under load a commit (and
 * the update of the hot issuance account) carries many earns, and with no load a request
 * leaves at once, alone, adding no latency.
 *
 * Each request keeps its own result and idempotency: outcomes are matched to requests by
 * position. Two requests with one idempotency key never share a batch (the second waits for
 * the next one and is answered from the first's stored result), nor two under one transaction
 * id (the second then sees the first, and is refused or answered from it). When a batch fails
 * as a whole (a constraint a single entry broke), its entries are retried one per transaction,
 * so one bad entry fails alone.
 *
 * One stuck partner costs only its own earns: the shared batch never waits for a lock
 * (`skipLocked`); an entry whose rows another transaction holds comes back `rowsBusy` and moves
 * to its partner's lane, which waits for the rows (bounded by lock_timeout, answered
 * LOCK_TIMEOUT) while the shared batches keep flowing. Later requests for a key or purchase in
 * a lane join that lane, so they never wait behind it in the shared batch. An entry whose
 * request's deadline passed while it queued is answered DEADLINE_EXCEEDED and never posted.
 */
export class EarnBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  /** Requests the next batch waits for: those queued plus those just answered. */
  private gatherTarget = 0;
  private gatherTimer: NodeJS.Timeout | undefined;
  private readonly lanes = new Map<string, Lane>();
  private lanesInFlight = 0;
  /** Keys and purchases with an entry in a lane, and that lane's partner. */
  private readonly inLanes = new Map<string, { partnerId: string; count: number }>();

  constructor(
    private readonly post: PostEarns,
    private readonly gatherMs = earnGatherMs,
  ) {}

  submit(entry: EarnEntry): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        entry,
        key: claimString(entry.claim),
        purchase: purchaseKey(entry),
        resolve,
        reject,
      };
      const lane = this.inLanes.get(waiting.key) ?? this.inLanes.get(waiting.purchase);
      if (lane) {
        this.toLane(lane.partnerId, waiting);
        return;
      }
      this.queue.push(waiting);
      this.pump();
    });
  }

  private pump(): void {
    if (this.gathering()) return;
    while (this.inFlight < earnBatchesInFlightMax && this.queue.length > 0) {
      this.stopGathering();
      const batch = takeBatch(this.queue);
      if (batch.length === 0) continue;
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

  private async run(batch: Waiting[], whole = false): Promise<void> {
    earnBatchSize.observe({ queue: 'shared' }, batch.length);
    try {
      const outcomes = await this.posted(batch, true);
      // Counted before answering: the answered come back after this, as new submissions.
      if (whole) this.gatherTarget = Math.min(earnBatchSizeMax, this.queue.length + batch.length);
      for (const [index, waiting] of batch.entries()) {
        const outcome = outcomes[index]!;
        if (outcome === rowsBusy) this.toLane(waiting.entry.partnerId, waiting);
        else waiting.resolve(outcome);
      }
    } catch (error) {
      const transient = transientFailureOf(error);
      if (batch.length === 1 || transient) {
        for (const waiting of batch) waiting.reject(transient ?? error);
        return;
      }
      // Isolate the entry that broke the batch: each of the others succeeds on its own.
      await Promise.all(batch.map((waiting) => this.run([waiting])));
    }
  }

  /**
   * Posts a batch in one statement; with tracing on, in a span of the trace of the request
   * that started the batch (the others in it share the statement).
   */
  private posted(batch: Waiting[], skipLocked: boolean): Promise<(Outcome | RowsBusy)[]> {
    return inSpan('db earn batch', SpanKind.CLIENT, (span) => {
      span?.setAttribute('coalition.batch_size', batch.length);
      return this.post(
        batch.map((waiting) => waiting.entry),
        { skipLocked },
      );
    });
  }

  private toLane(partnerId: string, waiting: Waiting): void {
    let lane = this.lanes.get(partnerId);
    if (!lane) {
      lane = { queue: [], busy: false };
      this.lanes.set(partnerId, lane);
    }
    for (const name of [waiting.key, waiting.purchase]) {
      const held = this.inLanes.get(name);
      if (held) held.count++;
      else this.inLanes.set(name, { partnerId, count: 1 });
    }
    const leave = () => {
      for (const name of [waiting.key, waiting.purchase]) {
        const held = required(this.inLanes.get(name), `the lane entry of ${name}`);
        if (--held.count === 0) this.inLanes.delete(name);
      }
    };
    lane.queue.push({
      ...waiting,
      resolve: (outcome) => {
        leave();
        waiting.resolve(outcome);
      },
      reject: (error) => {
        leave();
        waiting.reject(error);
      },
    });
    this.pumpLanes();
  }

  private pumpLanes(): void {
    for (const [partnerId, lane] of this.lanes) {
      if (this.lanesInFlight >= earnLanesInFlightMax) return;
      if (lane.busy) continue;
      const batch = takeBatch(lane.queue);
      if (batch.length === 0) {
        if (lane.queue.length === 0) this.lanes.delete(partnerId);
        continue;
      }
      lane.busy = true;
      this.lanesInFlight++;
      this.runLane(batch).finally(() => {
        lane.busy = false;
        this.lanesInFlight--;
        // Moved to the end: lanes take turns.
        this.lanes.delete(partnerId);
        if (lane.queue.length > 0) this.lanes.set(partnerId, lane);
        this.pumpLanes();
      });
    }
  }

  /** A lane's batch waits for its rows; a batch one entry broke is retried one at a time. */
  private async runLane(batch: Waiting[]): Promise<void> {
    earnBatchSize.observe({ queue: 'lane' }, batch.length);
    try {
      const outcomes = await this.posted(batch, false);
      for (const [index, waiting] of batch.entries()) {
        waiting.resolve(outcomes[index] as Outcome);
      }
    } catch (error) {
      const transient = transientFailureOf(error);
      if (batch.length === 1 || transient) {
        for (const waiting of batch) waiting.reject(transient ?? error);
        return;
      }
      for (const waiting of batch) await this.runLane([waiting]);
    }
  }
}

/**
 * Takes up to earnBatchSizeMax waiting requests with distinct keys and purchases from `queue`,
 * oldest first. Requests whose deadline passed are answered DEADLINE_EXCEEDED instead: their
 * caller has stopped waiting, so they are never posted.
 */
function takeBatch(queue: Waiting[]): Waiting[] {
  const batch: Waiting[] = [];
  const keys = new Set<string>();
  const purchases = new Set<string>();
  for (let index = 0; index < queue.length && batch.length < earnBatchSizeMax; ) {
    const waiting = queue[index]!;
    if (deadlinePassed(waiting.entry.deadlineAt)) {
      queue.splice(index, 1);
      waiting.reject(deadlineExceeded());
      continue;
    }
    if (keys.has(waiting.key) || purchases.has(waiting.purchase)) {
      index++;
      continue;
    }
    keys.add(waiting.key);
    purchases.add(waiting.purchase);
    batch.push(waiting);
    queue.splice(index, 1);
  }
  return batch;
}
