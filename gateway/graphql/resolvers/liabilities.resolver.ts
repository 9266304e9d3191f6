import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { ProgramLiability } from '../../../schema/liabilities';
import { referenceUnit } from '../../exchange/exchange-limits';
import { programLiabilities } from '../../exchange/liabilities';
import { settlementViewer } from '../../settlement/access';
import { Forbidden } from '../../shared/errors';
import type { GraphQLContext } from '../context';
import { forbidden } from '../error-results';
import { money } from '../settlement-mappers';

@Resolver()
export class LiabilitiesResolver {
  @Authorized('finance', 'operator')
  @Query(() => [ProgramLiability], {
    description:
      'Each program’s liability to its members (outstanding points x reference value): every program for the operator and its finance users, a partner’s own programs for its finance users.',
  })
  async programLiabilities(@Ctx() ctx: GraphQLContext): Promise<ProgramLiability[]> {
    let owner: string | null;
    try {
      const viewer = settlementViewer(ctx.request);
      owner = viewer.scope === 'partner' ? viewer.partnerId : null;
    } catch (error) {
      if (error instanceof Forbidden) throw forbidden(error.reason);
      throw error;
    }
    const liabilities = await programLiabilities(ctx.app.db, owner);
    return liabilities.map(({ valueMinor, ...liability }) =>
      Object.assign(new ProgramLiability(), {
        ...liability,
        value: valueMinor === null ? null : money(valueMinor, referenceUnit),
      }),
    );
  }
}
