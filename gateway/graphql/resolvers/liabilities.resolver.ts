import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { ProgramLiability } from '../../../schema/exchange';
import { referenceUnit } from '../../exchange/exchange-limits';
import { programLiabilities } from '../../exchange/liabilities';
import { settlementViewer } from '../../settlement/access';
import type { GraphQLContext } from '../context';
import { moneyObject } from '../mappers';

/** The finance console's liability view: thin, one auth rule, one read, a mapping. */
@Resolver()
export class LiabilitiesResolver {
  @Authorized('finance', 'operator')
  @Query(() => [ProgramLiability], {
    description:
      'Liability per program currency (outstanding points x reference value): the operator’s finance users see every program, a partner’s those it owns.',
  })
  async programLiabilities(@Ctx() ctx: GraphQLContext): Promise<ProgramLiability[]> {
    const viewer = settlementViewer(ctx.request);
    const rows = await programLiabilities(
      ctx.app.db,
      viewer.scope === 'partner' ? viewer.partnerId : null,
    );
    return rows.map((row) =>
      Object.assign(new ProgramLiability(), {
        currency: row.currency,
        ownerPartnerId: row.ownerPartnerId,
        outstandingPoints: row.outstandingPoints,
        pendingPoints: row.pendingPoints,
        valueMicros: row.valueMicros,
        liability: moneyObject(row.valueMinor, referenceUnit),
      }),
    );
  }
}
