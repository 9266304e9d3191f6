import { ApolloGateway } from '@apollo/gateway';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
  GatewayUnsubscriber,
} from '@apollo/server-gateway-interface';
import { type DocumentNode, execute, type GraphQLSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { GraphQLContext } from '../graphql/context';
import { isCoalitionOnly } from '../http/compiled-operations';
import type { AssertionSigner } from './assertions';
import { coalitionSubgraphName } from './composition';
import { InProcessDataSource } from './in-process-data-source';
import { PartnerDataSource } from './partner-data-source';

/** Routing decisions remembered (by query hash); the cache is emptied when it grows past this. */
export const routeCacheSizeMax = 5_000;

export type Route = 'coalition' | 'federated';

export interface CoalitionGatewayOptions {
  /** The coalition's type-graphql schema: the direct route executes here. */
  coalitionSchema: GraphQLSchema;
  /** The same graph as a subgraph (with `_entities`): the query planner's in-process source. */
  coalitionSubgraphSchema: GraphQLSchema;
  supergraphSdl: string;
  signer: AssertionSigner;
  subgraphTimeoutMs: number;
  log: (line: string) => void;
}

/**
 * Apollo Server's gateway: an ApolloGateway over the supergraph, with a fast lane. An operation
 * that the coalition's own schema can answer entirely (every field it selects exists there, and
 * it asks no introspection) is executed straight on that schema: no query plan, no `_entities`,
 * no network. Everything else (a partner's rewards, fields partners add to Member) goes through
 * query planning, the coalition subgraph in-process (InProcessDataSource) and each partner
 * over HTTP with an assertion and a timeout.
 *
 * Apollo Server has already validated the operation against the supergraph's API schema and
 * applied the operation limits; the decision is cached per document (by query hash) and does
 * not depend on the supergraph, since the coalition's schema never changes at run time.
 */
export class CoalitionGateway implements GatewayInterface {
  private readonly inner: ApolloGateway;
  private readonly routes = new Map<string, Route>();
  private readonly compiledQueries = new Map<string, CompiledQuery | null>();
  private federatedExecutor: GatewayExecutor | null = null;
  private pushSupergraph: ((supergraphSdl: string) => void) | undefined;
  /** Off sends every operation through query planning (to measure what the fast lane saves). */
  directRouteEnabled = true;

  constructor(private readonly options: CoalitionGatewayOptions) {
    this.inner = new ApolloGateway({
      supergraphSdl: async ({ update }) => {
        this.pushSupergraph = update;
        return { supergraphSdl: options.supergraphSdl };
      },
      buildService: ({ name, url }) =>
        name === coalitionSubgraphName
          ? new InProcessDataSource(options.coalitionSubgraphSchema)
          : new PartnerDataSource(name, url!, options.signer, options.subgraphTimeoutMs),
      logger: quietLogger(options.log),
    });
  }

  async load(options: Parameters<GatewayInterface['load']>[0]) {
    const { executor } = await this.inner.load(options);
    this.federatedExecutor = executor;
    return { executor: (request: GatewayGraphQLRequestContext) => this.execute(request) };
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback): GatewayUnsubscriber {
    return this.inner.onSchemaLoadOrUpdate(callback);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  /** Serves a new supergraph from the next operation on; in-flight ones finish on the old. */
  swap(supergraphSdl: string): void {
    if (!this.pushSupergraph) throw new Error('the gateway has not loaded yet');
    this.pushSupergraph(supergraphSdl);
  }

  /** Which way an operation goes (exposed for tests and diagnostics). */
  routeOf(document: DocumentNode, queryHash: string): Route {
    let route = this.routes.get(queryHash);
    if (route) return route;
    route = isCoalitionOnly(this.options.coalitionSchema, document) ? 'coalition' : 'federated';
    if (this.routes.size >= routeCacheSizeMax) this.routes.clear();
    this.routes.set(queryHash, route);
    return route;
  }

  private async execute(request: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> {
    if (
      this.directRouteEnabled &&
      this.routeOf(request.document, request.queryHash) === 'coalition'
    ) {
      const compiled = this.compiled(request);
      if (compiled) {
        return compiled.query(undefined, request.context, request.request.variables ?? {});
      }
      return execute({
        schema: this.options.coalitionSchema,
        document: request.document,
        operationName: request.operationName,
        variableValues: request.request.variables,
        contextValue: request.context as GraphQLContext,
      });
    }
    return this.federatedExecutor!(request);
  }

  /**
   * The operation compiled to JavaScript by graphql-jit (once per document and operation name):
   * execution of a hot operation such as awardPoints or the wallet then skips graphql-js's
   * generic interpreter. Undefined when graphql-jit cannot compile it (graphql-js then runs it).
   */
  private compiled(request: GatewayGraphQLRequestContext): CompiledQuery | undefined {
    const key = `${request.queryHash}:${request.operationName ?? ''}`;
    if (this.compiledQueries.has(key)) return this.compiledQueries.get(key) ?? undefined;
    const result = compileQuery(
      this.options.coalitionSchema,
      request.document,
      request.operationName ?? undefined,
      { disableLeafSerialization: false },
    );
    const compiled = isCompiledQuery(result) ? result : null;
    if (this.compiledQueries.size >= routeCacheSizeMax) this.compiledQueries.clear();
    this.compiledQueries.set(key, compiled);
    return compiled ?? undefined;
  }
}

function quietLogger(log: (line: string) => void) {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (message: unknown) => log(`gateway: ${String(message)}`),
    error: (message: unknown) => log(`gateway: ${String(message)}`),
  };
}
