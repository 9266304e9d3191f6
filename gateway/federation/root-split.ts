import { createHash } from 'node:crypto';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  print,
  type SelectionNode,
  visit,
} from 'graphql';
import { isCoalitionOnly } from '../graphql/coalition-only';

/** One side of a split operation: a document of its own, hashed as Apollo hashes a query. */
export interface OperationPart {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  source: string;
  queryHash: string;
}

/**
 * A query whose root fields are partly the coalition's own (`wallet`) and partly served by
 * partners (`nordicHotelRewards`), cut in two: the coalition's part runs on its own schema
 * like a coalition-only operation, the rest goes through query planning, and the answers are
 * put back together in the operation's order.
 */
export interface RootSplit {
  coalition: OperationPart;
  partners: OperationPart;
  /** Response keys (alias or name) in the order the operation selects them. */
  keys: string[];
}

/**
 * Splits the operation's root fields by whether the coalition's schema answers each one
 * entirely; null when there is nothing to gain or it cannot be done safely: a mutation (root
 * fields run in order), root-level fragments, one response key on both sides (its selections
 * would have to be deep-merged), or all fields on one side.
 */
export function splitRootFields(
  coalitionSchema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): RootSplit | null {
  const operation = getOperationAST(document, operationName || null);
  if (!operation || operation.operation !== OperationTypeNode.QUERY) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  const coalition: FieldNode[] = [];
  const partners: FieldNode[] = [];
  const keys = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return null;
    const alone = reduced(operation, [selection], fragments);
    (isCoalitionOnly(coalitionSchema, alone.document) ? coalition : partners).push(selection);
    keys.add(responseKey(selection));
  }
  if (coalition.length === 0 || partners.length === 0) return null;
  const coalitionKeys = new Set(coalition.map(responseKey));
  if (partners.some((field) => coalitionKeys.has(responseKey(field)))) return null;
  return {
    coalition: hashed(reduced(operation, coalition, fragments)),
    partners: hashed(reduced(operation, partners, fragments)),
    keys: [...keys],
  };
}

/** The operation reduced to `selections`, with only the fragments and variables they use. */
function reduced(
  operation: OperationDefinitionNode,
  selections: readonly SelectionNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): Pick<OperationPart, 'document' | 'operation'> {
  const used = new Map<string, FragmentDefinitionNode>();
  const variables = new Set<string>();
  const collect = (node: Parameters<typeof visit>[0]) =>
    visit(node, {
      [Kind.FRAGMENT_SPREAD](spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (fragment && !used.has(name)) {
          used.set(name, fragment);
          collect(fragment);
        }
      },
      [Kind.VARIABLE](variable) {
        variables.add(variable.name.value);
      },
    });
  for (const selection of selections) collect(selection);
  for (const directive of operation.directives ?? []) collect(directive);
  const part: OperationDefinitionNode = {
    ...operation,
    variableDefinitions: operation.variableDefinitions?.filter((definition) =>
      variables.has(definition.variable.name.value),
    ),
    selectionSet: { ...operation.selectionSet, selections },
  };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [part, ...used.values()] },
    operation: part,
  };
}

function hashed(part: Pick<OperationPart, 'document' | 'operation'>): OperationPart {
  const source = print(part.document);
  return { ...part, source, queryHash: queryHashOf(source) };
}

/** An operation's text hashed as Apollo Server hashes it, so both paths share query plans. */
export function queryHashOf(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

function responseKey(field: FieldNode): string {
  return field.alias?.value ?? field.name.value;
}
