import { required } from '../shared/invariant';
import { TransientFailure } from '../shared/transient';

/**
 * What one gateway process takes on at once, and how long a request may take. Read from the
 * environment by loadConfig; the defaults suit the demo and the benchmarks.
 */
export interface RequestLimits {
  /** A request not answered this long after it arrived gets DEADLINE_EXCEEDED (503). */
  deadlineMs: number;
  /** GraphQL requests executing at once, over every caller. */
  concurrencyMax: number;
  /**
   * Requests one caller (a partner, a member, a finance user) may have executing at once: a
   * partner whose requests are all stuck waiting for its rows holds no more than this.
   */
  callerConcurrencyMax: number;
  /** How long a request may wait for a slot before it is answered BUSY (503). */
  queueWaitMs: number;
}

export const defaultRequestLimits: RequestLimits = {
  deadlineMs: 10_000,
  concurrencyMax: 256,
  callerConcurrencyMax: 64,
  queueWaitMs: 1_000,
};

interface Waiter {
  caller: string;
  admit(): void;
  timer: NodeJS.Timeout;
}

/**
 * Bounded admission. A request executes when both the process and its caller have a free slot;
 * otherwise it waits, first come first served, for at most `queueWaitMs` and is then refused
 * with BUSY, so under overload the requests that are served keep a bounded latency and the
 * others learn at once that they should come back later (Retry-After) instead of queueing
 * without end.
 */
export class Admission {
  private executing = 0;
  private readonly byCaller = new Map<string, number>();
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limits: RequestLimits) {}

  /** Resolves with the function that frees the slot, or rejects with BUSY. */
  enter(caller: string): Promise<() => void> {
    if (this.waiting.length === 0 && this.hasRoom(caller))
      return Promise.resolve(this.take(caller));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        caller,
        admit: () => {
          clearTimeout(waiter.timer);
          resolve(this.take(caller));
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(
            new TransientFailure(
              'BUSY',
              'The gateway is at capacity; retry after the time in Retry-After.',
            ),
          );
        }, this.limits.queueWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Requests executing now (for tests and metrics). */
  get load(): { executing: number; waiting: number } {
    return { executing: this.executing, waiting: this.waiting.length };
  }

  private hasRoom(caller: string): boolean {
    return (
      this.executing < this.limits.concurrencyMax &&
      (this.byCaller.get(caller) ?? 0) < this.limits.callerConcurrencyMax
    );
  }

  private take(caller: string): () => void {
    this.executing++;
    this.byCaller.set(caller, (this.byCaller.get(caller) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.executing--;
      const left = required(this.byCaller.get(caller), `the slots of ${caller}`) - 1;
      if (left === 0) this.byCaller.delete(caller);
      else this.byCaller.set(caller, left);
      this.admitWaiting();
    };
  }

  /** The oldest waiters whose caller has room go in; a full caller does not block others. */
  private admitWaiting(): void {
    for (let index = 0; index < this.waiting.length; ) {
      if (this.executing >= this.limits.concurrencyMax) return;
      const waiter = this.waiting[index]!;
      if (!this.hasRoom(waiter.caller)) {
        index++;
        continue;
      }
      this.waiting.splice(index, 1);
      waiter.admit();
    }
  }
}

/** The admission key of a caller: each partner, member or user has its own share. */
export function callerKey(caller: {
  kind: string;
  partnerId?: string;
  memberId?: string;
  userId?: string;
}): string {
  return `${caller.kind}:${caller.partnerId ?? caller.memberId ?? caller.userId ?? ''}`;
}
