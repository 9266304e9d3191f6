import { Migration } from '@mikro-orm/migrations';

/**
 * Functions the settlement close calls where it used correlated subqueries (issue 16, part 2;
 * gateway/settlement/close-sql.ts). PostgreSQL evaluates a correlated subquery in the leader
 * only: under a parallel plan, every row that needs one comes back through the Gather first.
 * A call to a function marked parallel safe runs in whichever worker joins the row, so the
 * close's derivation stays in the workers. Each function is what the subquery it replaces
 * computed (line-sql.ts keeps the subqueries, for statements, which derive a page at a time).
 */
export class Migration0086SettlementCloseInWorkers extends Migration {
  override async up(): Promise<void> {
    this.addSql(functions);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}

const functions = `
-- The earning rules' points the operator funds: the grants' 'o', null when none (as the
-- 'funded' subquery of line-sql.ts computes it).
create function settlement_operator_funded(rule_grants jsonb)
returns numeric language sql immutable parallel safe as $$
  select nullif(sum((g ->> 'o')::bigint), 0) from jsonb_array_elements(rule_grants) g
$$;

-- The purchase's first redemption (same partner, transaction id and member): what a refund's
-- returned spent points reverse when the refund relates to the purchase's earn.
create function settlement_first_redemption(partner_id text, external_id text, member_id text)
returns text language sql stable parallel safe as $$
  select min(s.id) from transfer s
  where s.partner_id = $1 and s.external_id = $2 and s.member_id = $3 and s.code = 'redeem'
$$;

-- The points (positive) that reversals of the same origin coming before this one, of this kind
-- and currency, took back; null when none (the order of settlement_reversal_precedes).
create function settlement_reversed_before(
  related_id text, transfer_id text, kind text, currency_code text,
  period_starts_at timestamptz, created_at timestamptz)
returns numeric language sql stable parallel safe as $$
  select sum(-x.points)
  from settlement_reversal_parts x
  where x.related_id = $1 and x.transfer_id <> $2 and x.kind = $3 and x.currency_code = $4
    and settlement_reversal_precedes(x.transfer_id, x.created_at, x.writer_xid, $5, $6, $2)
$$;
`;
