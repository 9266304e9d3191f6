import {
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  parse,
} from 'graphql';
import { operationLimits } from '../graphql/apollo';
import { BoundedMap } from '../shared/bounded-map';

/** Labels remembered; the map is emptied when it grows past this. */
const labelsMax = 1_000;
/** The label of anything not named by a registered document or one root field of ours. */
export const otherOperation = 'other';

/**
 * The name an operation is counted under in the metrics, from a bounded set whatever callers
 * send: the operation name of a registered document (the web apps'), else the root field when
 * the operation selects exactly one of the coalition's own (`awardPoints`, `wallet`), else
 * `other`. A caller-chosen operation name is never a label: each new name would be a series.
 */
export interface OperationDescription {
  /** The metrics label. */
  label: string;
  /** The operation's own name in the document, if it has one (for the log). */
  name: string | undefined;
}

export class OperationLabels {
  private readonly descriptions = new BoundedMap<string, OperationDescription>(labelsMax);

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly registeredNames: ReadonlySet<string>,
  ) {}

  describe(query: string, operationName: string | undefined): OperationDescription {
    const key = `${operationName ?? ''}\u0000${query}`;
    return this.descriptions.getOrSet(key, () => this.parsed(query, operationName));
  }

  private parsed(query: string, operationName: string | undefined): OperationDescription {
    let operation: ReturnType<typeof getOperationAST>;
    try {
      operation = getOperationAST(
        parse(query, { maxTokens: operationLimits.tokensMax }),
        operationName ?? null,
      );
    } catch {
      return { label: otherOperation, name: operationName };
    }
    const name = operation?.name?.value ?? operationName;
    if (name !== undefined && this.registeredNames.has(name)) return { label: name, name };
    return { label: (operation && this.rootFieldOf(operation)) ?? otherOperation, name };
  }

  private rootFieldOf(operation: OperationDefinitionNode): string | undefined {
    const fields = operation.selectionSet.selections.filter(
      (selection) => selection.kind === Kind.FIELD && selection.name.value !== '__typename',
    );
    const field = fields[0];
    if (fields.length !== 1 || field?.kind !== Kind.FIELD) return undefined;
    const rootType =
      operation.operation === OperationTypeNode.MUTATION
        ? this.schema.getMutationType()
        : operation.operation === OperationTypeNode.QUERY
          ? this.schema.getQueryType()
          : undefined;
    return rootType?.getFields()[field.name.value] ? field.name.value : undefined;
  }
}

/** Operation names of the registered documents (each document's named operations). */
export function operationNamesOf(documents: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const text of documents) {
    try {
      for (const definition of parse(text).definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) {
          names.add(definition.name.value);
        }
      }
    } catch {
      // A registered document that does not parse is refused when it is used, not here.
    }
  }
  return names;
}
