import { Migration } from '@mikro-orm/migrations';

/**
 * Refunds give earning rules back what they take (issue 14). Before, only the refund completing
 * a purchase gave its rules' budgets and uses back. Now each refund gives each budget the share
 * of its grant it takes: floor(points x refunded / total), cumulatively; a grant taken back whole
 * (the purchase refunded in full, or a threshold rule's purchase left below its total: 'th' on
 * the grant) gives all of its points and its use back, and the member's limited use with it. The
 * amounts follow from the refund's before and after totals alone, so a sequence of refunds gives
 * back exactly what was granted, never twice.
 */
export class Migration0035RuleRefundsByShareAndThreshold extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
drop function rule_take_back(text, bigint, bigint, timestamptz);

-- Whether a grant is taken back whole once 'refunded' of the purchase's 'total' is refunded.
create function rule_grant_whole(threshold bigint, refunded bigint, total bigint) returns boolean
language sql immutable parallel safe as $$
  select total is null or refunded >= total or (threshold is not null and total - refunded < threshold)
$$;

create function rule_take_back(earn_id text, refunded_before bigint, refunded_after bigint, total bigint, at timestamptz)
returns void language plpgsql as $$
declare
  restored text[];
begin
  with g as (
    select x ->> 'r' as rule_id, (x ->> 'p')::bigint as p, (x ->> 'th')::bigint as th
    from transfer t cross join lateral jsonb_array_elements(t.rule_grants) x
    where t.id = earn_id
  ), taken as (
    select rule_id, p,
           -- A purchase recorded without an amount is refunded once, in full.
           total is not null and rule_grant_whole(th, refunded_before, total) as whole_before,
           rule_grant_whole(th, refunded_after, total) as whole_after,
           case when total is null then 0
                when rule_grant_whole(th, refunded_before, total) then p
                else p * refunded_before / total end as before_points,
           case when rule_grant_whole(th, refunded_after, total) then p
                else p * refunded_after / total end as after_points
    from g
  ), back as (
    select rule_id, sum(after_points - before_points) as points,
           count(*) filter (where whole_after and not whole_before) as uses
    from taken group by rule_id
  ), slots as (
    update earn_rule_budget_slot s
    set remaining_points = s.remaining_points + b.points, remaining_uses = s.remaining_uses + b.uses
    from back b
    where s.rule_id = b.rule_id and s.slot = abs(hashtext(earn_id)) % 8 and (b.points > 0 or b.uses > 0)
    returning 1
  )
  select array_agg(rule_id) into restored from back where uses > 0;
  if restored is not null then
    update earn_rule_use set restored_at = at
    where transfer_id = earn_id and restored_at is null and rule_id = any(restored);
  end if;
end
$$;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
