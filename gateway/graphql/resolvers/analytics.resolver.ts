import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import {
  AnalyticsCsv,
  AnalyticsCsvResult,
  AnalyticsInput,
  AnalyticsReport,
  AnalyticsResult,
  AnalyticsTable,
} from '../../../schema/analytics';
import { errorsDoc } from '../../../schema/errors';
import { ProgramLiability } from '../../../schema/exchange';
import { analyticsErrors, type AnalyticsReport as Report } from '../../analytics/analytics';
import { analyticsCsv } from '../../analytics/analytics-csv';
import { referenceUnit } from '../../exchange/exchange-limits';
import type { GraphQLContext } from '../context';
import { moneyObject } from '../mappers';
import { respond } from '../respond';

/** Analytics per partner and program (issue 18, item 5). Thin: an auth rule, one service call. */
@Resolver()
export class AnalyticsResolver {
  @Authorized('partner', 'finance', 'operator')
  @Query(() => AnalyticsResult, {
    description: `Earn and burn per day, active members, members by tier, liability and breakage of a partner, a program or the coalition. A partner (and its finance users) sees its own activity and the programs it owns; the operator and its finance users see any. ${errorsDoc(analyticsErrors)}`,
  })
  analytics(
    @Arg('input', { description: 'The scope and the days.' }) input: AnalyticsInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.analytics.report(ctx.request, input), reportObject);
  }

  @Authorized('partner', 'finance', 'operator')
  @Query(() => AnalyticsCsvResult, {
    description: `One table of the same report as CSV (GET /analytics/export.csv streams it too). ${errorsDoc(analyticsErrors)}`,
  })
  analyticsCsv(
    @Arg('input', { description: 'The scope and the days.' }) input: AnalyticsInput,
    @Arg('table', () => AnalyticsTable, { description: 'Which table.' }) table: AnalyticsTable,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.analytics.report(ctx.request, input),
      (report) =>
        Object.assign(new AnalyticsCsv(), {
          table,
          text: [...analyticsCsv(report, table)].join(''),
        }),
    );
  }
}

function reportObject(report: Report): AnalyticsReport {
  return Object.assign(new AnalyticsReport(), {
    ...report,
    liabilities: report.liabilities.map((row) =>
      Object.assign(new ProgramLiability(), {
        currency: row.currency,
        ownerPartnerId: row.ownerPartnerId,
        outstandingPoints: row.outstandingPoints,
        pendingPoints: row.pendingPoints,
        valueMicros: row.valueMicros,
        liability: moneyObject(row.valueMinor, referenceUnit),
      }),
    ),
  });
}
