import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { analyticsErrors } from '../gateway/analytics/analytics';
import { resultUnion } from './errors';
import { ProgramLiability } from './exchange';
import { Int64 } from './scalars';

@InputType({
  description:
    'What to count and over which UTC days. Omit partnerId and currency for a partner’s own activity (partners) or the whole coalition (the operator).',
})
export class AnalyticsInput {
  @Field(() => ID, {
    nullable: true,
    description:
      'One partner’s activity: points earned and burned at it, its members. A partner may name only itself.',
  })
  partnerId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'One program currency. Without partnerId: the whole program (a partner may ask for the programs it owns).',
  })
  currency?: string | null;

  @Field({ description: 'The first UTC day, "YYYY-MM-DD".' })
  from!: string;

  @Field({ description: 'The last UTC day, included, "YYYY-MM-DD"; at most 366 days after from.' })
  to!: string;
}

@ObjectType({ description: 'The scope a report covers (null: every partner, every currency).' })
export class AnalyticsScope {
  @Field(() => ID, { nullable: true, description: 'The partner whose activity is counted.' })
  partnerId!: string | null;

  @Field(() => String, { nullable: true, description: 'The program currency.' })
  currency!: string | null;
}

@ObjectType({
  description:
    'Points earned and burned on one UTC day in one currency. Conversions between programs, expiry, fees and adjustments are not earn or burn.',
})
export class AnalyticsDay {
  @Field({ description: 'The UTC day, "YYYY-MM-DD".' })
  day!: string;

  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int64, {
    description: 'Points earned (pending ones when earned, not again when they mature).',
  })
  earnedPoints!: bigint;

  @Field(() => Int64, {
    description: 'Earned points taken back by refunds (and pending earns voided).',
  })
  earnReversedPoints!: bigint;

  @Field(() => Int64, {
    description: 'Points spent: paid with, or redeemed (a redemption counts when confirmed).',
  })
  burnedPoints!: bigint;

  @Field(() => Int64, {
    description: 'Spent points given back (refunded payments, cancelled redemptions).',
  })
  burnReversedPoints!: bigint;
}

@ObjectType({ description: 'How many members hold one tier of a program now.' })
export class AnalyticsTierCount {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int, { description: 'The tier’s rank (0: the base tier).' })
  rank!: number;

  @Field(() => String, { nullable: true, description: 'The tier’s code in the ladder in force.' })
  code!: string | null;

  @Field(() => String, { nullable: true, description: 'The tier’s name in the ladder in force.' })
  name!: string | null;

  @Field(() => Int64, { description: 'Members at this tier.' })
  members!: bigint;
}

@ObjectType({ description: 'How many members a segment has, as its last refresh computed it.' })
export class AnalyticsSegmentCount {
  @Field(() => ID, { description: 'The segment (see `segments`).' })
  segmentId!: string;

  @Field({ description: 'Its kind: "new", "active", "high_value", "lapsed", "at_risk", "custom".' })
  kind!: string;

  @Field({ description: 'Its name.' })
  name!: string;

  @Field(() => Int64, { description: 'Its members.' })
  members!: bigint;

  @Field(() => Date, {
    nullable: true,
    description: 'The time its membership was computed as of; null: not computed yet.',
  })
  asOf!: Date | null;
}

@ObjectType({ description: 'Breakage of a program over the report’s days: expired ÷ issued.' })
export class AnalyticsBreakage {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points earned in the days, at every partner.' })
  issuedPoints!: bigint;

  @Field(() => Int64, { description: 'Points that expired in the days.' })
  expiredPoints!: bigint;

  @Field(() => Int64, {
    nullable: true,
    description:
      'floor(expiredPoints x 10,000 / issuedPoints): the rate in basis points, rounded down; null when nothing was issued.',
  })
  rateBasisPoints!: bigint | null;
}

@ObjectType({
  description:
    'Analytics of a scope over a range of UTC days, read from the ledger, with members by tier and by segment now.',
})
export class AnalyticsReport {
  @Field(() => AnalyticsScope, { description: 'What the report counts.' })
  scope!: AnalyticsScope;

  @Field({ description: 'The first UTC day.' })
  from!: string;

  @Field({ description: 'The last UTC day, included.' })
  to!: string;

  @Field(() => [AnalyticsDay], {
    description: 'Earn and burn per day and currency, oldest first; days without any are left out.',
  })
  days!: AnalyticsDay[];

  @Field(() => Int64, {
    description:
      'Members who earned, paid, redeemed, were refunded or converted in the days (in the scope).',
  })
  activeMembers!: bigint;

  @Field(() => [AnalyticsTierCount], {
    description:
      'Members per tier now: of the program, or those linked to the partner in its currencies.',
  })
  membersByTier!: AnalyticsTierCount[];

  @Field(() => [AnalyticsSegmentCount], {
    description:
      'Members per segment as last refreshed: the partner’s segments for a partner, the coalition’s otherwise.',
  })
  membersBySegment!: AnalyticsSegmentCount[];

  @Field(() => [ProgramLiability], {
    description:
      'Liability now (outstanding points x reference value, rounded down to the cent) of the scope’s programs: a partner’s are those it owns.',
  })
  liabilities!: ProgramLiability[];

  @Field(() => [AnalyticsBreakage], {
    description: 'Breakage of the same programs, over the days.',
  })
  breakage!: AnalyticsBreakage[];

  @Field({ description: 'When the report was read.' })
  generatedAt!: Date;
}

export enum AnalyticsTable {
  DAILY = 'daily',
  TIERS = 'tiers',
  SEGMENTS = 'segments',
  PROGRAMS = 'programs',
  SUMMARY = 'summary',
}
registerEnumType(AnalyticsTable, {
  name: 'AnalyticsTable',
  description: 'One table of an analytics report as CSV.',
  valuesConfig: {
    DAILY: { description: 'Earn and burn per day and currency.' },
    TIERS: { description: 'Members per tier.' },
    SEGMENTS: { description: 'Members per segment, as each was last refreshed.' },
    PROGRAMS: { description: 'Liability and breakage per program currency.' },
    SUMMARY: { description: 'The range and the active members.' },
  },
});

@ObjectType({ description: 'One table of an analytics report as CSV text (RFC 4180, CRLF lines).' })
export class AnalyticsCsv {
  @Field(() => AnalyticsTable, { description: 'The table the text holds.' })
  table!: AnalyticsTable;

  @Field({ description: 'The CSV text: a header line, then one line per row.' })
  text!: string;
}

export const AnalyticsResult = resultUnion({
  name: 'AnalyticsResult',
  description: 'AnalyticsReport, or why the input was refused.',
  success: AnalyticsReport,
  errors: analyticsErrors,
});

export const AnalyticsCsvResult = resultUnion({
  name: 'AnalyticsCsvResult',
  description: 'AnalyticsCsv, or why the input was refused.',
  success: AnalyticsCsv,
  errors: analyticsErrors,
});
