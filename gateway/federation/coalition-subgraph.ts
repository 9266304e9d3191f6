import type { GraphQLSchema } from 'graphql';
import { PointsPrice } from '../../schema/redemptions';
import type { GraphQLContext } from '../graphql/context';
import { memberObject } from '../graphql/mappers';
import { catchDomainError } from '../shared/errors';
import { idPatterns } from '../shared/ids';
import { buildFederatedSchema, type FederatedSchema } from './subgraph-schema';

const currencyPattern = /^[A-Z][A-Z0-9]{1,9}$/;
const pointsPattern = /^\d{1,19}$/;

/**
 * The coalition's own graph as a subgraph: the type-graphql schema plus `_entities` for its two
 * entities. `Member @key(id)` lets partner services add fields to a member; `PointsPrice
 * @key(currency points)` lets them price rewards in points and have the coalition say whether
 * the calling member can afford them.
 */
export function buildCoalitionSubgraph(schema: GraphQLSchema): FederatedSchema {
  return buildFederatedSchema<GraphQLContext>(schema, {
    Member: (reference, ctx) => visibleMember(String(reference.id), ctx),
    PointsPrice: (reference) => priceFrom(reference),
  });
}

/** The member as the caller may see it (the same rule as `Query.member`), or null. */
async function visibleMember(memberId: string, ctx: GraphQLContext) {
  if (!idPatterns.member.test(memberId)) return null;
  const caller = ctx.caller;
  let visible: boolean;
  if (caller.kind === 'partner') {
    const resolved = await catchDomainError(() =>
      ctx.app.members.resolveForPartner(ctx.request, caller.partnerId, { memberId }),
    );
    visible = resolved === memberId;
  } else {
    visible =
      caller.kind === 'operator' ||
      caller.kind === 'system' ||
      (caller.kind === 'member' && caller.memberId === memberId);
  }
  if (!visible) return null;
  const record = await ctx.loaders.member.load(memberId);
  return record && memberObject(record);
}

/** A price from its key fields; null for a malformed representation (nothing to resolve). */
function priceFrom(reference: Record<string, unknown>): PointsPrice | null {
  const { currency, points } = reference;
  if (typeof currency !== 'string' || !currencyPattern.test(currency)) return null;
  const text = typeof points === 'number' ? String(points) : points;
  if (typeof text !== 'string' || !pointsPattern.test(text)) return null;
  return Object.assign(new PointsPrice(), { currency, points: BigInt(text) });
}
