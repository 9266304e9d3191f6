import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker';
import { AnalyticsResolver } from './resolvers/analytics.resolver';
import { AuditResolver } from './resolvers/audit.resolver';
import { DataRightsResolver } from './resolvers/data-rights.resolver';
import { DonationResolver } from './resolvers/donations.resolver';
import {
  ConversionQuoteResolver,
  ConvertPointsSuccessResolver,
  ExchangeResolver,
  PayAcrossProgramsSuccessResolver,
} from './resolvers/exchange.resolver';
import { ExchangeAdminResolver } from './resolvers/exchange-admin.resolver';
import { FeedbackResolver } from './resolvers/feedback.resolver';
import { JobsResolver } from './resolvers/jobs.resolver';
import { LiabilitiesResolver } from './resolvers/liabilities.resolver';
import { MemberResolver } from './resolvers/members.resolver';
import { MembershipResolver } from './resolvers/memberships.resolver';
import { OfferResolver } from './resolvers/offers.resolver';
import { PartnerServiceResolver } from './resolvers/partner-services.resolver';
import { PointsPriceResolver } from './resolvers/points-price.resolver';
import { CurrencyResolver, ProgramResolver } from './resolvers/programs.resolver';
import { PurchaseResolver } from './resolvers/purchases.resolver';
import { ReceiptResolver } from './resolvers/receipts.resolver';
import { RedemptionResolver } from './resolvers/redemptions.resolver';
import { ReferralResolver } from './resolvers/referrals.resolver';
import { RuleResolver } from './resolvers/rules.resolver';
import { SegmentResolver } from './resolvers/segments.resolver';
import {
  ReconciliationResolver,
  SettlementResolver,
  StatementResolver,
} from './resolvers/settlement.resolver';
import { TierResolver } from './resolvers/tiers.resolver';
import { TransferResolver } from './resolvers/transfers.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { VoucherResolver } from './resolvers/vouchers.resolver';
import { WalletResolver } from './resolvers/wallet.resolver';
import { WalletEntryResolver } from './resolvers/wallet-entry.resolver';
import { BalanceValueResolver, WalletValueResolver } from './resolvers/wallet-value.resolver';
import { WebhookResolver } from './resolvers/webhooks.resolver';

export const resolvers = [
  ViewerResolver,
  ProgramResolver,
  CurrencyResolver,
  MemberResolver,
  WalletResolver,
  PurchaseResolver,
  RuleResolver,
  DonationResolver,
  ReceiptResolver,
  VoucherResolver,
  ReferralResolver,
  WalletEntryResolver,
  TransferResolver,
  ExchangeResolver,
  ConversionQuoteResolver,
  ConvertPointsSuccessResolver,
  PayAcrossProgramsSuccessResolver,
  ExchangeAdminResolver,
  BalanceValueResolver,
  WalletValueResolver,
  RedemptionResolver,
  PointsPriceResolver,
  PartnerServiceResolver,
  SettlementResolver,
  StatementResolver,
  ReconciliationResolver,
  LiabilitiesResolver,
  AnalyticsResolver,
  FeedbackResolver,
  SegmentResolver,
  OfferResolver,
  TierResolver,
  MembershipResolver,
  AuditResolver,
  DataRightsResolver,
  JobsResolver,
  WebhookResolver,
] as const;

/** The coalition's own graph, built from the type-graphql classes in schema/. */
export function buildCoalitionSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    // Inputs are checked by the services, which answer with typed errors.
    validate: false,
    emitSchemaFile: false,
    // Federation directives (`@key`) are printed into the subgraph SDL, not checked here.
    skipCheck: true,
  });
}
