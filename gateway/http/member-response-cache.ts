import { cacheLookups } from '../observability/metrics';

/**
 * Cached answers to members' read-only GraphQL requests (the wallet a member's app refreshes),
 * so a repeated read costs a map lookup instead of three queries and an execution.
 *
 * Correctness rests on invalidation, not on time:
 * - Everything a member's read shows changes only through transfers, and every committed
 *   statement that inserts transfers names their members on the database's change feed
 *   (ChangeFeed), so any process's write drops the member's entries within milliseconds; and
 *   when other gateway processes share the database, a hit first waits for the feed's barrier
 *   (ChangeFeed.fresh), so it never misses a write acknowledged before the read arrived.
 *   This process's own earns, payments and refunds drop them synchronously before answering,
 *   its sweeps (holds, maturity, expiry) before they return, and so does any mutation a member
 *   makes here, so a caller always reads its own writes.
 * - A read records the member's generation before executing and stores its answer only if no
 *   invalidation happened meanwhile, so a slow read can never store a stale answer over a
 *   newer invalidation.
 * - When the feed reconnects (notifications may have been missed) or the cache outgrows its
 *   bound, everything is dropped.
 * - Entries also expire at `validUntilMs` (the end of the UTC day: "expiring soon" is counted at
 *   day granularity), and after entryTtlMsMax at the latest.
 */
export const memberResponseCacheMembersMax = 50_000;
/**
 * Bytes of cached bodies at most (a string's length counts as bytes: ASCII JSON): the gateway runs with a 256 MB
 * old space (package.json `start`), so the cache gets a quarter of it.
 */
export const memberResponseCacheBytesMax = 64 * 1024 * 1024;
export const responsesPerMemberMax = 8;
export const entryTtlMsMax = 10 * 60_000;

interface CachedResponse {
  /** The answer's bytes (a Buffer from the HTTP layer, outside the garbage collector's copies). */
  body: string | Uint8Array;
  headers: [string, string][];
  /** The operation's metrics label, so a hit is counted under it without parsing. */
  operation?: string;
  expiresAtMs: number;
}

const hits = cacheLookups.labels('member_response', 'hit');
const misses = cacheLookups.labels('member_response', 'miss');

export interface ReadTicket {
  memberId: string;
  key: string;
  generation: number;
  epoch: number;
}

export class MemberResponseCache {
  private readonly responses = new Map<string, Map<string, CachedResponse>>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;
  private bytes = 0;

  /** The answer held for this read while it is valid (an expired one is dropped); uncounted. */
  peek(memberId: string, key: string, nowMs: number): CachedResponse | undefined {
    const cached = this.responses.get(memberId)?.get(key);
    if (!cached) return undefined;
    if (cached.expiresAtMs <= nowMs) {
      this.drop(memberId, key);
      return undefined;
    }
    return cached;
  }

  /** The same, counted once in coalition_cache_lookups_total (a hit or a miss). */
  lookup(memberId: string, key: string, nowMs: number): CachedResponse | undefined {
    const cached = this.peek(memberId, key, nowMs);
    (cached ? hits : misses).inc();
    return cached;
  }

  /** Counts a read answered from the database that was not looked up (see `lookup`). */
  countMiss(): void {
    misses.inc();
  }

  /** Taken before a read executes; `store` accepts its answer only if nothing changed since. */
  ticket(memberId: string, key: string): ReadTicket {
    return { memberId, key, generation: this.generations.get(memberId) ?? 0, epoch: this.epoch };
  }

  store(
    ticket: ReadTicket,
    response: Omit<CachedResponse, 'expiresAtMs'>,
    nowMs: number,
    validUntilMs: number,
  ): void {
    if (ticket.epoch !== this.epoch) return;
    if ((this.generations.get(ticket.memberId) ?? 0) !== ticket.generation) return;
    const size = response.body.length;
    if (
      this.responses.size >= memberResponseCacheMembersMax ||
      this.bytes + size > memberResponseCacheBytesMax
    ) {
      this.reset();
      return;
    }
    let forMember = this.responses.get(ticket.memberId);
    if (!forMember) {
      forMember = new Map();
      this.responses.set(ticket.memberId, forMember);
    }
    this.drop(ticket.memberId, ticket.key);
    if (forMember.size >= responsesPerMemberMax) {
      for (const key of [...forMember.keys()]) this.drop(ticket.memberId, key);
    }
    this.bytes += size;
    forMember.set(ticket.key, {
      ...response,
      expiresAtMs: Math.min(validUntilMs, nowMs + entryTtlMsMax),
    });
  }

  /** Bytes of the bodies held now. */
  get size(): number {
    return this.bytes;
  }

  invalidate(memberIds: readonly string[]): void {
    for (const memberId of memberIds) {
      for (const key of [...(this.responses.get(memberId)?.keys() ?? [])]) this.drop(memberId, key);
      this.responses.delete(memberId);
      this.generations.set(memberId, (this.generations.get(memberId) ?? 0) + 1);
    }
    // Generations only need to outlive reads in flight; bound them like the responses.
    if (this.generations.size > memberResponseCacheMembersMax * 4) this.reset();
  }

  /** Drops everything; reads in flight will not store (their epoch is gone). */
  reset(): void {
    this.responses.clear();
    this.generations.clear();
    this.bytes = 0;
    this.epoch++;
  }

  private drop(memberId: string, key: string): void {
    const forMember = this.responses.get(memberId);
    const cached = forMember?.get(key);
    if (!forMember || !cached) return;
    this.bytes -= cached.body.length;
    forMember.delete(key);
  }
}

/** The end of the current UTC day: when day-granular answers ("expiring soon") roll over. */
export function endOfUtcDayMs(nowMs: number): number {
  const day = 86_400_000;
  return Math.floor(nowMs / day) * day + day;
}
