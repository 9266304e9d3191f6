import type { MikroORM } from '@mikro-orm/postgresql';
import { Analytics } from './analytics/analytics';
import { AuditLog } from './audit/audit-log';
import { initOrm, migrate, observeOrmPool } from './db/orm';
import { type DatabaseTimeouts, SqlDatabase } from './db/sql';
import { CrossProgramPayments } from './exchange/cross-program-payments';
import { ExchangeAdmin } from './exchange/exchange-admin';
import { ExchangeService } from './exchange/exchange-service';
import { RatesInMemory } from './exchange/rates-in-memory';
import { WalletValuation } from './exchange/wallet-valuation';
import { SurveyAnswers } from './feedback/survey-answers';
import { SurveyResultsReader } from './feedback/survey-results';
import { Surveys } from './feedback/surveys';
import { Ledger } from './ledger/ledger';
import { MemberDataRights } from './members/data-rights';
import { MemberDirectory } from './members/member-directory';
import { Offers } from './offers/offers';
import { ProgramCatalog } from './programs/program-catalog';
import { PurchaseService } from './purchases/purchase-service';
import { MemberReceipts } from './purchases/receipts';
import { Donations } from './redemptions/donations';
import { RedemptionService } from './redemptions/redemption-service';
import { Referrals } from './rules/referrals';
import { RuleService } from './rules/rule-service';
import { RewardVouchers } from './rules/vouchers';
import { Segments } from './segments/segments';
import { SettlementService } from './settlement/settlement-service';
import { type Clock, systemClock } from './shared/clock';
import { type RequestContext, systemContextFor } from './shared/context';
import { TierMemberships } from './tiers/memberships';
import { TierService } from './tiers/tier-service';
import { WebhookSubscriptions } from './webhooks/subscriptions';

/**
 * The domain services wired together over one database; no HTTP, no GraphQL. The server, the
 * command-line jobs and the tests all start from here.
 */
export interface App {
  /** The database the app runs on (listeners open their own connections to it). */
  databaseUrl: string;
  orm: MikroORM;
  db: SqlDatabase;
  clock: Clock;
  ledger: Ledger;
  catalog: ProgramCatalog;
  members: MemberDirectory;
  purchases: PurchaseService;
  /** Quotes and conversions between program currencies. */
  exchange: ExchangeService;
  /** Paying at a partner with points of another currency. */
  crossProgramPayments: CrossProgramPayments;
  /** The operator's rates, promotions, liquidity floors and reference values. */
  exchangeAdmin: ExchangeAdmin;
  /** The rates in force, from memory while the change feed listens (a reward's affordability). */
  exchangeRates: RatesInMemory;
  /** Wallet values in the reference unit and conversion previews. */
  walletValuation: WalletValuation;
  redemptions: RedemptionService;
  settlement: SettlementService;
  /** Tier ladders, members' tiers, status matches and reviews. */
  tiers: TierService;
  /** Who may join programs' tiers (open, invitation, qualification) and paid VIP terms. */
  memberships: TierMemberships;
  /** Earning rules and campaigns: partners' and the operator's, priced into earns. */
  rules: RuleService;
  /** Charities, and members' gifts of points to them. */
  donations: Donations;
  /** Purchases members register after the fact, confirmed or rejected by the partner. */
  receipts: MemberReceipts;
  vouchers: RewardVouchers;
  referrals: Referrals;
  /** Partners' surveys: definitions, and the open ones members see. */
  surveys: Surveys;
  /** Members' answers to surveys (once each), rewarded through member events. */
  surveyAnswers: SurveyAnswers;
  /** Survey results for their partner: aggregates, and consented free text. */
  surveyResults: SurveyResultsReader;
  /** Partners' and the coalition's member segments, built-in and custom, and their refresh. */
  segments: Segments;
  /** Personalised offers: targeted at segments or members, activated, applied by the rules. */
  offers: Offers;
  /** Earn, burn, active members, tiers, liability and breakage per partner and program. */
  analytics: Analytics;
  /** Who changed which configuration, when, before and after. */
  audit: AuditLog;
  /** Members' export and erasure of their data. */
  dataRights: MemberDataRights;
  /** Partners' webhook subscriptions, their cursors and dead letters (docs/webhooks.md). */
  webhooks: WebhookSubscriptions;
  /** A context for jobs and tools acting as the system. */
  systemContext(requestId?: string): RequestContext;
  close(): Promise<void>;
}

export interface AppOptions {
  databaseUrl: string;
  clock?: Clock;
  /** Apply pending migrations first (the default); tests use a pre-migrated template. */
  migrate?: boolean;
  poolSizeMax?: number;
  databaseTimeouts?: Partial<DatabaseTimeouts>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const orm = await initOrm(options.databaseUrl);
  if (options.migrate ?? true) await migrate(orm);
  const db = new SqlDatabase({
    url: options.databaseUrl,
    poolSizeMax: options.poolSizeMax,
    timeouts: options.databaseTimeouts,
  });
  const clock = options.clock ?? systemClock;
  const ledger = new Ledger(db, clock);
  const catalog = new ProgramCatalog(orm, ledger);
  const referrals = new Referrals(db, ledger, catalog, clock);
  const members = new MemberDirectory(clock, referrals);
  const rules = new RuleService(db, catalog, clock);
  const purchases = new PurchaseService(ledger, catalog, members, clock, rules);
  const exchange = new ExchangeService(db, ledger, catalog, members, clock);
  const crossProgramPayments = new CrossProgramPayments(db, ledger, catalog, members, clock);
  const exchangeRates = new RatesInMemory(db);
  const exchangeAdmin = new ExchangeAdmin(db, catalog, clock, exchangeRates);
  const walletValuation = new WalletValuation(db, clock);
  const redemptions = new RedemptionService(ledger, catalog, members, clock);
  const settlement = new SettlementService(db, clock);
  const tiers = new TierService(db, catalog, members, clock);
  const memberships = new TierMemberships(db, catalog, members, tiers, clock);
  const unobserveOrmPool = observeOrmPool(orm);
  return {
    databaseUrl: options.databaseUrl,
    orm,
    db,
    clock,
    ledger,
    catalog,
    members,
    purchases,
    exchange,
    crossProgramPayments,
    exchangeAdmin,
    exchangeRates,
    walletValuation,
    redemptions,
    settlement,
    tiers,
    memberships,
    rules,
    donations: new Donations(db, ledger, catalog, clock),
    receipts: new MemberReceipts(db, catalog, purchases, clock),
    vouchers: new RewardVouchers(db, clock),
    referrals,
    surveys: new Surveys(db, catalog, clock),
    surveyAnswers: new SurveyAnswers(db, purchases, clock),
    surveyResults: new SurveyResultsReader(db),
    segments: new Segments(db, clock),
    offers: new Offers(db, catalog, rules, clock),
    analytics: new Analytics(db, catalog, clock),
    audit: new AuditLog(db),
    dataRights: new MemberDataRights(db, ledger, members, clock),
    webhooks: new WebhookSubscriptions(db, clock),
    systemContext: (requestId = 'system') => systemContextFor(orm.em.fork(), requestId),
    close: async () => {
      unobserveOrmPool();
      await db.close();
      await orm.close(true);
    },
  };
}
