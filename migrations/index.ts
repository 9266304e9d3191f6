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

/**
 * Every migration, oldest first. Listed explicitly (not found by a file glob) so the same list
 * runs from TypeScript in tests and from compiled JavaScript in production.
 */
export const migrationsList: MigrationObject[] = [
  { name: '0001-ledger', class: Migration0001Ledger },
  { name: '0002-exchange', class: Migration0002Exchange },
  { name: '0003-settlement', class: Migration0003Settlement },
  { name: '0004-federation', class: Migration0004Federation },
  { name: '0005-member-link-codes', class: Migration0005MemberLinkCodes },
  { name: '0006-earn-batch-function', class: Migration0006EarnBatchFunction },
  { name: '0009-member-change-feed', class: Migration0009MemberChangeFeed },
  { name: '0010-drop-unused-ledger-indexes', class: Migration0010DropUnusedLedgerIndexes },
  { name: '0011-quote-expiry-index', class: Migration0011QuoteExpiryIndex },
  { name: '0012-earn-batch-in-five-statements', class: Migration0012EarnBatchInFiveStatements },
  { name: '0013-one-member-per-transaction', class: Migration0013OneMemberPerTransaction },
  { name: '0015-earn-batch-skips-locked-rows', class: Migration0015EarnBatchSkipsLockedRows },
  { name: '0016-demo-seed-progress', class: Migration0016DemoSeedProgress },
  { name: '0017-tiers', class: Migration0017Tiers },
  { name: '0018-tier-memberships', class: Migration0018TierMemberships },
  { name: '0019-tier-changes-notify', class: Migration0019TierChangesNotify },
  { name: '0020-audit-log', class: Migration0020AuditLog },
  {
    name: '0021-redemption-cancel-and-partial-confirm',
    class: Migration0021RedemptionCancelAndPartialConfirm,
  },
  { name: '0022-member-erasure', class: Migration0022MemberErasure },
  { name: '0023-scheduled-jobs', class: Migration0023ScheduledJobs },
  {
    name: '0024-configuration-change-feed',
    class: Migration0024ConfigurationChangeFeed,
  },
  { name: '0025-tiered-earns-cheaper', class: Migration0025TieredEarnsCheaper },
  {
    name: '0026-tiered-earns-on-the-transfer',
    class: Migration0026TieredEarnsOnTheTransfer,
  },
  { name: '0027-tier-window-on-the-account', class: Migration0027TierWindowOnTheAccount },
  {
    name: '0028-earn-path-without-redundant-foreign-keys',
    class: Migration0028EarnPathWithoutRedundantForeignKeys,
  },
  { name: '0029-earning-rules', class: Migration0029EarningRules },
  { name: '0030-charities', class: Migration0030Charities },
  { name: '0031-member-receipts', class: Migration0031MemberReceipts },
  { name: '0032-no-leg-after-a-refund', class: Migration0032NoLegAfterARefund },
  { name: '0033-rule-vouchers-and-birthdays', class: Migration0033RuleVouchersAndBirthdays },
  { name: '0034-referrals', class: Migration0034Referrals },
  {
    name: '0035-rule-refunds-by-share-and-threshold',
    class: Migration0035RuleRefundsByShareAndThreshold,
  },
  { name: '0036-operator-member-events', class: Migration0036OperatorMemberEvents },
  { name: '0037-member-day-distance-inlined', class: Migration0037MemberDayDistanceInlined },
  { name: '0040-settlement-lines-on-read', class: Migration0040SettlementLinesOnRead },
  { name: '0050-webhook-outbox', class: Migration0050WebhookOutbox },
  { name: '0060-member-surveys', class: Migration0060MemberSurveys },
  { name: '0070-segments-and-offers', class: Migration0070SegmentsAndOffers },
  {
    name: '0071-earn-batch-segment-and-offer-conditions',
    class: Migration0071EarnBatchSegmentAndOfferConditions,
  },
  {
    name: '0072-earn-events-in-the-batch',
    class: Migration0072EarnEventsInTheBatch,
  },
  {
    name: '0080-member-erasure-change-feed',
    class: Migration0080MemberErasureChangeFeed,
  },
  { name: '0081-earn-claim-on-the-transfer', class: Migration0081EarnClaimOnTheTransfer },
  { name: '0082-earn-batch-plans-by-index', class: Migration0082EarnBatchPlansByIndex },
  { name: '0086-settlement-close-in-workers', class: Migration0086SettlementCloseInWorkers },
  {
    name: '0095-exchange-rate-change-feed',
    class: Migration0095ExchangeRateChangeFeed,
  },
  { name: '0096-earn-rules-as-arrays', class: Migration0096EarnRulesAsArrays },
  {
    name: '0097-settlement-reversals-from-points-left',
    class: Migration0097SettlementReversalsFromPointsLeft,
  },
  {
    name: '0098-transfer-carries-its-first-posting',
    class: Migration0098TransferCarriesItsFirstPosting,
  },
];
