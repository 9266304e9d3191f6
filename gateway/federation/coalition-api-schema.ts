import {
  GraphQLSchema,
  isIntrospectionType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  lexicographicSortSchema,
  specifiedDirectives,
} from 'graphql';

/**
 * The API schema Apollo's gateway serves for a supergraph composed of the coalition's graph
 * alone, built straight from the coalition's schema: no supergraph schema, no query planner
 * (about 0.4 s of CPU per gateway start, in every process and every test file). The coalition's
 * subgraph SDL is printed from its schema sorted by name (subgraph-schema.ts), composition keeps
 * those fields, arguments and values in that order and sorts the types, and Apollo rebuilds the
 * API schema from its printed SDL (graphql's buildASTSchema): the types in the SDL's order, each
 * built-in scalar where graphql-js first meets a reference to it, and the built-in directives
 * after any the SDL declares. This schema is built the same way, so
 * introspection answers the same JSON, order included (test/unit/coalition-api-schema.test.ts
 * compares it with Apollo's). Apollo's gateway also marks its API schema with its version
 * (`extensions.apollo.gateway.version`), which Apollo Server's usage reporting reads: so is this.
 */
export function coalitionApiSchema(schema: GraphQLSchema): GraphQLSchema {
  const sorted = lexicographicSortSchema(schema).toConfig();
  const api = new GraphQLSchema({
    ...sorted,
    types: sorted.types
      .filter((type) => !isSpecifiedScalarType(type) && !isIntrospectionType(type))
      // The supergraph lists its types as Apollo prints them: by localeCompare, where graphql
      // sorts by code point (EarnRulesPage before EarnRuleSuccess there, after it here).
      .sort((left, right) => left.name.localeCompare(right.name)),
    directives: [
      ...sorted.directives.filter((directive) => !isSpecifiedDirective(directive)),
      ...specifiedDirectives,
    ],
  });
  api.extensions = {
    ...api.extensions,
    apollo: { gateway: { version: apolloGatewayVersion() } },
  };
  return api;
}

/** The installed @apollo/gateway's version, read from its package.json (not its code). */
function apolloGatewayVersion(): string {
  return (require('@apollo/gateway/package.json') as { version: string }).version;
}
