/**
 * Settlement's vocabulary. Partners and the programs owning currencies owe each other money for
 * points: an earn at a partner makes it owe the owning program (issuance), a redemption at a
 * partner makes the program owe it (reimbursement), an exchange makes the source currency's
 * owner owe the target currency's owner. Each value-moving transfer yields its obligations;
 * a period's obligations are netted into one position per party, settled in few payments.
 *
 * Money is an integer of minor units (`amountMinor`), prices and percentages exact decimal
 * strings ("0.012"), never floats.
 */

/** The coalition operator, as a settlement party: it collects operator fees. */
export const operatorPartyId = 'operator';

export type ObligationKind =
  /** The earning partner owes the owning program for points it awarded. */
  | 'issuance'
  /** The owning program owes the partner where its points were redeemed. */
  | 'reimbursement'
  /** The source currency's owner owes the target currency's owner for points created. */
  | 'exchange'
  /** Operator fees: a percentage of each kind above, owed by the agreement's partner... */
  | 'issuance_fee'
  | 'reimbursement_fee'
  | 'exchange_fee'
  /** ...and a fixed amount per transfer. */
  | 'transfer_fee'
  /** The operator owes the earning partner for the campaign points it funds (issue 14). */
  | 'issuance_funding'
  /** A finance user's correction, resolving a reconciliation exception. */
  | 'adjustment';

/** Terms between a partner and the program owning a currency, from `effectiveFrom` on. */
export interface Agreement {
  id: bigint;
  partnerId: string;
  currency: string;
  settlementCurrency: string;
  effectiveFrom: Date;
  issuancePrice: string;
  reimbursementPrice: string;
  exchangePrice: string;
  billingPercent: string;
  operatorFeePercent: string | null;
  operatorFeePerTransferMinor: bigint | null;
  createdBy: string;
  createdAt: Date;
}

export type PeriodStatus = 'open' | 'closed';

export interface Period {
  id: string;
  startsAt: Date;
  endsAt: Date;
  status: PeriodStatus;
  closedAt: Date | null;
  /** Transfers the period took, and obligations they yielded (known once closed). */
  transferCount: bigint | null;
  obligationCount: bigint | null;
  /**
   * How its reversals were priced (known once closed): 'points_left', the rule, or
   * 'added_before_0097', a defect kept for periods closed before it was fixed (line-sql.ts).
   */
  reversalRounding: ReversalRounding | null;
}

export type ReversalRounding = 'points_left' | 'added_before_0097';

/** One directed cell of the gross matrix: what `debtorId` owes `creditorId`, all obligations summed. */
export interface GrossFlow {
  settlementCurrency: string;
  debtorId: string;
  creditorId: string;
  amountMinor: bigint;
  obligationCount: bigint;
}

/** Two parties' flows netted: `payerId` owes `payeeId` `amountMinor` (never negative). */
export interface BilateralNet {
  settlementCurrency: string;
  payerId: string;
  payeeId: string;
  amountMinor: bigint;
}

/** A party's multilateral position: what it receives minus what it pays. */
export interface NetPosition {
  settlementCurrency: string;
  partyId: string;
  receivableMinor: bigint;
  payableMinor: bigint;
  positionMinor: bigint;
}

export interface PaymentInstruction {
  settlementCurrency: string;
  payerId: string;
  payeeId: string;
  amountMinor: bigint;
}

/** A closed period's netting: every view finance asks for, per settlement currency. */
export interface PeriodSettlement {
  period: Period;
  gross: GrossFlow[];
  bilateral: BilateralNet[];
  positions: NetPosition[];
  payments: PaymentInstruction[];
}

/** A partner's totals with one counterparty; `netMinor` > 0 means the partner receives. */
export interface CounterpartyTotal {
  settlementCurrency: string;
  counterpartyId: string;
  receivableMinor: bigint;
  payableMinor: bigint;
  netMinor: bigint;
  lineCount: bigint;
}

export interface Statement {
  period: Period;
  partnerId: string;
  totals: CounterpartyTotal[];
  positions: NetPosition[];
  payments: PaymentInstruction[];
}

/** One obligation as a partner sees it: `amountMinor` > 0 means the partner receives. */
export interface StatementLine {
  transferId: string;
  originTransferId: string;
  transferCode: string;
  reference: string;
  createdAt: Date;
  kind: ObligationKind;
  counterpartyId: string;
  currency: string;
  points: bigint;
  unitPrice: string | null;
  settlementCurrency: string;
  amountMinor: bigint;
}

export interface Page<T> {
  items: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}
