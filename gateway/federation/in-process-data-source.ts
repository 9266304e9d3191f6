import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  execute,
  GraphQLError,
  type GraphQLSchema,
  parse,
  validate,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { GraphQLContext } from '../graphql/context';
import { BoundedMap } from '../shared/bounded-map';

/** Subgraph operations parsed from text (health checks); the query plan hands over documents. */
const parsedCacheSizeMax = 1_000;

/**
 * The coalition subgraph, in-process. Unlike Apollo's LocalGraphQLDataSource, which parses and
 * validates the subgraph operation on every fetch, this executes the document the query plan
 * already holds (cached with the plan), validates each document once and compiles it once
 * (graphql-jit, as the coalition's own operations are: compiled-operations.ts); a document
 * graphql-jit cannot compile runs on graphql-js. The `_entities` fetch of a federated read
 * (a reward's affordability) was the one part of it still interpreted.
 */
export class InProcessDataSource implements GraphQLDataSource<GraphQLContext> {
  private readonly validated = new WeakSet<DocumentNode>();
  /** By document and operation name; null: graphql-jit refused it, graphql-js runs it. */
  private readonly compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  private readonly parsed = new BoundedMap<string, DocumentNode>(parsedCacheSizeMax);

  /** The schema is asked for on the first fetch (building it is not free; see FederatedSchema). */
  constructor(private readonly schemaOf: () => GraphQLSchema) {}

  async process(
    options: GraphQLDataSourceProcessOptions<GraphQLContext>,
  ): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const schema = this.schemaOf();
    const document =
      ('document' in options ? options.document : undefined) ?? this.parse(request.query ?? '');
    if (!this.validated.has(document)) {
      const errors = validate(schema, document);
      if (errors.length > 0) return { errors: errors.map((error) => error.toJSON()) };
      this.validated.add(document);
    }
    const context = 'context' in options ? options.context : undefined;
    const compiled = this.compiledFor(schema, document, request.operationName);
    const result = compiled
      ? await compiled.query(undefined, context, request.variables ?? {})
      : await execute({
          schema,
          document,
          operationName: request.operationName,
          variableValues: request.variables,
          contextValue: context,
        });
    return {
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.errors ? { errors: result.errors.map(withExtensions) } : {}),
    };
  }

  private compiledFor(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | undefined,
  ): CompiledQuery | null {
    let byName = this.compiled.get(document);
    if (!byName) {
      byName = new Map();
      this.compiled.set(document, byName);
    }
    const name = operationName ?? '';
    let compiled = byName.get(name);
    if (compiled === undefined) {
      const made = compileQuery(schema, document, operationName);
      compiled = isCompiledQuery(made) ? made : null;
      byName.set(name, compiled);
    }
    return compiled;
  }

  private parse(query: string): DocumentNode {
    return this.parsed.getOrSet(query, (text) => parse(text));
  }
}

/**
 * The same error as graphql-js would build it: `extensions` always an object (graphql-jit leaves
 * it undefined on an error whose cause has none, a driver error; Apollo reads `extensions.code`).
 */
export function withExtensions(error: GraphQLError): GraphQLError {
  if (error.extensions !== undefined) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
  });
}
