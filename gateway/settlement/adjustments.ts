import type { Sql } from '../db/sql';
import { requestHash } from '../ledger/idempotency';
import { idempotentWrite, receiptCodec } from '../ledger/idempotent-write';
import { writeTransfers } from '../ledger/transfers';
import { InvalidInput, NotFound } from '../shared/errors';
import { idPatterns, newId } from '../shared/ids';
import { formatMoneyAmount } from '../shared/money';
import { adjustmentMinorMax, adjustmentNoteLengthMax } from './limits';
import { operatorPartyId } from './model';
import { findItem, type ReconciliationItem } from './reconciliation';

export interface ResolveInput {
  itemId: bigint;
  /**
   * Signed, from the reconciling partner's side: positive means the counterparty owes the
   * partner more. Defaults to theirs - ours, i.e. accepting the partner's figure.
   */
  amountMinor: bigint | null;
  /** The currency `amountMinor` is in, when given: must be the item's settlement currency. */
  amountCurrency: string | null;
  /** Defaults to the item's only counterparty; required when it has none or several. */
  counterpartyId: string | null;
  note: string;
  resolvedBy: string;
  createdAt: Date;
}

export interface AdjustmentReceipt {
  transferId: string;
  exceptionId: bigint;
  partnerId: string;
  counterpartyId: string;
  debtorId: string;
  creditorId: string;
  settlementCurrency: string;
  /** Signed from the partner's side, like the input. */
  amountMinor: bigint;
  createdAt: Date;
}

/**
 * Resolves a reconciliation exception with an adjustment: an `adjust` transfer (it moves no
 * points) referencing the exception, whose money obligation lands in whichever open period
 * takes the transfer, i.e. the next one to close. Closed periods are never touched.
 *
 * Idempotent on the exception, in one transaction: the same request again returns the same
 * receipt; a different one for a resolved exception is IdempotencyKeyReused (and the database
 * allows one adjustment per exception). Errors: NotFound (exception, counterparty),
 * InvalidInput (a matched item, a zero amount, no counterparty), IdempotencyKeyReused.
 */
export async function resolveException(sql: Sql, input: ResolveInput): Promise<AdjustmentReceipt> {
  const item = await findItem(sql, input.itemId);
  const { amountMinor, counterpartyId, note } = await adjustmentTerms(sql, item, input);
  const receipt: AdjustmentReceipt = {
    transferId: newId('trf'),
    exceptionId: item.id,
    partnerId: item.partnerId,
    counterpartyId,
    debtorId: amountMinor > 0n ? counterpartyId : item.partnerId,
    creditorId: amountMinor > 0n ? item.partnerId : counterpartyId,
    settlementCurrency: item.settlementCurrency,
    amountMinor,
    createdAt: input.createdAt,
  };
  const claim = {
    scope: 'settlement',
    operation: 'adjust',
    key: `exception:${item.id}`,
    requestHash: requestHash({ amountMinor, counterpartyId, note }),
  };
  return idempotentWrite(sql, { claim, codec: adjustmentReceiptCodec, receipt }, async () => {
    await writeTransfers(sql, [
      {
        id: receipt.transferId,
        code: 'adjust',
        partnerId: item.partnerId,
        memberId: null,
        externalId: item.reference,
        relatedId: item.transferId,
        purchase: null,
        description: `Settlement adjustment for ${item.status.replaceAll('_', ' ')} on ${item.reference} (reconciliation ${item.reconciliationId})${note ? `: ${note}` : ''}`,
        createdAt: input.createdAt,
        postings: [],
      },
    ]);
    await sql.query(
      `insert into settlement_adjustment (transfer_id, reconciliation_item_id, debtor_id, creditor_id,
                                          settlement_currency, amount_minor, note, created_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        receipt.transferId,
        item.id,
        receipt.debtorId,
        receipt.creditorId,
        receipt.settlementCurrency,
        amountMinor > 0n ? amountMinor : -amountMinor,
        note,
        input.resolvedBy,
      ],
    );
    return receipt;
  });
}

/** What the adjustment moves, and to whom, with defaults from the item. Errors: InvalidInput, NotFound. */
async function adjustmentTerms(
  sql: Sql,
  item: ReconciliationItem & { partnerId: string },
  input: ResolveInput,
): Promise<{ amountMinor: bigint; counterpartyId: string; note: string }> {
  if (item.status === 'matched') {
    throw new InvalidInput('exceptionId', 'this item matched: there is nothing to resolve');
  }
  if (input.amountCurrency !== null && input.amountCurrency !== item.settlementCurrency) {
    throw new InvalidInput('amount.currency', `the exception is in ${item.settlementCurrency}`);
  }
  const amountMinor =
    input.amountMinor ?? (item.theirAmountMinor ?? 0n) - (item.ourAmountMinor ?? 0n);
  if (amountMinor === 0n) throw new InvalidInput('amount', 'an adjustment must move money');
  if (amountMinor > adjustmentMinorMax || -amountMinor > adjustmentMinorMax) {
    throw new InvalidInput(
      'amount',
      `must be at most ${formatMoneyAmount(adjustmentMinorMax, item.settlementCurrency)}`,
    );
  }
  const counterpartyId = input.counterpartyId ?? item.counterpartyId;
  if (counterpartyId === null) {
    throw new InvalidInput('counterpartyId', 'the item has no single counterparty: name one');
  }
  await requireParty(sql, counterpartyId, item.partnerId);
  const note = input.note.trim();
  if (note.length > adjustmentNoteLengthMax) {
    throw new InvalidInput('note', `must be at most ${adjustmentNoteLengthMax} characters`);
  }
  return { amountMinor, counterpartyId, note };
}

async function requireParty(sql: Sql, counterpartyId: string, partnerId: string): Promise<void> {
  if (counterpartyId === partnerId) {
    throw new InvalidInput('counterpartyId', 'must be another party than the partner');
  }
  if (counterpartyId === operatorPartyId) return;
  if (!idPatterns.partner.test(counterpartyId)) {
    throw new InvalidInput('counterpartyId', 'must be a partner id or "operator"');
  }
  const found = await sql.query('select 1 from partner where id = $1', [counterpartyId]);
  if (found.rowCount === 0) throw new NotFound('partner', counterpartyId);
}

/** Adjustment receipts as stored with their key. */
const adjustmentReceiptCodec = receiptCodec<AdjustmentReceipt>({
  exceptionId: 'bigint',
  amountMinor: 'bigint',
  createdAt: 'date',
});
