import { GraphQLError } from 'graphql';
import { Money } from '../../schema/common';
import {
  BilateralNet,
  CounterpartyTotal,
  GrossFlow,
  NetPosition,
  type ObligationKind,
  PaymentInstruction,
  PeriodSettlement,
  Reconciliation,
  ReconciliationItem,
  type ReconciliationItemStatus,
  ReconciliationTotal,
  ReversalRounding,
  SettlementAdjustment,
  SettlementAgreement,
  SettlementPeriod,
  type SettlementPeriodStatus,
  Statement,
  StatementLine,
} from '../../schema/settlement';
import type { AdjustmentReceipt } from '../settlement/adjustments';
import type * as model from '../settlement/model';
import type * as reconciliation from '../settlement/reconciliation';
import { DomainError, Forbidden } from '../shared/errors';
import { formatMoneyAmount } from '../shared/money';
import { forbidden } from './error-results';

/** Settlement's domain values to schema objects. No logic beyond that. */

export function money(amountMinor: bigint, currency: string): Money {
  return Object.assign(new Money(), {
    amountMinor,
    amount: formatMoneyAmount(amountMinor, currency),
    currency,
  });
}

const optionalMoney = (amountMinor: bigint | null, currency: string) =>
  amountMinor === null ? null : money(amountMinor, currency);

export const periodObject = (period: model.Period): SettlementPeriod =>
  Object.assign(new SettlementPeriod(), {
    ...period,
    status: period.status as SettlementPeriodStatus,
    reversalRounding: period.reversalRounding as ReversalRounding | null,
  });

export const agreementObject = (agreement: model.Agreement): SettlementAgreement =>
  Object.assign(new SettlementAgreement(), {
    ...agreement,
    id: `agr_${agreement.id}`,
    operatorFeePerTransfer: optionalMoney(
      agreement.operatorFeePerTransferMinor,
      agreement.settlementCurrency,
    ),
  });

export const positionObject = (position: model.NetPosition): NetPosition =>
  Object.assign(new NetPosition(), {
    partyId: position.partyId,
    receivable: money(position.receivableMinor, position.settlementCurrency),
    payable: money(position.payableMinor, position.settlementCurrency),
    position: money(position.positionMinor, position.settlementCurrency),
  });

export const paymentObject = (payment: model.PaymentInstruction): PaymentInstruction =>
  Object.assign(new PaymentInstruction(), {
    payerId: payment.payerId,
    payeeId: payment.payeeId,
    amount: money(payment.amountMinor, payment.settlementCurrency),
  });

export const periodSettlementObject = (settlement: model.PeriodSettlement): PeriodSettlement =>
  Object.assign(new PeriodSettlement(), {
    period: periodObject(settlement.period),
    gross: settlement.gross.map((flow) =>
      Object.assign(new GrossFlow(), {
        debtorId: flow.debtorId,
        creditorId: flow.creditorId,
        amount: money(flow.amountMinor, flow.settlementCurrency),
        obligationCount: flow.obligationCount,
      }),
    ),
    bilateral: settlement.bilateral.map((net) =>
      Object.assign(new BilateralNet(), {
        payerId: net.payerId,
        payeeId: net.payeeId,
        amount: money(net.amountMinor, net.settlementCurrency),
      }),
    ),
    positions: settlement.positions.map(positionObject),
    payments: settlement.payments.map(paymentObject),
  });

export const statementObject = (statement: model.Statement): Statement =>
  Object.assign(new Statement(), {
    period: periodObject(statement.period),
    partnerId: statement.partnerId,
    totals: statement.totals.map((total) =>
      Object.assign(new CounterpartyTotal(), {
        counterpartyId: total.counterpartyId,
        receivable: money(total.receivableMinor, total.settlementCurrency),
        payable: money(total.payableMinor, total.settlementCurrency),
        net: money(total.netMinor, total.settlementCurrency),
        lineCount: total.lineCount,
      }),
    ),
    positions: statement.positions.map(positionObject),
    payments: statement.payments.map(paymentObject),
  });

export const statementLineObject = (line: model.StatementLine): StatementLine =>
  Object.assign(new StatementLine(), {
    ...line,
    kind: line.kind as ObligationKind,
    amount: money(line.amountMinor, line.settlementCurrency),
  });

export const reconciliationObject = (value: reconciliation.Reconciliation): Reconciliation =>
  Object.assign(new Reconciliation(), {
    ...value,
    totals: value.totals.map((total) =>
      Object.assign(new ReconciliationTotal(), {
        status: total.status as ReconciliationItemStatus,
        count: total.count,
        ours: money(total.ourAmountMinor, total.settlementCurrency),
        theirs: money(total.theirAmountMinor, total.settlementCurrency),
      }),
    ),
  });

export const exceptionGlobalId = (id: bigint): string => `exc_${id}`;

export function exceptionIdFromGlobal(id: string): bigint | undefined {
  const match = /^exc_(\d{1,18})$/.exec(id);
  return match ? BigInt(match[1]!) : undefined;
}

export const reconciliationItemObject = (item: reconciliation.ReconciliationItem) =>
  Object.assign(new ReconciliationItem(), {
    ...item,
    id: exceptionGlobalId(item.id),
    status: item.status as ReconciliationItemStatus,
    ours: optionalMoney(item.ourAmountMinor, item.settlementCurrency),
    theirs: optionalMoney(item.theirAmountMinor, item.settlementCurrency),
  });

export const adjustmentObject = (receipt: AdjustmentReceipt): SettlementAdjustment =>
  Object.assign(new SettlementAdjustment(), {
    ...receipt,
    exceptionId: exceptionGlobalId(receipt.exceptionId),
    amount: money(receipt.amountMinor, receipt.settlementCurrency),
  });

/**
 * The value of a query's service call. Queries have no error unions: an expected failure
 * becomes a client error (FORBIDDEN, or BAD_USER_INPUT carrying the domain code).
 */
export function queryValue<T>(outcome: T | DomainError): T {
  if (!(outcome instanceof DomainError)) return outcome;
  if (outcome instanceof Forbidden) throw forbidden(outcome.reason);
  throw new GraphQLError(outcome.message, {
    extensions: { code: 'BAD_USER_INPUT', reason: outcome.code },
  });
}
