import type { ApolloServerPlugin } from '@apollo/server';
import {
  type ArgumentNode,
  type DocumentNode,
  GraphQLError,
  Kind,
  type ValidationRule,
  type ValueNode,
  validate,
  visit,
} from 'graphql';

/**
 * graphql-armor's cost limit multiplies a list's cost by its `first` or `last` only when the
 * number is written in the query: given as a variable it counts as 1, so `history(first: $n)`
 * with n = 100 cost what one entry costs. Such an operation is checked again once its variables
 * are known: their values are written into the document and armor's rules run on it. Only
 * operations with a page size in a variable pay for this (the web apps' paging; the API's hot
 * queries write their page sizes), and the compiled fast path leaves them to Apollo.
 */
export function variablePageSizeCost(rules: readonly ValidationRule[]): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, schema, request }) {
          if (!hasVariablePageSize(document)) return;
          const written = withPageSizes(document, request.variables ?? {});
          let errors: readonly GraphQLError[];
          try {
            errors = validate(schema, written, rules);
          } catch (error) {
            if (!(error instanceof GraphQLError)) throw error;
            errors = [error];
          }
          const [first] = errors;
          if (first) {
            // The same message as a breach written in the query (maskError keeps its words).
            throw new GraphQLError(first.message, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** Per parsed document (Apollo and the compiled path keep theirs): answered once each. */
const variablePageSizes = new WeakMap<DocumentNode, boolean>();

/** Whether any `first` or `last` argument in the document is a variable. */
export function hasVariablePageSize(document: DocumentNode): boolean {
  let found = variablePageSizes.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Argument(node) {
        if (isPageSize(node) && node.value.kind === Kind.VARIABLE) found = true;
      },
    });
    variablePageSizes.set(document, found);
  }
  return found;
}

/** The document with each page-size variable replaced by its value (or its default). */
function withPageSizes(document: DocumentNode, variables: Record<string, unknown>): DocumentNode {
  const defaults = new Map<string, ValueNode>();
  visit(document, {
    VariableDefinition(node) {
      if (node.defaultValue) defaults.set(node.variable.name.value, node.defaultValue);
    },
  });
  return visit(document, {
    Argument(node): ArgumentNode | undefined {
      if (!isPageSize(node) || node.value.kind !== Kind.VARIABLE) return undefined;
      const name = node.value.name.value;
      const value = variables[name];
      if (Number.isSafeInteger(value)) {
        return { ...node, value: { kind: Kind.INT, value: String(value) } };
      }
      const fallback = defaults.get(name);
      return fallback ? { ...node, value: fallback } : undefined;
    },
  });
}

function isPageSize(node: ArgumentNode): boolean {
  return node.name.value === 'first' || node.name.value === 'last';
}
