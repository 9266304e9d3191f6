import type { FederatedSchema } from '../../gateway/federation/subgraph-schema';
import type { RewardInventory } from './inventory';

/** One partner business's service: who it is, where it listens by default, its subgraph. */
export interface PartnerDefinition {
  partnerId: string;
  name: string;
  /** The port it listens on unless configured otherwise. */
  defaultPort: number;
  /**
   * Root fields whose answers may be reused for a while, with for how long (seconds): sent as
   * `cache-control: private, max-age=N` on a query selecting only such fields, so the gateway
   * may serve a member the same answer again within N seconds (MemberResponseCache).
   */
  cacheHints?: Record<string, number>;
  /** Builds the subgraph over a fresh inventory (each running service owns its data). */
  build(): Promise<{ subgraph: FederatedSchema; inventory: RewardInventory }>;
}
