import {
  closePeriodErrors,
  openPeriodErrors,
  resolveExceptionErrors,
  setAgreementErrors,
  submitReconciliationErrors,
} from '../gateway/settlement/settlement-service';
import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money, MoneyInput, PageInfo } from './common';
import { resultUnion } from './errors';
import { Int64 } from './scalars';

/**
 * Settlement between partners: agreements, periods, netting, statements, reconciliation. Money
 * is a Money object (minor units and a decimal string); signed amounts are from the party's
 * side named in the field's description. Prices are decimal strings, never floats.
 */

export enum SettlementPeriodStatus {
  open = 'open',
  closed = 'closed',
}
registerEnumType(SettlementPeriodStatus, {
  name: 'SettlementPeriodStatus',
  description: 'Open until closed; a closed period never changes.',
});

export enum ReversalRounding {
  points_left = 'points_left',
  added_before_0097 = 'added_before_0097',
}
registerEnumType(ReversalRounding, {
  name: 'ReversalRounding',
  description:
    'How a closed period priced refunds and cancels: each moves round(points after x price) - round(points before x price) of the transfer it reverses, the points before it being...',
  valuesConfig: {
    points_left: {
      description:
        '...the points left of that transfer: its points less what earlier reversals took back (every period closed since December 2026), so a full refund in parts reverses exactly what was billed.',
    },
    added_before_0097: {
      description:
        '...its points plus what earlier reversals took back, a defect of the periods closed before December 2026, kept so that their statements stay as billed (it differs only for a second or later partial reversal of one transfer).',
    },
  },
});

export enum ObligationKind {
  issuance = 'issuance',
  reimbursement = 'reimbursement',
  exchange = 'exchange',
  issuance_fee = 'issuance_fee',
  reimbursement_fee = 'reimbursement_fee',
  exchange_fee = 'exchange_fee',
  transfer_fee = 'transfer_fee',
  issuance_funding = 'issuance_funding',
  adjustment = 'adjustment',
}
registerEnumType(ObligationKind, {
  name: 'ObligationKind',
  description: 'Why one party owes another.',
  valuesConfig: {
    issuance: { description: 'A partner awarded points of a program it does not own.' },
    reimbursement: { description: 'Points of a program were redeemed at another partner.' },
    exchange: { description: 'Points were created by exchange from another program’s currency.' },
    issuance_fee: { description: 'The operator’s percentage of an issuance.' },
    reimbursement_fee: { description: 'The operator’s percentage of a reimbursement.' },
    exchange_fee: { description: 'The operator’s percentage of an exchange.' },
    transfer_fee: { description: 'The operator’s fixed fee per transfer.' },
    issuance_funding: {
      description:
        'The operator pays the earning partner for the earning-campaign points it funds (a coalition campaign’s split), at the issuance price.',
    },
    adjustment: {
      description: 'A finance user’s correction resolving a reconciliation exception.',
    },
  },
});

export enum ReconciliationItemStatus {
  matched = 'matched',
  missing_on_our_side = 'missing_on_our_side',
  missing_on_their_side = 'missing_on_their_side',
  amount_differs = 'amount_differs',
}
registerEnumType(ReconciliationItemStatus, {
  name: 'ReconciliationItemStatus',
  description: 'How a reference of the partner’s records compares with its statement.',
});

export enum SettlementTable {
  positions = 'positions',
  payments = 'payments',
  gross = 'gross',
  bilateral = 'bilateral',
}
registerEnumType(SettlementTable, {
  name: 'SettlementTable',
  description: 'A netting table of a closed period, for CSV export.',
});

@ObjectType({
  description:
    'Terms between a partner and the program owning a currency, in force from effectiveFrom until the next agreement of the same partner and currency. Prices are decimals of the settlement currency per point.',
})
export class SettlementAgreement {
  @Field(() => ID)
  id!: string;
  @Field()
  partnerId!: string;
  @Field({ description: 'The program currency.' })
  currency!: string;
  @Field({ description: 'The money the parties settle in (ISO 4217).' })
  settlementCurrency!: string;
  @Field()
  effectiveFrom!: Date;
  @Field({ description: 'Paid by the partner to the owning program per point it awards.' })
  issuancePrice!: string;
  @Field({ description: 'Paid by the owning program to the partner per point redeemed there.' })
  reimbursementPrice!: string;
  @Field({
    description:
      'Paid by the partner, as owner of a source currency, per point of this currency created by exchange.',
  })
  exchangePrice!: string;
  @Field({ description: 'Percentage of the issuance price billed.' })
  billingPercent!: string;
  @Field(() => String, { nullable: true, description: 'The operator’s percentage fee.' })
  operatorFeePercent!: string | null;
  @Field(() => Money, { nullable: true, description: 'The operator’s fixed fee per transfer.' })
  operatorFeePerTransfer!: Money | null;
  @Field()
  createdAt!: Date;
}

@InputType({ description: 'New terms for a partner and currency (they never replace old ones).' })
export class SetSettlementAgreementInput {
  @Field()
  partnerId!: string;
  @Field({ description: 'The program currency, owned by another partner.' })
  currency!: string;
  @Field({ description: 'ISO 4217, e.g. "EUR".' })
  settlementCurrency!: string;
  @Field({ description: 'Not before the end of the last closed period.' })
  effectiveFrom!: Date;
  @Field({ description: 'A decimal string, e.g. "0.012" (at most 12 decimals).' })
  issuancePrice!: string;
  @Field()
  reimbursementPrice!: string;
  @Field()
  exchangePrice!: string;
  @Field(() => String, { nullable: true, description: 'Default "100".' })
  billingPercent?: string;
  @Field(() => String, { nullable: true })
  operatorFeePercent?: string;
  @Field(() => MoneyInput, { nullable: true, description: 'In the settlement currency.' })
  operatorFeePerTransfer?: MoneyInput;
}

@ObjectType({ description: 'A settlement period: [startsAt, endsAt), open until closed.' })
export class SettlementPeriod {
  @Field(() => ID)
  id!: string;
  @Field()
  startsAt!: Date;
  @Field()
  endsAt!: Date;
  @Field(() => SettlementPeriodStatus)
  status!: SettlementPeriodStatus;
  @Field(() => Date, { nullable: true })
  closedAt!: Date | null;
  @Field(() => Int64, { nullable: true, description: 'Transfers the period took.' })
  transferCount!: bigint | null;
  @Field(() => Int64, { nullable: true, description: 'Obligations those transfers yielded.' })
  obligationCount!: bigint | null;
  @Field(() => ReversalRounding, {
    nullable: true,
    description: 'The rule its refunds and cancels were priced by (known once closed).',
  })
  reversalRounding!: ReversalRounding | null;
}

@InputType({ description: 'Opens the period after the last one.' })
export class OpenSettlementPeriodInput {
  @Field(() => Date, { nullable: true, description: 'Only for the first period.' })
  startsAt?: Date;
  @Field()
  endsAt!: Date;
}

@ObjectType({ description: 'What debtorId owes creditorId in a period, all obligations summed.' })
export class GrossFlow {
  @Field()
  debtorId!: string;
  @Field()
  creditorId!: string;
  @Field(() => Money)
  amount!: Money;
  @Field(() => Int64)
  obligationCount!: bigint;
}

@ObjectType({ description: 'Two parties’ flows netted: payerId owes payeeId.' })
export class BilateralNet {
  @Field()
  payerId!: string;
  @Field()
  payeeId!: string;
  @Field(() => Money)
  amount!: Money;
}

@ObjectType({
  description:
    'A party’s multilateral net position: receivable minus payable. Positions sum to zero per settlement currency.',
})
export class NetPosition {
  @Field({ description: 'A partner id, or "operator".' })
  partyId!: string;
  @Field(() => Money)
  receivable!: Money;
  @Field(() => Money)
  payable!: Money;
  @Field(() => Money, { description: 'Positive: the party receives.' })
  position!: Money;
}

@ObjectType({ description: 'A payment that settles net positions.' })
export class PaymentInstruction {
  @Field()
  payerId!: string;
  @Field()
  payeeId!: string;
  @Field(() => Money)
  amount!: Money;
}

@ObjectType({
  description:
    'A closed period netted: the gross matrix, bilateral nets, positions and at most N-1 payments per settlement currency.',
})
export class PeriodSettlement {
  @Field(() => SettlementPeriod)
  period!: SettlementPeriod;
  @Field(() => [GrossFlow])
  gross!: GrossFlow[];
  @Field(() => [BilateralNet])
  bilateral!: BilateralNet[];
  @Field(() => [NetPosition])
  positions!: NetPosition[];
  @Field(() => [PaymentInstruction])
  payments!: PaymentInstruction[];
}

@ObjectType({
  description:
    'A partner’s totals with one counterparty; its statement lines with that counterparty sum to `net`.',
})
export class CounterpartyTotal {
  @Field()
  counterpartyId!: string;
  @Field(() => Money)
  receivable!: Money;
  @Field(() => Money)
  payable!: Money;
  @Field(() => Money, { description: 'Positive: the partner receives.' })
  net!: Money;
  @Field(() => Int64)
  lineCount!: bigint;
}

@ObjectType({ description: 'One obligation on a partner’s statement.' })
export class StatementLine {
  @Field(() => ID, { description: 'The transfer it came from.' })
  transferId!: string;
  @Field(() => ID, { description: 'The transfer it reverses; its own id otherwise.' })
  originTransferId!: string;
  @Field({ description: 'The transfer’s code: earn, redeem, refund, convert, adjust...' })
  transferCode!: string;
  @Field({ description: 'The partner’s transaction id (or refund id); the transfer id if none.' })
  reference!: string;
  @Field()
  createdAt!: Date;
  @Field(() => ObligationKind)
  kind!: ObligationKind;
  @Field()
  counterpartyId!: string;
  @Field({ description: 'The program currency; empty for adjustments.' })
  currency!: string;
  @Field(() => Int64, { description: 'Negative for reversals.' })
  points!: bigint;
  @Field(() => String, { nullable: true, description: 'Price per point, as billed.' })
  unitPrice!: string | null;
  @Field(() => Money, { description: 'Positive: the partner receives.' })
  amount!: Money;
}

@ObjectType({ description: 'A page of statement lines.' })
export class StatementLineConnection {
  @Field(() => [StatementLine])
  nodes!: StatementLine[];
  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({
  description:
    'A partner’s statement for a closed period: totals per counterparty, its position and payments; lines are paged.',
})
export class Statement {
  @Field(() => SettlementPeriod)
  period!: SettlementPeriod;
  @Field()
  partnerId!: string;
  @Field(() => [CounterpartyTotal])
  totals!: CounterpartyTotal[];
  @Field(() => [NetPosition])
  positions!: NetPosition[];
  @Field(() => [PaymentInstruction], { description: 'Payments the partner makes or receives.' })
  payments!: PaymentInstruction[];
}

@ObjectType({
  description: 'A page of CSV text; the pages concatenated in order are the whole file.',
})
export class CsvPage {
  @Field()
  text!: string;
  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: 'One line of a partner’s own records.' })
export class ReconciliationRecordInput {
  @Field({ description: 'The partner’s transaction id (the statement’s reference).' })
  reference!: string;
  @Field(() => MoneyInput, {
    description: 'Signed, from the partner’s side: positive means it receives, e.g. "-0.60".',
  })
  amount!: MoneyInput;
  @Field(() => String, { nullable: true })
  counterpartyId?: string;
}

@InputType({
  description:
    'A partner’s records of a closed period: `records`, or `csv` text (columns reference or transaction_id, amount, currency or settlement_currency, optional counterparty_id; the statement CSV itself is accepted).',
})
export class SubmitReconciliationInput {
  @Field(() => ID)
  periodId!: string;
  @Field(() => ID, {
    nullable: true,
    description: 'The operator’s finance users name the partner.',
  })
  partnerId?: string;
  @Field(() => [ReconciliationRecordInput], { nullable: true })
  records?: ReconciliationRecordInput[];
  @Field(() => String, { nullable: true, description: 'At most 48 KiB of CSV.' })
  csv?: string;
  @Field(() => String, { nullable: true })
  idempotencyKey?: string;
}

@ObjectType({ description: 'Counts and sums of a reconciliation’s items of one status.' })
export class ReconciliationTotal {
  @Field(() => ReconciliationItemStatus)
  status!: ReconciliationItemStatus;
  @Field(() => Int64)
  count!: bigint;
  @Field(() => Money, { description: 'Our side (a missing side counts as zero).' })
  ours!: Money;
  @Field(() => Money, { description: 'The partner’s side.' })
  theirs!: Money;
}

@ObjectType({ description: 'One reference compared; all but matched are exceptions.' })
export class ReconciliationItem {
  @Field(() => ID, { description: 'The exception id (exc_...).' })
  id!: string;
  @Field()
  reference!: string;
  @Field(() => ReconciliationItemStatus)
  status!: ReconciliationItemStatus;
  @Field(() => Money, { nullable: true, description: 'From the partner’s side.' })
  ours!: Money | null;
  @Field(() => Money, { nullable: true, description: 'From the partner’s side.' })
  theirs!: Money | null;
  @Field(() => Int)
  ourLineCount!: number;
  @Field(() => Int)
  theirLineCount!: number;
  @Field(() => String, { nullable: true })
  counterpartyId!: string | null;
  @Field(() => ID, { nullable: true, description: 'Our transfer, when one carries the reference.' })
  transferId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The adjust transfer that resolved it.' })
  adjustmentTransferId!: string | null;
}

@ObjectType({ description: 'A page of reconciliation items.' })
export class ReconciliationItemConnection {
  @Field(() => [ReconciliationItem])
  nodes!: ReconciliationItem[];
  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'A partner’s records matched against its statement of a period.' })
export class Reconciliation {
  @Field(() => ID)
  id!: string;
  @Field(() => ID)
  periodId!: string;
  @Field()
  partnerId!: string;
  @Field({ description: '"api" or "csv".' })
  source!: string;
  @Field(() => Int)
  recordCount!: number;
  @Field()
  createdAt!: Date;
  @Field(() => [ReconciliationTotal])
  totals!: ReconciliationTotal[];
}

@InputType({ description: 'Resolves an exception with an adjustment posted as a new transfer.' })
export class ResolveReconciliationExceptionInput {
  @Field(() => ID)
  exceptionId!: string;
  @Field(() => MoneyInput, {
    nullable: true,
    description:
      'Signed, from the reconciling partner’s side (positive: the counterparty owes it more). Default: theirs minus ours.',
  })
  amount?: MoneyInput;
  @Field(() => String, { nullable: true, description: 'Default: the item’s only counterparty.' })
  counterpartyId?: string;
  @Field(() => String, { nullable: true })
  note?: string;
}

@ObjectType({ description: 'An adjustment: an `adjust` transfer settled in the next period.' })
export class SettlementAdjustment {
  @Field(() => ID)
  transferId!: string;
  @Field(() => ID)
  exceptionId!: string;
  @Field()
  partnerId!: string;
  @Field()
  counterpartyId!: string;
  @Field()
  debtorId!: string;
  @Field()
  creditorId!: string;
  @Field(() => Money, { description: 'Signed, from the partner’s side.' })
  amount!: Money;
  @Field()
  createdAt!: Date;
}

export const SetSettlementAgreementResult = resultUnion({
  name: 'SetSettlementAgreementResult',
  description: 'The agreement, or why it was refused.',
  success: SettlementAgreement,
  errors: setAgreementErrors,
});

export const OpenSettlementPeriodResult = resultUnion({
  name: 'OpenSettlementPeriodResult',
  description: 'The new period, or why it was refused.',
  success: SettlementPeriod,
  errors: openPeriodErrors,
});

export const CloseSettlementPeriodResult = resultUnion({
  name: 'CloseSettlementPeriodResult',
  description: 'The closed period, or why it stays open.',
  success: SettlementPeriod,
  errors: closePeriodErrors,
});

export const SubmitReconciliationResult = resultUnion({
  name: 'SubmitReconciliationResult',
  description: 'The matched reconciliation, or why nothing was stored.',
  success: Reconciliation,
  errors: submitReconciliationErrors,
});

export const ResolveReconciliationExceptionResult = resultUnion({
  name: 'ResolveReconciliationExceptionResult',
  description: 'The adjustment, or why nothing was posted.',
  success: SettlementAdjustment,
  errors: resolveExceptionErrors,
});
