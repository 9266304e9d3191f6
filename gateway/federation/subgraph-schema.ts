import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, lexicographicSortSchema, parse } from 'graphql';
import { createResolversMap } from 'type-graphql';

/**
 * Turns a type-graphql schema into an Apollo Federation 2 subgraph: print it with its
 * directives (graphql's printSchema drops `@key`), link the federation spec, and rebuild it
 * with @apollo/subgraph, which adds `_service` and `_entities`. The resolvers are type-graphql's
 * own (middlewares and auth checks included) plus a `__resolveReference` per entity.
 *
 * The coalition's graph and every partner service build their subgraph this way.
 */
export const federationSpecUrl = 'https://specs.apollo.dev/federation/v2.7';
const federationImports = ['@key', '@shareable', '@external', '@requires', '@inaccessible'];

/** How an entity is found from its representation (`{ __typename, ...key fields }`). */
export type ReferenceResolver<Context> = (
  reference: Record<string, unknown>,
  context: Context,
) => unknown;

export interface FederatedSchema {
  /**
   * The executable subgraph schema, built on first read: rebuilding it (about 0.5 s of CPU for
   * the coalition's graph) is only needed once a query plan sends the subgraph a fetch, which a
   * gateway without partner services, or a test, may never do.
   */
  readonly schema: GraphQLSchema;
  /**
   * The subgraph SDL, as composition reads it, printed on first read: only a composition that
   * is not in the cache, or its key, needs it (about 50 ms of CPU for the coalition's graph),
   * and a gateway serving the coalition alone composes nothing until a partner registers.
   */
  readonly sdl: string;
}

export function subgraphSdl(schema: GraphQLSchema): string {
  const imports = federationImports.map((name) => JSON.stringify(name)).join(', ');
  return `extend schema @link(url: "${federationSpecUrl}", import: [${imports}])\n\n${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}

export function buildFederatedSchema<Context>(
  schema: GraphQLSchema,
  referenceResolvers: Record<string, ReferenceResolver<Context>>,
): FederatedSchema {
  let sdl: string | undefined;
  const sdlNow = () => {
    sdl ??= subgraphSdl(schema);
    return sdl;
  };
  let subgraph: GraphQLSchema | undefined;
  return {
    get sdl() {
      return sdlNow();
    },
    get schema() {
      if (!subgraph) {
        const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
        for (const [typeName, resolveReference] of Object.entries(referenceResolvers)) {
          resolvers[typeName] = {
            ...(resolvers[typeName] as object),
            __resolveReference: (reference: Record<string, unknown>, context: unknown) =>
              resolveReference(reference, context as Context),
          } as GraphQLResolverMap<unknown>[string];
        }
        // Required here: the SDL alone needs none of Apollo's federation code.
        const {
          buildSubgraphSchema,
        }: typeof import('@apollo/subgraph') = require('@apollo/subgraph');
        subgraph = buildSubgraphSchema({ typeDefs: parse(sdlNow()), resolvers });
      }
      return subgraph;
    },
  };
}
