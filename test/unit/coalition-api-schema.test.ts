import { Supergraph } from '@apollo/federation-internals';
import { getIntrospectionQuery, graphqlSync, printSchema } from 'graphql';
import { coalitionApiSchema } from '../../gateway/federation/coalition-api-schema';
import { buildCoalitionSubgraph } from '../../gateway/federation/coalition-subgraph';
import {
  coalitionSubgraphName,
  coalitionSubgraphUrl,
  composeSupergraph,
} from '../../gateway/federation/composition';
import { buildCoalitionSchema } from '../../gateway/graphql/schema';

/**
 * A gateway without partner services serves coalitionApiSchema instead of loading Apollo's
 * gateway: it must be the API schema Apollo derives from the coalition-only supergraph, to the
 * byte of an introspection answer (clients generate code from it, and a partner's registration
 * then swaps to Apollo's, which must not reorder anything).
 */
it('is the API schema Apollo serves for the coalition-only supergraph, introspection order included', async () => {
  const schema = await buildCoalitionSchema();
  const composed = composeSupergraph([
    {
      name: coalitionSubgraphName,
      url: coalitionSubgraphUrl,
      sdl: buildCoalitionSubgraph(schema).sdl,
    },
  ]);
  if ('errors' in composed) throw new Error(composed.errors.join('; '));
  // As ApolloGateway builds it (createSchemaFromSupergraphSdl, updateWithSchemaAndNotify).
  const apollo = Supergraph.build(composed.supergraphSdl, { validateSupergraph: false })
    .apiSchema()
    .toGraphQLJSSchema();
  const ours = coalitionApiSchema(schema);
  const introspection = getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  });
  const answer = (target: typeof ours) =>
    JSON.stringify(graphqlSync({ schema: target, source: introspection }));
  expect(answer(ours)).toBe(answer(apollo));
  expect(printSchema(ours)).toBe(printSchema(apollo));
  expect(ours.extensions).toEqual({
    apollo: { gateway: { version: require('@apollo/gateway/package.json').version } },
  });
});
