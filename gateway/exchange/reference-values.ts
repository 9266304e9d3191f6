import type { Sql } from '../db/sql';

/**
 * What one point of each currency is worth in the reference unit (EUR), in millionths, as set
 * by the operator. A balance's value is floor(points x micros / 10^4) cents: rounded down, so a
 * wallet never shows more than the points are worth.
 */

export interface ReferenceValue {
  currency: string;
  valueMicros: bigint;
  setBy: string;
  updatedAt: Date;
}

const microsPerMinorUnit = 10_000n; // 10^6 micros per euro, 100 cents per euro

export function valueMinorOf(points: bigint, valueMicros: bigint): bigint {
  return (points * valueMicros) / microsPerMinorUnit;
}

export async function referenceValues(sql: Sql): Promise<Map<string, ReferenceValue>> {
  const rows = await sql.query<ValueRow>(
    'select currency_code, value_micros, set_by, updated_at from currency_reference_value',
  );
  return new Map(rows.rows.map((row) => [row.currency_code, valueFromRow(row)]));
}

/** A currency's reference value, locked until the transaction ends; null when none is set. */
export async function lockedReferenceValue(
  sql: Sql,
  currency: string,
): Promise<ReferenceValue | null> {
  const rows = await sql.query<ValueRow>(
    `select currency_code, value_micros, set_by, updated_at from currency_reference_value
     where currency_code = $1 for update`,
    [currency],
  );
  return rows.rows[0] ? valueFromRow(rows.rows[0]) : null;
}

export async function upsertReferenceValue(
  sql: Sql,
  value: ReferenceValue,
): Promise<ReferenceValue> {
  const rows = await sql.query<ValueRow>(
    `insert into currency_reference_value (currency_code, value_micros, set_by, updated_at)
     values ($1, $2, $3, $4)
     on conflict (currency_code) do update
       set value_micros = excluded.value_micros, set_by = excluded.set_by,
           updated_at = excluded.updated_at
     returning currency_code, value_micros, set_by, updated_at`,
    [value.currency, value.valueMicros, value.setBy, value.updatedAt],
  );
  return valueFromRow(rows.rows[0]!);
}

interface ValueRow {
  currency_code: string;
  value_micros: bigint;
  set_by: string;
  updated_at: Date;
}

function valueFromRow(row: ValueRow): ReferenceValue {
  return {
    currency: row.currency_code,
    valueMicros: row.value_micros,
    setBy: row.set_by,
    updatedAt: row.updated_at,
  };
}
