import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type DocumentNode, execute, type GraphQLSchema, parse, validate } from 'graphql';
import type { GraphQLContext } from '../graphql/context';

/** Subgraph operations parsed from text (health checks); the query plan hands over documents. */
const parsedCacheSizeMax = 1_000;

/**
 * The coalition subgraph, in-process. Unlike Apollo's LocalGraphQLDataSource, which parses and
 * validates the subgraph operation on every fetch, this executes the document the query plan
 * already holds (cached with the plan) and validates each document once.
 */
export class InProcessDataSource implements GraphQLDataSource<GraphQLContext> {
  private readonly validated = new WeakSet<DocumentNode>();
  private readonly parsed = new Map<string, DocumentNode>();

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
    const result = await execute({
      schema,
      document,
      operationName: request.operationName,
      variableValues: request.variables,
      contextValue: 'context' in options ? options.context : undefined,
    });
    return {
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.errors ? { errors: result.errors } : {}),
    };
  }

  private parse(query: string): DocumentNode {
    let document = this.parsed.get(query);
    if (!document) {
      document = parse(query);
      if (this.parsed.size >= parsedCacheSizeMax) this.parsed.clear();
      this.parsed.set(query, document);
    }
    return document;
  }
}
