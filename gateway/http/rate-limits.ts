import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

/**
 * Per-partner rate limits (rate-limiter-flexible, in memory): a partner over its limit is
 * answered 429 RATE_LIMITED with Retry-After, before its request takes an admission slot, so a
 * runaway client cannot crowd out the others. Counted per gateway process: with several
 * processes behind one port, each allows the limit.
 */
export class PartnerRateLimits {
  private readonly limiters = new Map<number, RateLimiterMemory>();

  constructor(private readonly settings: RateLimitSettings) {}

  /** Resolves when the caller may go on; rejects with RATE_LIMITED when it is over its limit. */
  async admit(caller: Caller): Promise<void> {
    if (caller.kind !== 'partner') return;
    const limit = this.settings.perPartner[caller.partnerId] ?? this.settings.defaultPerWindow;
    if (limit <= 0) return;
    try {
      await this.limiterFor(limit).consume(caller.partnerId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      throw new TransientFailure(
        'RATE_LIMITED',
        `Partner ${caller.partnerId} is over its limit of ${limit} requests per ${this.settings.windowSeconds} s.`,
        Math.max(1, Math.ceil(refusal.msBeforeNext / 1_000)),
        429,
      );
    }
  }

  private limiterFor(limit: number): RateLimiterMemory {
    let limiter = this.limiters.get(limit);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: limit, duration: this.settings.windowSeconds });
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
