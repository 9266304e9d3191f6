import cluster from 'node:cluster';
import {
  type RateLimiterAbstract,
  RateLimiterCluster,
  RateLimiterMemory,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Caller } from '../shared/context';
import { TransientFailure } from '../shared/transient';

/** Requests a partner may send per window: a default, and overrides per partner id. */
export interface RateLimitSettings {
  /** Requests per window for any partner without an override; 0 turns limits off. */
  defaultPerWindow: number;
  perPartner: Record<string, number>;
  /** The window, in seconds (1: the limits are per second). */
  windowSeconds: number;
}

export const defaultRateLimits: RateLimitSettings = {
  // Well above what one partner's point-of-sale fleet sends today (the bench's hot partner
  // sends about 1,500 earns/s): a guard against a runaway client, not a quota.
  defaultPerWindow: 5_000,
  perPartner: {},
  windowSeconds: 1,
};

/** How long a worker waits for the primary's count before letting the request through. */
const clusterAnswerTimeoutMs = 1_000;

/**
 * Per-partner rate limits (rate-limiter-flexible): a partner over its limit is answered 429
 * RATE_LIMITED with Retry-After, before its request takes an admission slot, so a runaway client
 * cannot crowd out the others. Counted once for the whole gateway: in a GATEWAY_WORKERS worker
 * the count lives in the primary (RateLimiterCluster over the cluster's IPC channel; the primary
 * runs the RateLimiterClusterMaster, see cluster.ts), since a partner's keep-alive connections
 * may all land on one worker or spread over all of them. A single process counts in memory.
 * If the primary does not answer in time, the request goes through: a limit is a guard against
 * runaway clients, not an invariant worth refusing good traffic for.
 */
export class PartnerRateLimits {
  private readonly limiters = new Map<number, RateLimiterAbstract>();

  constructor(private readonly settings: RateLimitSettings) {}

  /** Resolves when the caller may go on; rejects with RATE_LIMITED when it is over its limit. */
  async admit(caller: Caller): Promise<void> {
    if (caller.kind !== 'partner') return;
    const limit = this.settings.perPartner[caller.partnerId] ?? this.settings.defaultPerWindow;
    if (limit <= 0) return;
    try {
      await this.limiterFor(limit).consume(caller.partnerId);
    } catch (refusal) {
      // Anything but a refusal is the primary not answering: let the request through.
      if (!(refusal instanceof RateLimiterRes)) return;
      throw new TransientFailure(
        'RATE_LIMITED',
        `Partner ${caller.partnerId} is over its limit of ${limit} requests per ${this.settings.windowSeconds} s.`,
        Math.max(1, Math.ceil(refusal.msBeforeNext / 1_000)),
        429,
      );
    }
  }

  private limiterFor(limit: number): RateLimiterAbstract {
    let limiter = this.limiters.get(limit);
    if (!limiter) {
      const options = { points: limit, duration: this.settings.windowSeconds };
      limiter = cluster.isWorker
        ? new RateLimiterCluster({
            ...options,
            // One counter per limit value, shared by every worker.
            keyPrefix: `partner-${limit}-${this.settings.windowSeconds}`,
            timeoutMs: clusterAnswerTimeoutMs,
          })
        : new RateLimiterMemory(options);
      this.limiters.set(limit, limiter);
    }
    return limiter;
  }
}

/** `ptr_a=100,ptr_b=2000` as overrides; problems name the entry. */
export function parseRateLimitOverrides(value: string | undefined): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const entry of (value ?? '').split(',').map((item) => item.trim())) {
    if (!entry) continue;
    const match = /^(ptr_[a-z0-9_]+)=(\d+)$/.exec(entry);
    if (!match) {
      throw new Error(`PARTNER_RATE_LIMITS entry "${entry}" must be ptr_id=requests per second`);
    }
    overrides[match[1]!] = Number(match[2]);
  }
  return overrides;
}
