import {
  BREAK,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  Kind,
  OperationTypeNode,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { BoundedMap } from '../shared/bounded-map';

/**
 * Which members' requests may be answered from MemberResponseCache: read-only operations that
 * select nothing but the member's own ledger data, which only the member's transfers change.
 * Fields derived from anything else (exchange rates, reference values, partners' services)
 * would go stale without a transfer, so an operation selecting one is never cached.
 */
const cacheableFields: Record<string, readonly string[]> = {
  Query: ['wallet', 'viewer'],
  Viewer: ['kind', 'id', 'partnerId'],
  Wallet: ['memberId', 'balances', 'history'],
  Balance: [
    'currency',
    'available',
    'pending',
    'held',
    'expiringSoon',
    'expiringBefore',
    'nextExpiryAt',
  ],
  WalletHistory: ['entries', 'pageInfo'],
  WalletEntry: [
    'id',
    'code',
    'description',
    'partnerId',
    'reference',
    'relatedTransferId',
    'purchase',
    'changes',
    'createdAt',
  ],
  Money: ['amountMinor', 'amount', 'currency'],
  BalanceChange: ['currency', 'available', 'pending', 'held'],
  PageInfo: ['endCursor', 'hasNextPage'],
};

/**
 * `cacheable-query`: only the member's own ledger data, reusable until a transfer changes it.
 * `partner-query`: such data plus root fields the coalition's schema does not have (partners'
 * subgraphs): reusable only as long as every partner's answer said (`cache-control: max-age`),
 * and dropped like the others when the member's points move. What a partner's subtree selects
 * of the coalition's own types (a price's affordability) is the member's ledger data too.
 */
export type OperationKind = 'cacheable-query' | 'partner-query' | 'mutation' | 'other';

const classificationsMax = 1_000;

/** Classifies documents once each (by text and operation name) against the coalition schema. */
export class OperationClassifier {
  private readonly kinds = new BoundedMap<string, OperationKind>(classificationsMax);

  constructor(private readonly schema: GraphQLSchema) {}

  kindOf(query: string, operationName: string | undefined): OperationKind {
    const key = `${operationName ?? ''}\u0000${query}`;
    return this.kinds.getOrSet(key, () => this.classify(query, operationName));
  }

  private classify(query: string, operationName: string | undefined): OperationKind {
    let document: ReturnType<typeof parse>;
    try {
      document = parse(query, { maxTokens: 2_000 });
    } catch {
      return 'other';
    }
    const operation = getOperationAST(document, operationName ?? null);
    if (!operation) return 'other';
    if (operation.operation === OperationTypeNode.MUTATION) return 'mutation';
    const operations = document.definitions.filter(
      (definition) => definition.kind === Kind.OPERATION_DEFINITION,
    );
    if (operation.operation !== OperationTypeNode.QUERY || operations.length !== 1) return 'other';
    const typeInfo = new TypeInfo(this.schema);
    const queryType = this.schema.getQueryType();
    let cacheable = true;
    let partnerFields = false;
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        [Kind.FIELD](node) {
          if (node.name.value === '__typename') return undefined;
          const parent = typeInfo.getParentType();
          if (parent === queryType && !typeInfo.getFieldDef()) {
            // A partner's root field: its freshness is the partner's to say.
            partnerFields = true;
            return false;
          }
          const allowed = parent ? cacheableFields[getNamedType(parent).name] : undefined;
          if (!allowed?.includes(node.name.value) || !typeInfo.getFieldDef()) {
            cacheable = false;
            return BREAK;
          }
          return undefined;
        },
        [Kind.DIRECTIVE]() {
          cacheable = false;
          return BREAK;
        },
      }),
    );
    if (!cacheable) return 'other';
    return partnerFields ? 'partner-query' : 'cacheable-query';
  }
}
