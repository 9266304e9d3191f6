import type { JWK, JWTVerifyGetKey } from 'jose';
import type { PartnerFaults } from './shared/context';
import type { PartnerDefinition } from './shared/definition';
import type { RewardInventory } from './shared/inventory';
import { generatePartnerKey, loadPartnerKey } from './shared/partner-keys';
import { type RunningPartnerServer, startPartnerServer } from './shared/partner-server';

export interface StartPartnersOptions {
  /** The gateway's public keys (assertions are verified with them). */
  gatewayKeys: JWTVerifyGetKey;
  /** The coalition gateway's GraphQL URL (for holds and confirmations). */
  coalitionUrl: string;
  host: string;
  /** Port per partner id; the definition's default otherwise; 0 picks a free port. */
  ports?: Record<string, number>;
  /** Where development keys live; omitted, each service gets a fresh key (tests). */
  dataDir?: string;
  faults?: Record<string, PartnerFaults>;
  log: (line: string) => void;
}

export interface StartedPartner extends RunningPartnerServer {
  name: string;
  inventory: RewardInventory;
  signingKey: JWK;
}

/** Starts partner services side by side; on a failure stops those already started. */
export async function startPartnerServices(
  definitions: readonly PartnerDefinition[],
  options: StartPartnersOptions,
): Promise<StartedPartner[]> {
  const started: StartedPartner[] = [];
  try {
    for (const definition of definitions) {
      const { subgraph, inventory } = await definition.build();
      const signingKey = options.dataDir
        ? await loadPartnerKey({ partnerId: definition.partnerId, dataDir: options.dataDir })
        : await generatePartnerKey(definition.partnerId);
      const server = await startPartnerServer({
        partnerId: definition.partnerId,
        name: definition.name,
        schema: subgraph.schema,
        port: options.ports?.[definition.partnerId] ?? definition.defaultPort,
        host: options.host,
        gatewayKeys: options.gatewayKeys,
        signingKey,
        coalitionUrl: options.coalitionUrl,
        faults: options.faults?.[definition.partnerId],
        cacheHints: definition.cacheHints,
        log: options.log,
      });
      started.push({ ...server, name: definition.name, inventory, signingKey });
    }
    return started;
  } catch (error) {
    await Promise.all(started.map((partner) => partner.stop()));
    throw error;
  }
}
