import type { ApolloGateway } from '@apollo/gateway';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
  GatewayUnsubscriber,
} from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  execute,
  type GraphQLSchema,
  getOperationAST,
  type OperationDefinitionNode,
  OperationTypeNode,
  visit,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { isCoalitionOnly } from '../graphql/coalition-only';
import type { GraphQLContext } from '../graphql/context';
import { hasVariablePageSize } from '../graphql/page-size-cost';
import { BoundedMap } from '../shared/bounded-map';
import type { Clock } from '../shared/clock';
import { invariant } from '../shared/invariant';
import type { AssertionSigner } from './assertions';
import { coalitionApiSchema } from './coalition-api-schema';
import { coalitionSubgraphName } from './composition';
import { InProcessDataSource, withExtensions } from './in-process-data-source';
import { PartnerDataSource } from './partner-data-source';
import { queryHashOf, type RootSplit, splitRootFields } from './root-split';

/** Routing decisions remembered (by query hash); the cache is emptied when it grows past this. */
export const routeCacheSizeMax = 5_000;

export type Route = 'coalition' | 'federated';

/**
 * A query that asks partners, as Apollo Server once answered it with 200 under the graph now
 * served (parsed within the token limit, every validation rule passed): run again by
 * `runLearned`, straight from the HTTP layer (compiled-operations.ts).
 */
export interface LearnedQuery {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly source: string;
  /** As Apollo Server hashes the text, so query plans are shared with its path. */
  readonly queryHash: string;
  /** The graph it was validated against (CoalitionGateway.graphVersion). */
  readonly graphVersion: number;
}

export interface CoalitionGatewayOptions {
  /** The coalition's type-graphql schema: the direct route executes here. */
  coalitionSchema: GraphQLSchema;
  /**
   * The same graph as a subgraph (with `_entities`): the query planner's in-process source,
   * built when a plan first fetches from it.
   */
  coalitionSubgraphSchema: () => GraphQLSchema;
  /** The supergraph served at the start, read when Apollo's gateway or a listener needs it. */
  supergraphSdl: () => string;
  /**
   * Whether the supergraph is the coalition's graph alone (no partner service registered): then
   * Apollo's gateway is not loaded until an operation or a swap needs it (see load).
   */
  coalitionOnly: boolean;
  signer: AssertionSigner;
  subgraphTimeoutMs: number;
  /** When a partner's public answers expire (the app's clock, so tests can move it). */
  clock?: Clock;
  log: (line: string) => void;
}

/**
 * ApolloGateway, unless APOLLO_TELEMETRY_DISABLED is `true` or `1` when it is constructed,
 * probes the cloud metadata endpoints (AWS, GCP, Azure, Alibaba) and sends the host's OS, CPU
 * count and speed, memory and uptime to Apollo's usage-reporting endpoint every hour. A ledger
 * sends nothing to a third party unless its operator asks, so it is off unless the variable is
 * set (`APOLLO_TELEMETRY_DISABLED=false` turns it on; docs/operations.md).
 */
export function apolloTelemetryOffUnlessAsked(env: NodeJS.ProcessEnv = process.env): void {
  env.APOLLO_TELEMETRY_DISABLED ??= 'true';
}

/**
 * Apollo Server's gateway: an ApolloGateway over the supergraph, with a fast lane. An operation
 * that the coalition's own schema can answer entirely (every field it selects exists there, and
 * it asks no introspection) is executed straight on that schema: no query plan, no `_entities`,
 * no network. A query mixing coalition root fields with partners' (the wallet beside a partner's
 * rewards) is split (root-split.ts): the coalition's root fields run the same way, beside the
 * query plan of the rest, so the wallet is not executed as a subgraph fetch and then copied field
 * by field by the gateway's result shaping. Everything else (a partner's rewards, fields partners
 * add to Member) goes through query planning, the coalition subgraph in-process
 * (InProcessDataSource) and each partner over HTTP with an assertion and a timeout.
 *
 * Apollo Server has already validated the operation against the supergraph's API schema and
 * applied the operation limits; the decision is cached per document (by query hash) and does
 * not depend on the supergraph, since the coalition's schema never changes at run time.
 */
export class CoalitionGateway implements GatewayInterface {
  /** Apollo's gateway, once loaded (startInner); with partner services, from the start. */
  private inner: ApolloGateway | undefined;
  private innerStart: Promise<GatewayExecutor> | undefined;
  private federatedExecutor: GatewayExecutor | undefined;
  /**
   * The supergraph served now (Apollo's gateway loads this text, and each swap pushes it); until
   * the first swap, the start's, read on first use: a coalition-only gateway may never need it.
   */
  private supergraphSdlNow: string | undefined;
  /** What Apollo Server passed to load, for a gateway loaded later. */
  private loadOptions: Parameters<GatewayInterface['load']>[0] | undefined;
  private loadedNow = false;
  /** Apollo Server's schema listener (and any other): told of every schema served. */
  private readonly schemaListeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  private readonly routes = new BoundedMap<string, Route>(routeCacheSizeMax);
  private readonly compiledQueries = new BoundedMap<string, CompiledQuery | null>(
    routeCacheSizeMax,
  );
  private readonly splits = new BoundedMap<string, RootSplit | null>(routeCacheSizeMax);
  private pushSupergraph: ((supergraphSdl: string) => void) | undefined;
  /** Each partner's current data source (the latest Apollo built for its name). */
  private readonly partnerSources = new Map<string, PartnerDataSource>();
  /** Off sends every operation through query planning (to measure what the fast lane saves). */
  directRouteEnabled = true;
  /**
   * Bumped whenever the served graph changes (a swap): a query learned under an earlier graph
   * was validated against fields that may be gone, so it goes through Apollo Server again.
   */
  private graphVersionNow = 0;
  /** The API schema served (Apollo's), for the request contexts `runLearned` builds. */
  private apiSchema: GraphQLSchema | undefined;
  private readonly logger: ReturnType<typeof quietLogger>;
  /**
   * A learned query's result with errors, handed to Apollo Server to answer (`handOver`), by the
   * request (Apollo Server copies the context object it is given; `request` is the same).
   */
  private readonly handedOver = new WeakMap<
    GraphQLContext['request'],
    { queryHash: string; result: GatewayExecutionResult }
  >();

  constructor(private readonly options: CoalitionGatewayOptions) {
    apolloTelemetryOffUnlessAsked();
    this.logger = quietLogger(options.log);
  }

  private get supergraphSdl(): string {
    this.supergraphSdlNow ??= this.options.supergraphSdl();
    return this.supergraphSdlNow;
  }

  /**
   * Apollo's gateway over the supergraph served now, loaded once (concurrent callers share the
   * load; a failed one is tried again by the next caller). It tells the schema listeners of the
   * API schema it serves, which for the coalition alone is the one load gave them, to the byte.
   */
  private startInner(): Promise<GatewayExecutor> {
    this.innerStart ??= this.loadInner().catch((error: unknown) => {
      this.innerStart = undefined;
      throw error;
    });
    return this.innerStart;
  }

  private async loadInner(): Promise<GatewayExecutor> {
    invariant(this.loadOptions, 'Apollo Server loads the gateway first');
    // Required here: a gateway serving the coalition alone never loads Apollo's gateway, its
    // query planner or its data sources (about 700 modules).
    const { ApolloGateway } = await import('@apollo/gateway');
    const inner = new ApolloGateway({
      supergraphSdl: async ({ update }) => {
        this.pushSupergraph = update;
        return { supergraphSdl: this.supergraphSdl };
      },
      buildService: ({ name, url }) =>
        name === coalitionSubgraphName
          ? new InProcessDataSource(this.options.coalitionSubgraphSchema)
          : this.partnerSource(name, url!),
      logger: this.logger,
      // Every supergraph here was composed in this code base (or read back from its cache by a
      // checked key), and composition validates it. Apollo re-validates by default outside
      // NODE_ENV=production (0.4 s of CPU per load); tests and development now load it as
      // production does.
      validateSupergraph: false,
    });
    inner.onSchemaLoadOrUpdate((context) => {
      this.apiSchema = context.apiSchema;
      this.graphVersionNow++;
      for (const listener of this.schemaListeners) listener(context);
    });
    const { executor } = await inner.load(this.loadOptions);
    this.inner = inner;
    this.federatedExecutor = executor;
    return executor;
  }

  private partnerSource(name: string, url: string): PartnerDataSource {
    const { signer, subgraphTimeoutMs, clock } = this.options;
    const source = new PartnerDataSource(name, url, signer, subgraphTimeoutMs, clock);
    this.partnerSources.set(name, source);
    return source;
  }

  /**
   * Called once by Apollo Server, after it subscribed to schema updates. With partner services
   * Apollo's gateway is loaded now. Without, the coalition's own graph is the whole API: its
   * API schema is built straight from the coalition's schema (coalition-api-schema.ts), every
   * operation but introspection runs on the direct route, and Apollo's gateway is loaded only
   * when an operation needs query planning (introspection) or a partner service is registered.
   */
  async load(options: Parameters<GatewayInterface['load']>[0]) {
    this.loadOptions = options;
    if (this.options.coalitionOnly) {
      this.apiSchema = coalitionApiSchema(this.options.coalitionSchema);
      // Apollo Server keeps this object and hands it to plugins' schemaDidLoadOrUpdate (none
      // here reads the text): the supergraph's text is composed only if one does.
      const gateway = this;
      const context = {
        apiSchema: this.apiSchema,
        get coreSupergraphSdl() {
          return gateway.supergraphSdl;
        },
      };
      for (const listener of this.schemaListeners) listener(context);
    } else {
      await this.startInner();
    }
    this.loadedNow = true;
    return { executor: (request: GatewayGraphQLRequestContext) => this.execute(request) };
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback): GatewayUnsubscriber {
    this.schemaListeners.add(callback);
    return () => this.schemaListeners.delete(callback);
  }

  async stop(): Promise<void> {
    await this.innerStart?.catch(() => undefined);
    await this.inner?.stop();
  }

  /** Whether the graph has been loaded (Apollo Server started): /ready checks it. */
  get loaded(): boolean {
    return this.loadedNow;
  }

  /**
   * Serves a new supergraph from the next operation on; in-flight ones finish on the old. Once
   * this resolves, Apollo Server validates against the new graph (Apollo's gateway, loaded now
   * if it was not, has told it).
   */
  async swap(supergraphSdl: string): Promise<void> {
    if (!this.loadOptions) throw new Error('the gateway has not loaded yet');
    this.supergraphSdlNow = supergraphSdl;
    // A swap is how a partner says its service changed (re-registered, even with the same
    // graph, which Apollo then keeps serving without new data sources): its public answers go.
    for (const source of this.partnerSources.values()) source.dropSharedAnswers();
    // Also here: Apollo calls its schema listeners (load) only when the graph's text changed.
    this.graphVersionNow++;
    await this.startInner();
    // Pushed even when this swap's load just read it (or a load under way read the previous
    // text): Apollo keys a graph by its text's hash and ignores the one it serves already.
    invariant(this.pushSupergraph, 'a loaded gateway takes updates');
    this.pushSupergraph(this.supergraphSdl);
  }

  /** Changes with every graph served: see LearnedQuery. */
  get graphVersion(): number {
    return this.graphVersionNow;
  }

  /**
   * The query `source` (already answered 200 by Apollo Server under `graphVersion`) prepared to
   * run without Apollo Server; null when it must keep Apollo's path: not a query (a mutation's
   * fields run in order, and a fallback must never run a write twice), a query only the
   * coalition answers (CompiledOperations has those), `@defer`/`@stream`, page sizes given as
   * variables (their cost is checked per request), or a graph swapped since.
   */
  learn(
    document: DocumentNode,
    source: string,
    operationName: string | undefined,
    graphVersion: number,
  ): LearnedQuery | null {
    if (graphVersion !== this.graphVersionNow) return null;
    const operation = getOperationAST(document, operationName ?? null);
    if (!operation || operation.operation !== OperationTypeNode.QUERY) return null;
    if (isCoalitionOnly(this.options.coalitionSchema, document)) return null;
    if (hasVariablePageSize(document) || hasIncrementalDelivery(document)) return null;
    return { document, operation, source, queryHash: queryHashOf(source), graphVersion };
  }

  /**
   * A learned query executed as Apollo Server would have handed it to this gateway (the same
   * routes: split, planned, cached plans), without its request pipeline. Undefined when the
   * graph has changed since it was learned.
   */
  runLearned(
    learned: LearnedQuery,
    context: GraphQLContext,
    variables: Record<string, unknown> | undefined,
  ): Promise<GatewayExecutionResult> | undefined {
    if (learned.graphVersion !== this.graphVersionNow || !this.apiSchema) return undefined;
    const operationName = learned.operation.name?.value ?? null;
    return this.execute({
      request: { query: learned.source, operationName: operationName ?? undefined, variables },
      document: learned.document,
      source: learned.source,
      queryHash: learned.queryHash,
      operation: learned.operation,
      operationName,
      context,
      schema: this.apiSchema,
      schemaHash: '' as GatewayGraphQLRequestContext['schemaHash'],
      // Read by neither the executor nor these data sources (they report reuse on the context).
      cache: noCache,
      overallCachePolicy: undefined,
      metrics: {},
      logger: this.logger,
      requestIsBatched: false,
    });
  }

  /** Which way an operation goes (exposed for tests and diagnostics). */
  routeOf(document: DocumentNode, queryHash: string): Route {
    return this.routes.getOrSet(queryHash, () =>
      isCoalitionOnly(this.options.coalitionSchema, document) ? 'coalition' : 'federated',
    );
  }

  /**
   * A learned query's result that the HTTP layer will not answer itself (errors, extensions):
   * Apollo Server is then asked the same request with the same context, and this gateway hands
   * it this result instead of executing again, so errors are formatted, masked and given their
   * HTTP status in one place, and nothing runs twice (a partner's timeout is not waited twice).
   */
  handOver(context: GraphQLContext, learned: LearnedQuery, result: GatewayExecutionResult): void {
    this.handedOver.set(context.request, { queryHash: learned.queryHash, result });
  }

  private async execute(request: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> {
    const handed = this.handedOver.get((request.context as GraphQLContext).request);
    if (handed && handed.queryHash === request.queryHash) {
      this.handedOver.delete((request.context as GraphQLContext).request);
      return handed.result;
    }
    if (!this.directRouteEnabled) return this.federated(request);
    if (this.routeOf(request.document, request.queryHash) === 'coalition') {
      return this.onCoalition(request.document, request.queryHash, request);
    }
    const split = this.splitOf(request);
    if (!split) return this.federated(request);
    const [own, theirs] = await Promise.all([
      this.onCoalition(split.coalition.document, split.coalition.queryHash, request),
      this.federated({
        ...request,
        source: split.partners.source,
        document: split.partners.document,
        operation: split.partners.operation,
        queryHash: split.partners.queryHash,
        request: { ...request.request, query: split.partners.source },
      }),
    ]);
    return merged(split.keys, own, theirs);
  }

  /** An operation through Apollo's gateway (query planning), loaded first if it is not yet. */
  private async federated(request: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> {
    const executor = this.federatedExecutor ?? (await this.startInner());
    return executor(request);
  }

  /** A document the coalition's schema answers entirely, executed on it (compiled if it can). */
  private async onCoalition(
    document: DocumentNode,
    queryHash: string,
    request: GatewayGraphQLRequestContext,
  ): Promise<GatewayExecutionResult> {
    const compiled = this.compiled(document, queryHash, request.operationName);
    if (compiled) {
      const result = await compiled.query(
        undefined,
        request.context,
        request.request.variables ?? {},
      );
      // graphql-jit leaves `extensions` undefined on an error whose cause has none (a driver
      // error); Apollo reads `extensions.code` and would answer an unlogged "Internal server
      // error" instead of masking it (and a DATABASE_UNAVAILABLE would lose its code).
      if (result.errors?.some((error) => error.extensions === undefined)) {
        return { ...result, errors: result.errors.map(withExtensions) };
      }
      return result;
    }
    return execute({
      schema: this.options.coalitionSchema,
      document,
      operationName: request.operationName,
      variableValues: request.request.variables,
      contextValue: request.context as GraphQLContext,
    });
  }

  /**
   * How a federated query splits into the coalition's root fields and the partners' (once per
   * document and operation name; the partners' part keeps one text, so its query plan is cached
   * by ApolloGateway like any other).
   */
  private splitOf(request: GatewayGraphQLRequestContext): RootSplit | null {
    const key = `${request.queryHash}:${request.operationName ?? ''}`;
    return this.splits.getOrSet(key, () =>
      splitRootFields(this.options.coalitionSchema, request.document, request.operationName),
    );
  }

  /**
   * The operation compiled to JavaScript by graphql-jit (once per document and operation name):
   * execution of a hot operation such as awardPoints or the wallet then skips graphql-js's
   * generic interpreter. Undefined when graphql-jit cannot compile it (graphql-js then runs it).
   */
  private compiled(
    document: DocumentNode,
    queryHash: string,
    operationName: string | null,
  ): CompiledQuery | undefined {
    const key = `${queryHash}:${operationName ?? ''}`;
    const compiled = this.compiledQueries.getOrSet(key, () => {
      const result = compileQuery(
        this.options.coalitionSchema,
        document,
        operationName ?? undefined,
        { disableLeafSerialization: false },
      );
      return isCompiledQuery(result) ? result : null;
    });
    return compiled ?? undefined;
  }
}

/**
 * The two answers of a split query as one, root fields in the operation's order. A request
 * error on either side (variables that do not coerce) fails the whole request; a null `data`
 * (a non-null root field failed) nulls the whole answer, as it would unsplit.
 */
function merged(
  keys: readonly string[],
  own: GatewayExecutionResult,
  theirs: GatewayExecutionResult,
): GatewayExecutionResult {
  const errors = [...(own.errors ?? []), ...(theirs.errors ?? [])];
  const extensions = theirs.extensions ? { extensions: theirs.extensions } : {};
  if (own.data === undefined || theirs.data === undefined) return { errors, ...extensions };
  let data: Record<string, unknown> | null = null;
  if (own.data && theirs.data) {
    data = {};
    for (const key of keys) {
      if (key in own.data) data[key] = own.data[key];
      else if (key in theirs.data) data[key] = theirs.data[key];
    }
  }
  return { data, ...(errors.length > 0 ? { errors } : {}), ...extensions };
}

/** Whether the document asks for incremental delivery, which only Apollo Server's path answers. */
function hasIncrementalDelivery(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'defer' || node.name.value === 'stream') found = true;
    },
  });
  return found;
}

const noCache: GatewayGraphQLRequestContext['cache'] = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => true,
};

function quietLogger(log: (line: string) => void) {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (message: unknown) => log(`gateway: ${String(message)}`),
    error: (message: unknown) => log(`gateway: ${String(message)}`),
  };
}
