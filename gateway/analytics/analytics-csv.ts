import { referenceUnit } from '../exchange/exchange-limits';
import { CsvNumber, type CsvValue, csvLine } from '../settlement/csv';
import { formatMoneyAmount } from '../shared/money';
import type { AnalyticsReport } from './analytics';

/**
 * An analytics report as CSV files (RFC 4180, as settlement's), one per table: `daily` (earn
 * and burn per day and currency), `tiers` (members per tier), `segments` (members per segment,
 * as last refreshed), `programs` (liability and breakage per program currency) and `summary`
 * (the scope, the range, active members). Each
 * row names the scope, so files of several scopes concatenate. Points are integers; the
 * liability is a decimal of the reference unit (EUR), rounded down to the cent.
 */
export type AnalyticsTable = 'daily' | 'tiers' | 'segments' | 'programs' | 'summary';
export const analyticsTables: readonly AnalyticsTable[] = [
  'daily',
  'tiers',
  'segments',
  'programs',
  'summary',
];

/** The table's lines: the header first, then one line per row (a generator: streamed as made). */
export function* analyticsCsv(report: AnalyticsReport, table: AnalyticsTable): Generator<string> {
  const scope: CsvValue[] = [report.scope.partnerId, report.scope.currency];
  const head = (columns: string[]) => csvLine(['scope_partner_id', 'scope_currency', ...columns]);
  const line = (values: (CsvValue | CsvNumber)[]) => csvLine([...scope, ...values]);
  const number = (value: bigint | number | null) =>
    value === null ? null : new CsvNumber(value.toString());
  switch (table) {
    case 'daily':
      yield head([
        'day',
        'currency',
        'earned_points',
        'earn_reversed_points',
        'burned_points',
        'burn_reversed_points',
      ]);
      for (const day of report.days) {
        yield line([
          day.day,
          day.currency,
          number(day.earnedPoints),
          number(day.earnReversedPoints),
          number(day.burnedPoints),
          number(day.burnReversedPoints),
        ]);
      }
      return;
    case 'tiers':
      yield head(['currency', 'tier_rank', 'tier_code', 'tier_name', 'members']);
      for (const tier of report.membersByTier) {
        yield line([tier.currency, number(tier.rank), tier.code, tier.name, number(tier.members)]);
      }
      return;
    case 'segments':
      yield head(['segment_id', 'segment_kind', 'segment_name', 'members', 'as_of']);
      for (const segment of report.membersBySegment) {
        yield line([
          segment.segmentId,
          segment.kind,
          segment.name,
          number(segment.members),
          segment.asOf === null ? null : segment.asOf.toISOString(),
        ]);
      }
      return;
    case 'programs':
      yield head([
        'currency',
        'outstanding_points',
        'pending_points',
        'value_micros',
        'liability',
        'liability_currency',
        'issued_points',
        'expired_points',
        'breakage_basis_points',
      ]);
      for (const breakage of report.breakage) {
        const liability = report.liabilities.find((row) => row.currency === breakage.currency);
        yield line([
          breakage.currency,
          number(liability?.outstandingPoints ?? null),
          number(liability?.pendingPoints ?? null),
          number(liability?.valueMicros ?? null),
          liability?.valueMinor == null
            ? null
            : new CsvNumber(formatMoneyAmount(liability.valueMinor, referenceUnit)),
          referenceUnit,
          number(breakage.issuedPoints),
          number(breakage.expiredPoints),
          number(breakage.rateBasisPoints),
        ]);
      }
      return;
    case 'summary':
      yield head(['from', 'to', 'active_members', 'generated_at']);
      yield line([report.from, report.to, number(report.activeMembers), report.generatedAt]);
      return;
  }
}
