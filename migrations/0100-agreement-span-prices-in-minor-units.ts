import { Migration } from '@mikro-orm/migrations';

/**
 * An agreement span carries its prices per point in minor units of the settlement currency
 * (issue 16, part 2: `settle_vs_scan`). A close prices a million transfers by
 * settlement_amount_minor(points, unit x minor_factor), and its percentage fee by
 * unit x fee_share x minor_factor, tested > 0 for every row as well: numeric products
 * recomputed per transfer from the span's few rows. Stored generated columns compute each once
 * per span, and are the same numbers (a numeric product is exact, so the order of the factors
 * does not matter). The statements (line-sql.ts) keep computing them as they were.
 */
export class Migration0100AgreementSpanPricesInMinorUnits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table settlement_agreement_span
  add column issuance_minor numeric generated always as (issuance_unit * minor_factor) stored,
  add column reimbursement_minor numeric
    generated always as (reimbursement_unit * minor_factor) stored,
  add column exchange_minor numeric generated always as (exchange_unit * minor_factor) stored,
  add column issuance_fee_minor numeric
    generated always as (issuance_unit * fee_share * minor_factor) stored,
  add column reimbursement_fee_minor numeric
    generated always as (reimbursement_unit * fee_share * minor_factor) stored,
  add column exchange_fee_minor numeric
    generated always as (exchange_unit * fee_share * minor_factor) stored;
analyze settlement_agreement_span;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
