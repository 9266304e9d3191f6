import type { FederatedSchema } from '../../gateway/federation/subgraph-schema';
import type { RewardInventory } from './inventory';

/** One partner business's service: who it is, where it listens by default, its subgraph. */
export interface PartnerDefinition {
  partnerId: string;
  name: string;
  /** The port it listens on unless configured otherwise. */
  defaultPort: number;
  /**
   * Root fields whose answers may be reused for a while (see CacheHint): sent as
   * `cache-control: private, max-age=N` (or `public, ...` when every field selected is public)
   * on a query selecting only such fields.
   */
  cacheHints?: Record<string, CacheHint>;
  /** Builds the subgraph over a fresh inventory (each running service owns its data). */
  build(): Promise<{ subgraph: FederatedSchema; inventory: RewardInventory }>;
}

/**
 * How long a root field's answer may be reused, in seconds, and by whom: `private` (a number
 * alone means private) lets the gateway answer the same member again from memory within that
 * time (MemberResponseCache); `public` also lets it reuse the partner's answer for every caller
 * (PartnerDataSource), which a field may declare only when its answer is the same whoever asks
 * (a catalogue, not a member's bookings).
 */
export type CacheHint = number | { maxAgeSeconds: number; scope: 'public' | 'private' };
