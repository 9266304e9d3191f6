import type { MigrationObject } from '@mikro-orm/core';
import { Migration0001Ledger } from './0001-ledger';
import { Migration0002Exchange } from './0002-exchange';
import { Migration0003Settlement } from './0003-settlement';
import { Migration0004Federation } from './0004-federation';
import { Migration0005MemberLinkCodes } from './0005-member-link-codes';
import { Migration0006EarnBatchFunction } from './0006-earn-batch-function';
import { Migration0009MemberChangeFeed } from './0009-member-change-feed';
import { Migration0010DropUnusedLedgerIndexes } from './0010-drop-unused-ledger-indexes';
import { Migration0011QuoteExpiryIndex } from './0011-quote-expiry-index';
import { Migration0012EarnBatchInFiveStatements } from './0012-earn-batch-in-five-statements';
import { Migration0013OneMemberPerTransaction } from './0013-one-member-per-transaction';
import { Migration0015EarnBatchSkipsLockedRows } from './0015-earn-batch-skips-locked-rows';
import { Migration0016DemoSeedProgress } from './0016-demo-seed-progress';
import { Migration0017Tiers } from './0017-tiers';
import { Migration0018TierMemberships } from './0018-tier-memberships';
import { Migration0019TierChangesNotify } from './0019-tier-changes-notify';
import { Migration0020AuditLog } from './0020-audit-log';
import { Migration0021RedemptionCancelAndPartialConfirm } from './0021-redemption-cancel-and-partial-confirm';
import { Migration0022MemberErasure } from './0022-member-erasure';
import { Migration0023ScheduledJobs } from './0023-scheduled-jobs';
import { Migration0024ConfigurationChangeFeed } from './0024-configuration-change-feed';
import { Migration0025TieredEarnsCheaper } from './0025-tiered-earns-cheaper';
import { Migration0026TieredEarnsOnTheTransfer } from './0026-tiered-earns-on-the-transfer';
import { Migration0027TierWindowOnTheAccount } from './0027-tier-window-on-the-account';
import { Migration0028EarnPathWithoutRedundantForeignKeys } from './0028-earn-path-without-redundant-foreign-keys';
import { Migration0029EarningRules } from './0029-earning-rules';
import { Migration0030Charities } from './0030-charities';
import { Migration0031MemberReceipts } from './0031-member-receipts';
import { Migration0032NoLegAfterARefund } from './0032-no-leg-after-a-refund';
import { Migration0033RuleVouchersAndBirthdays } from './0033-rule-vouchers-and-birthdays';
import { Migration0034Referrals } from './0034-referrals';
import { Migration0035RuleRefundsByShareAndThreshold } from './0035-rule-refunds-by-share-and-threshold';
import { Migration0036OperatorMemberEvents } from './0036-operator-member-events';
import { Migration0037MemberDayDistanceInlined } from './0037-member-day-distance-inlined';
import { Migration0040SettlementLinesOnRead } from './0040-settlement-lines-on-read';
import { Migration0050WebhookOutbox } from './0050-webhook-outbox';
import { Migration0060MemberSurveys } from './0060-member-surveys';
import { Migration0070SegmentsAndOffers } from './0070-segments-and-offers';
import { Migration0071EarnBatchSegmentAndOfferConditions } from './0071-earn-batch-segment-and-offer-conditions';
import { Migration0072EarnEventsInTheBatch } from './0072-earn-events-in-the-batch';
import { Migration0080MemberErasureChangeFeed } from './0080-member-erasure-change-feed';
import { Migration0081EarnClaimOnTheTransfer } from './0081-earn-claim-on-the-transfer';
import { Migration0082EarnBatchPlansByIndex } from './0082-earn-batch-plans-by-index';
import { Migration0086SettlementCloseInWorkers } from './0086-settlement-close-in-workers';
import { Migration0095ExchangeRateChangeFeed } from './0095-exchange-rate-change-feed';
import { Migration0096EarnRulesAsArrays } from './0096-earn-rules-as-arrays';
import { Migration0097SettlementReversalsFromPointsLeft } from './0097-settlement-reversals-from-points-left';
import { Migration0098TransferCarriesItsFirstPosting } from './0098-transfer-carries-its-first-posting';
import { Migration0099SettlementReversalPartsStored } from './0099-settlement-reversal-parts-stored';
import { Migration0100AgreementSpanPricesInMinorUnits } from './0100-agreement-span-prices-in-minor-units';
import { type MigrationName, migrationNames } from './names';

/** Each migration's class, by name (names.ts has the order). */
const migrationClasses: Record<MigrationName, MigrationObject['class']> = {
  '0001-ledger': Migration0001Ledger,
  '0002-exchange': Migration0002Exchange,
  '0003-settlement': Migration0003Settlement,
  '0004-federation': Migration0004Federation,
  '0005-member-link-codes': Migration0005MemberLinkCodes,
  '0006-earn-batch-function': Migration0006EarnBatchFunction,
  '0009-member-change-feed': Migration0009MemberChangeFeed,
  '0010-drop-unused-ledger-indexes': Migration0010DropUnusedLedgerIndexes,
  '0011-quote-expiry-index': Migration0011QuoteExpiryIndex,
  '0012-earn-batch-in-five-statements': Migration0012EarnBatchInFiveStatements,
  '0013-one-member-per-transaction': Migration0013OneMemberPerTransaction,
  '0015-earn-batch-skips-locked-rows': Migration0015EarnBatchSkipsLockedRows,
  '0016-demo-seed-progress': Migration0016DemoSeedProgress,
  '0017-tiers': Migration0017Tiers,
  '0018-tier-memberships': Migration0018TierMemberships,
  '0019-tier-changes-notify': Migration0019TierChangesNotify,
  '0020-audit-log': Migration0020AuditLog,
  '0021-redemption-cancel-and-partial-confirm': Migration0021RedemptionCancelAndPartialConfirm,
  '0022-member-erasure': Migration0022MemberErasure,
  '0023-scheduled-jobs': Migration0023ScheduledJobs,
  '0024-configuration-change-feed': Migration0024ConfigurationChangeFeed,
  '0025-tiered-earns-cheaper': Migration0025TieredEarnsCheaper,
  '0026-tiered-earns-on-the-transfer': Migration0026TieredEarnsOnTheTransfer,
  '0027-tier-window-on-the-account': Migration0027TierWindowOnTheAccount,
  '0028-earn-path-without-redundant-foreign-keys': Migration0028EarnPathWithoutRedundantForeignKeys,
  '0029-earning-rules': Migration0029EarningRules,
  '0030-charities': Migration0030Charities,
  '0031-member-receipts': Migration0031MemberReceipts,
  '0032-no-leg-after-a-refund': Migration0032NoLegAfterARefund,
  '0033-rule-vouchers-and-birthdays': Migration0033RuleVouchersAndBirthdays,
  '0034-referrals': Migration0034Referrals,
  '0035-rule-refunds-by-share-and-threshold': Migration0035RuleRefundsByShareAndThreshold,
  '0036-operator-member-events': Migration0036OperatorMemberEvents,
  '0037-member-day-distance-inlined': Migration0037MemberDayDistanceInlined,
  '0040-settlement-lines-on-read': Migration0040SettlementLinesOnRead,
  '0050-webhook-outbox': Migration0050WebhookOutbox,
  '0060-member-surveys': Migration0060MemberSurveys,
  '0070-segments-and-offers': Migration0070SegmentsAndOffers,
  '0071-earn-batch-segment-and-offer-conditions': Migration0071EarnBatchSegmentAndOfferConditions,
  '0072-earn-events-in-the-batch': Migration0072EarnEventsInTheBatch,
  '0080-member-erasure-change-feed': Migration0080MemberErasureChangeFeed,
  '0081-earn-claim-on-the-transfer': Migration0081EarnClaimOnTheTransfer,
  '0082-earn-batch-plans-by-index': Migration0082EarnBatchPlansByIndex,
  '0086-settlement-close-in-workers': Migration0086SettlementCloseInWorkers,
  '0095-exchange-rate-change-feed': Migration0095ExchangeRateChangeFeed,
  '0096-earn-rules-as-arrays': Migration0096EarnRulesAsArrays,
  '0097-settlement-reversals-from-points-left': Migration0097SettlementReversalsFromPointsLeft,
  '0098-transfer-carries-its-first-posting': Migration0098TransferCarriesItsFirstPosting,
  '0099-settlement-reversal-parts-stored': Migration0099SettlementReversalPartsStored,
  '0100-agreement-span-prices-in-minor-units': Migration0100AgreementSpanPricesInMinorUnits,
};

/**
 * Every migration, oldest first. Listed explicitly (not found by a file glob) so the same list
 * runs from TypeScript in tests and from compiled JavaScript in production.
 */
export const migrationsList: MigrationObject[] = migrationNames.map((name) => ({
  name,
  class: migrationClasses[name],
}));
