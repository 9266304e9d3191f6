import type { GatewayExecutionResult } from '@apollo/server-gateway-interface';
import { type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, parse } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { LearnedQuery } from '../federation/coalition-gateway';
import { maskError, operationLimits } from '../graphql/apollo';
import { isCoalitionOnly } from '../graphql/coalition-only';
import type { GraphQLContext } from '../graphql/context';
import { hasVariablePageSize } from '../graphql/page-size-cost';
import { cacheLookups } from '../observability/metrics';
import { BoundedMap } from '../shared/bounded-map';
import { required } from '../shared/invariant';

const hits = cacheLookups.labels('compiled_operations', 'hit');
const misses = cacheLookups.labels('compiled_operations', 'miss');

/** Operations remembered; the map is emptied when it grows past this. */
export const compiledOperationsMax = 1_000;

export interface CompiledAnswer {
  status: number;
  body: string;
}

/**
 * Queries that also ask partners, learned and run by the gateway serving the supergraph
 * (CoalitionGateway): the federated half of the hot path.
 */
export interface FederatedQueries {
  /** Changes whenever the served graph does; what was learned under another is not used. */
  readonly graphVersion: number;
  learn(
    document: DocumentNode,
    source: string,
    operationName: string | undefined,
    graphVersion: number,
  ): LearnedQuery | null;
  runLearned(
    learned: LearnedQuery,
    context: GraphQLContext,
    variables: Record<string, unknown> | undefined,
  ): Promise<GatewayExecutionResult> | undefined;
  handOver(context: GraphQLContext, learned: LearnedQuery, result: GatewayExecutionResult): void;
}

/** An operation Apollo Server has answered once with 200, and how it now runs without it. */
export type LearnedOperation =
  | { kind: 'compiled'; query: CompiledQuery }
  | { kind: 'federated'; query: LearnedQuery };

/**
 * The hot path past Apollo Server. An operation Apollo Server has once answered with 200 (so it
 * parsed within the token limit and passed every validation rule, the operation limits
 * included) runs again straight from the HTTP layer, by its text:
 *
 * - coalition-only (every field it selects is the coalition's own, no introspection): compiled
 *   to JavaScript by graphql-jit. A trivial query cost 0.28 ms of CPU through Apollo's pipeline
 *   against 0.03 ms for a bare HTTP answer.
 * - a query that also asks partners (the wallet beside a partner's rewards): handed to the
 *   gateway's executor as Apollo Server would hand it (same split, same cached query plans),
 *   without the request pipeline around it, as long as the graph it was validated against is
 *   still the one served. A result with errors or extensions is answered by Apollo Server
 *   after all, from the result already made (CoalitionGateway.handOver): nothing runs twice.
 *
 * What Apollo would still do is done here: variables are coerced by the compiled query or the
 * gateway (a failure is a 400 BAD_USER_INPUT, as Apollo answers), errors are masked by the same
 * `maskError`, and the body is Apollo's (JSON plus a newline). Anything unusual (extensions,
 * batches, GET, content negotiation other than JSON) keeps going through Apollo.
 */
export class CompiledOperations {
  private readonly operations = new BoundedMap<string, LearnedOperation | null>(
    compiledOperationsMax,
  );

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly log: (line: string) => void,
    /** Without it (no supergraph served), only coalition-only operations are learned. */
    private readonly federated?: FederatedQueries,
  ) {}

  /** The graph served now: taken before Apollo runs an operation, given back to `learn`. */
  graphVersion(): number {
    return this.federated?.graphVersion ?? 0;
  }

  /** How this text runs past Apollo, if it has been learned (under the graph served now). */
  get(query: string, operationName: string | undefined): LearnedOperation | undefined {
    const learned = this.operations.get(keyOf(query, operationName)) ?? undefined;
    const current = learned && !this.stale(learned) ? learned : undefined;
    (current ? hits : misses).inc();
    return current;
  }

  /**
   * Called after Apollo answered the operation with 200, with the graph version taken before it
   * ran: learn it if it qualifies (a graph swapped meanwhile teaches nothing).
   */
  learn(query: string, operationName: string | undefined, graphVersion: number): void {
    const key = keyOf(query, operationName);
    const known = this.operations.get(key);
    if (known === null || (known && !this.stale(known))) return;
    if (this.federated && graphVersion !== this.federated.graphVersion) return;
    this.operations.set(key, this.prepare(query, operationName, graphVersion));
  }

  /** The answer, or undefined when Apollo's path is to answer this request (see the class). */
  async run(
    learned: LearnedOperation,
    context: GraphQLContext,
    variables: Record<string, unknown> | undefined,
  ): Promise<CompiledAnswer | undefined> {
    if (learned.kind === 'federated') return this.runFederated(learned.query, context, variables);
    const result = await learned.query.query(undefined, context, variables ?? {});
    if (result.errors?.length && result.data === undefined) {
      // Variables that do not coerce: a request error, as Apollo answers it.
      const errors = result.errors.map((error) => ({
        ...error.toJSON(),
        extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
      }));
      return { status: 400, body: `${JSON.stringify({ errors })}\n` };
    }
    const errors: GraphQLFormattedError[] | undefined = result.errors?.map((error) =>
      maskError(withCode(error.toJSON()), error, this.log),
    );
    return {
      status: 200,
      body: `${JSON.stringify(errors ? { errors, data: result.data } : { data: result.data })}\n`,
    };
  }

  private async runFederated(
    learned: LearnedQuery,
    context: GraphQLContext,
    variables: Record<string, unknown> | undefined,
  ): Promise<CompiledAnswer | undefined> {
    const federated = required(this.federated, 'the gateway that learned the query');
    const result = await federated.runLearned(learned, context, variables);
    if (!result) return undefined;
    if (result.errors?.length || result.extensions || !result.data) {
      federated.handOver(context, learned, result);
      return undefined;
    }
    return { status: 200, body: `${JSON.stringify({ data: result.data })}\n` };
  }

  private stale(learned: LearnedOperation): boolean {
    return learned.kind === 'federated' && learned.query.graphVersion !== this.graphVersion();
  }

  private prepare(
    query: string,
    operationName: string | undefined,
    graphVersion: number,
  ): LearnedOperation | null {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: operationLimits.tokensMax });
    } catch {
      return null;
    }
    if (!isCoalitionOnly(this.schema, document)) {
      const learned = this.federated?.learn(document, query, operationName, graphVersion);
      return learned ? { kind: 'federated', query: learned } : null;
    }
    // Its cost depends on its variables: checked by Apollo on every request (page-size-cost.ts).
    if (hasVariablePageSize(document)) return null;
    const compiled = compileQuery(this.schema, document, operationName);
    return isCompiledQuery(compiled) ? { kind: 'compiled', query: compiled } : null;
  }
}

/** Errors without a code are internal ones, as Apollo normalises them before formatting. */
function withCode(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.extensions?.code) return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, code: 'INTERNAL_SERVER_ERROR' } };
}

function keyOf(query: string, operationName: string | undefined): string {
  return `${operationName ?? ''}\u0000${query}`;
}
