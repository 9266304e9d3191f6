import type { GraphQLSchema } from 'graphql';
import type { JWK } from 'jose';
import type { App } from '../app';
import type { TokenVerifier } from '../auth/tokens';
import { invariant } from '../shared/invariant';
import { AssertionSigner } from './assertions';
import { CoalitionGateway } from './coalition-gateway';
import { buildCoalitionSubgraph } from './coalition-subgraph';
import {
  type CompositionOutcome,
  coalitionSubgraphName,
  coalitionSubgraphUrl,
  type SubgraphDefinition,
} from './composition';
import { CompositionCache } from './composition-cache';
import { Onboarding, type SupergraphControl } from './onboarding';
import { subgraphTimeoutMs } from './partner-data-source';
import { PartnerServiceClient } from './partner-service-client';
import { PartnerServiceDirectory } from './partner-service-directory';
import { CallerVerifier, PartnerTokenVerifier } from './partner-tokens';
import type { FederatedSchema } from './subgraph-schema';

export interface FederationOptions {
  app: App;
  /** The coalition's type-graphql schema. */
  coalitionSchema: GraphQLSchema;
  /** The gateway's private key for subgraph assertions. */
  assertionKey: JWK;
  subgraphTimeoutMs?: number;
  log: (line: string) => void;
  /** Where composed supergraphs are kept for the next start (composition-cache.ts); none: memory only. */
  compositionCacheDir?: string;
}

/** What the GraphQL layer reaches through `App.federation`. */
export interface FederationServices {
  onboarding: Onboarding;
}

/**
 * Federation assembled: the supergraph composed from the coalition's graph and every registered
 * partner service (their SDL as stored, so a partner that is down does not stop the start), the
 * gateway serving it, onboarding that recomposes and swaps it, and the verifiers.
 */
export class Federation implements SupergraphControl, FederationServices {
  readonly signer: AssertionSigner;
  readonly gateway: CoalitionGateway;
  readonly onboarding: Onboarding;
  private readonly directory: PartnerServiceDirectory;
  private subgraphs: SubgraphDefinition[];
  private currentSdl: string | (() => string);
  private readonly changeListeners: (() => void)[] = [];
  private readonly compositions: CompositionCache;

  private constructor(
    options: FederationOptions,
    directory: PartnerServiceDirectory,
    compositions: CompositionCache,
    coalitionSubgraph: FederatedSchema,
    subgraphs: SubgraphDefinition[],
    supergraphSdl: string | (() => string),
  ) {
    this.directory = directory;
    this.compositions = compositions;
    this.subgraphs = subgraphs;
    this.currentSdl = supergraphSdl;
    this.signer = new AssertionSigner(options.assertionKey);
    this.gateway = new CoalitionGateway({
      coalitionSchema: options.coalitionSchema,
      coalitionSubgraphSchema: () => coalitionSubgraph.schema,
      supergraphSdl: () => this.supergraphSdl,
      coalitionOnly: subgraphs.length === 1,
      signer: this.signer,
      subgraphTimeoutMs: options.subgraphTimeoutMs ?? subgraphTimeoutMs,
      clock: options.app.clock,
      log: options.log,
    });
    this.onboarding = new Onboarding(
      options.app.catalog,
      directory,
      new PartnerServiceClient(this.signer),
      this,
      options.app.clock,
    );
  }

  static async start(options: FederationOptions): Promise<Federation> {
    // Built once: printing and rebuilding the coalition's graph is a third of a start's CPU.
    // Both are done on first use: its SDL when a composition needs it, its executable subgraph
    // schema when a query plan first fetches from it.
    const coalitionSubgraph = buildCoalitionSubgraph(options.coalitionSchema);
    const coalition: SubgraphDefinition = {
      name: coalitionSubgraphName,
      url: coalitionSubgraphUrl,
      get sdl() {
        return coalitionSubgraph.sdl;
      },
    };
    const directory = new PartnerServiceDirectory(options.app.db);
    const stored = (await directory.list()).map(
      (service): SubgraphDefinition => ({
        name: service.partnerId,
        url: service.url,
        sdl: service.sdl,
      }),
    );
    const compositions = new CompositionCache(options.compositionCacheDir);
    // The coalition alone (every deployment until its first partner service, every test's and
    // the bench's gateway) is served without its supergraph's text (coalition-gateway.ts, load):
    // it is composed, or read from the cache, when something first asks for it.
    const coalitionAlone = () => composed(compositions.compose([coalition]));
    let subgraphs = [coalition, ...stored];
    let supergraphSdl: string | (() => string) = coalitionAlone;
    if (stored.length > 0) {
      const outcome = compositions.compose(subgraphs);
      if ('errors' in outcome) {
        // Each stored service composed when it was registered; this only happens after an
        // upgrade changed the coalition's graph. Serve the coalition alone rather than nothing.
        options.log(`stored partner services do not compose: ${outcome.errors.join('; ')}`);
        subgraphs = [coalition];
        supergraphSdl = coalitionAlone();
      } else {
        supergraphSdl = outcome.supergraphSdl;
        // With partner services, query plans fetch from the coalition in-process: build its
        // subgraph schema now rather than on the first such request.
        void coalitionSubgraph.schema;
      }
    }
    return new Federation(
      options,
      directory,
      compositions,
      coalitionSubgraph,
      subgraphs,
      supergraphSdl,
    );
  }

  /** The supergraph served now (composed on first read when it is the coalition's alone). */
  get supergraphSdl(): string {
    if (typeof this.currentSdl === 'function') this.currentSdl = this.currentSdl();
    return this.currentSdl;
  }

  /** Names of the subgraphs served now. */
  get subgraphNames(): string[] {
    return this.subgraphs.map((subgraph) => subgraph.name);
  }

  async replace(subgraph: SubgraphDefinition, commit: () => Promise<void>) {
    const next = [...this.subgraphs.filter((other) => other.name !== subgraph.name), subgraph];
    const outcome = this.compositions.compose(next);
    if ('errors' in outcome) return outcome.errors;
    await commit();
    await this.swapTo(next, outcome.supergraphSdl);
    return null;
  }

  private async swapTo(subgraphs: SubgraphDefinition[], supergraphSdl: string): Promise<void> {
    this.subgraphs = subgraphs;
    this.currentSdl = supergraphSdl;
    await this.gateway.swap(supergraphSdl);
    for (const listener of this.changeListeners) listener();
  }

  /**
   * Serves the partner services as stored now: another process registered one (the change
   * feed said so), or the feed reconnected. Drops cached partner keys; recomposes and swaps
   * only when the stored services differ from the ones served.
   */
  async reload(log: (line: string) => void): Promise<void> {
    this.directory.forgetKeys();
    const coalition = this.subgraphs.find((subgraph) => subgraph.name === coalitionSubgraphName);
    invariant(coalition, 'the coalition subgraph is always served');
    const stored = (await this.directory.list()).map(
      (service): SubgraphDefinition => ({
        name: service.partnerId,
        url: service.url,
        sdl: service.sdl,
      }),
    );
    const next = [coalition, ...stored];
    if (sameSubgraphs(next, this.subgraphs)) return;
    const outcome = this.compositions.compose(next);
    if ('errors' in outcome) {
      log(`stored partner services do not compose: ${outcome.errors.join('; ')}`);
      return;
    }
    await this.swapTo(next, outcome.supergraphSdl);
  }

  /** Called after each swap: answers built on the previous graph may no longer hold. */
  onSupergraphChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Verifies bearer tokens: partners' own (with their registered keys) or the identity provider's. */
  callerVerifier(tokens: TokenVerifier): CallerVerifier {
    return new CallerVerifier(tokens, new PartnerTokenVerifier(this.directory));
  }
}

/** A composition's text; the coalition's graph alone always composes (its tests say so). */
function composed(outcome: CompositionOutcome): string {
  if ('errors' in outcome) throw new Error(outcome.errors.join('; '));
  return outcome.supergraphSdl;
}

/** Whether two lists name the same subgraphs with the same URLs and SDL, in any order. */
function sameSubgraphs(left: SubgraphDefinition[], right: SubgraphDefinition[]): boolean {
  if (left.length !== right.length) return false;
  const byName = new Map(right.map((subgraph) => [subgraph.name, subgraph]));
  return left.every((subgraph) => {
    const other = byName.get(subgraph.name);
    return other !== undefined && other.url === subgraph.url && other.sdl === subgraph.sdl;
  });
}
