import { BREAK, type DocumentNode, type GraphQLSchema, Kind, validate, visit } from 'graphql';

/**
 * Whether the coalition's own schema answers every field of the operation, without
 * introspection (which must describe the whole supergraph).
 */
export function isCoalitionOnly(schema: GraphQLSchema, document: DocumentNode): boolean {
  let introspection = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        introspection = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return !introspection && validate(schema, document).length === 0;
}
