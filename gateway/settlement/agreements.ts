import type { Sql } from '../db/sql';
import { InvalidInput, NotFound } from '../shared/errors';
import { isKnownMoneyCurrency, minorUnitDigits } from '../shared/money';
import { requireDecimal } from './decimal';
import {
  percentDecimalsMax,
  transferFeeMinorMax,
  unitPriceDecimalsMax,
  unitPriceMax,
} from './limits';
import type { Agreement } from './model';
import { lockSettlement } from './periods';

export interface AgreementInput {
  partnerId: string;
  currency: string;
  settlementCurrency: string;
  effectiveFrom: Date;
  issuancePrice: string;
  reimbursementPrice: string;
  exchangePrice: string;
  /** Defaults to "100". */
  billingPercent?: string;
  operatorFeePercent?: string | null;
  operatorFeePerTransferMinor?: bigint | null;
}

/**
 * Adds an agreement, in the caller's transaction. Agreements are never edited: new terms are a
 * new row from a later `effectiveFrom`, which may not reach back into a closed period (its
 * obligations are final). Errors: InvalidInput, NotFound (partner, currency).
 */
export async function addAgreement(
  sql: Sql,
  input: AgreementInput,
  createdBy: string,
): Promise<Agreement> {
  const valid = validAgreement(input);
  await lockSettlement(sql);
  const currency = await sql.query<{ owner_partner_id: string }>(
    'select owner_partner_id from currency where code = $1',
    [valid.currency],
  );
  if (currency.rowCount === 0) throw new NotFound('currency', valid.currency);
  const partner = await sql.query('select 1 from partner where id = $1', [valid.partnerId]);
  if (partner.rowCount === 0) throw new NotFound('partner', valid.partnerId);
  if (currency.rows[0]!.owner_partner_id === valid.partnerId) {
    throw new InvalidInput(
      'partnerId',
      `${valid.partnerId} owns ${valid.currency}: nothing to settle`,
    );
  }
  const closed = await sql.query<{ ends_at: Date | null }>(
    "select max(ends_at) as ends_at from settlement_period where status = 'closed'",
  );
  const closedUntil = closed.rows[0]!.ends_at;
  if (closedUntil && valid.effectiveFrom < closedUntil) {
    throw new InvalidInput(
      'effectiveFrom',
      `periods are closed until ${closedUntil.toISOString()}; terms cannot change before that`,
    );
  }
  const rows = await sql.query<AgreementRow>(
    `insert into settlement_agreement (partner_id, currency_code, settlement_currency,
       settlement_minor_digits, effective_from, issuance_price, reimbursement_price,
       exchange_price, billing_percent, operator_fee_percent, operator_fee_per_transfer_minor,
       created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     on conflict (partner_id, currency_code, effective_from) do nothing
     returning ${agreementColumns}`,
    [
      valid.partnerId,
      valid.currency,
      valid.settlementCurrency,
      minorUnitDigits(valid.settlementCurrency),
      valid.effectiveFrom,
      valid.issuancePrice,
      valid.reimbursementPrice,
      valid.exchangePrice,
      valid.billingPercent,
      valid.operatorFeePercent,
      valid.operatorFeePerTransferMinor,
      createdBy,
    ],
  );
  if (rows.rowCount === 0) {
    throw new InvalidInput(
      'effectiveFrom',
      'an agreement of this partner and currency already starts at this time',
    );
  }
  return agreementFromRow(rows.rows[0]!);
}

function validAgreement(input: AgreementInput): Required<AgreementInput> {
  if (!isKnownMoneyCurrency(input.settlementCurrency)) {
    throw new InvalidInput('settlementCurrency', 'must be a supported ISO 4217 currency');
  }
  if (Number.isNaN(input.effectiveFrom.getTime())) {
    throw new InvalidInput('effectiveFrom', 'must be a date');
  }
  const price = (field: string, text: string) =>
    requireDecimal(field, text, { decimalsMax: unitPriceDecimalsMax, max: unitPriceMax });
  const percent = (field: string, text: string, positive: boolean) =>
    requireDecimal(field, text, { decimalsMax: percentDecimalsMax, max: 100n, positive });
  const fee = input.operatorFeePerTransferMinor ?? null;
  if (fee !== null && (fee < 0n || fee > transferFeeMinorMax)) {
    throw new InvalidInput('operatorFeePerTransfer', `must be from 0 to ${transferFeeMinorMax}`);
  }
  return {
    partnerId: input.partnerId,
    currency: input.currency,
    settlementCurrency: input.settlementCurrency,
    effectiveFrom: input.effectiveFrom,
    issuancePrice: price('issuancePrice', input.issuancePrice),
    reimbursementPrice: price('reimbursementPrice', input.reimbursementPrice),
    exchangePrice: price('exchangePrice', input.exchangePrice),
    billingPercent: percent('billingPercent', input.billingPercent ?? '100', true),
    operatorFeePercent:
      input.operatorFeePercent == null
        ? null
        : percent('operatorFeePercent', input.operatorFeePercent, false),
    operatorFeePerTransferMinor: fee,
  };
}

/** Agreements, newest terms first; of one partner when `partnerId` is given. */
export async function listAgreements(sql: Sql, partnerId: string | null): Promise<Agreement[]> {
  const rows = await sql.query<AgreementRow>(
    `select ${agreementColumns} from settlement_agreement
     where $1::text is null or partner_id = $1
     order by partner_id, currency_code, effective_from desc`,
    [partnerId],
  );
  return rows.rows.map(agreementFromRow);
}

const agreementColumns = `id, partner_id, currency_code, settlement_currency, effective_from,
  trim_scale(issuance_price)::text as issuance_price,
  trim_scale(reimbursement_price)::text as reimbursement_price,
  trim_scale(exchange_price)::text as exchange_price,
  trim_scale(billing_percent)::text as billing_percent,
  trim_scale(operator_fee_percent)::text as operator_fee_percent,
  operator_fee_per_transfer_minor, created_by, created_at`;

interface AgreementRow {
  id: bigint;
  partner_id: string;
  currency_code: string;
  settlement_currency: string;
  effective_from: Date;
  issuance_price: string;
  reimbursement_price: string;
  exchange_price: string;
  billing_percent: string;
  operator_fee_percent: string | null;
  operator_fee_per_transfer_minor: bigint | null;
  created_by: string;
  created_at: Date;
}

function agreementFromRow(row: AgreementRow): Agreement {
  return {
    id: row.id,
    partnerId: row.partner_id,
    currency: row.currency_code,
    settlementCurrency: row.settlement_currency,
    effectiveFrom: row.effective_from,
    issuancePrice: row.issuance_price,
    reimbursementPrice: row.reimbursement_price,
    exchangePrice: row.exchange_price,
    billingPercent: row.billing_percent,
    operatorFeePercent: row.operator_fee_percent,
    operatorFeePerTransferMinor: row.operator_fee_per_transfer_minor,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}
