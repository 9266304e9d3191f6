import type { Sql } from '../../gateway/db/sql';

/**
 * The ledger's invariants, checked from the rows themselves. Returns the violations (empty when
 * all hold), so a failing test prints every broken rule at once.
 */
export async function ledgerViolations(sql: Sql): Promise<string[]> {
  const violations: string[] = [];
  const check = async (rule: string, query: string) => {
    const rows = await sql.query(query);
    for (const row of rows.rows) violations.push(`${rule}: ${JSON.stringify(row, bigintText)}`);
  };

  // Every currency's accounts net to zero: what one account gained another lost.
  await check(
    'postings_sum_to_zero_per_currency',
    `select currency_code, sum(credits_posted - debits_posted) as posted,
            sum(credits_pending - debits_pending) as pending
     from account group by currency_code
     having sum(credits_posted - debits_posted) <> 0 or sum(credits_pending - debits_pending) <> 0`,
  );
  // Stored totals are exactly what the postings add up to.
  await check(
    'account_totals_match_postings',
    `with moves as (
       select source_account_id as id,
              case when kind in ('posted', 'post_pending') then amount_points else 0 end as debits_posted,
              0::bigint as credits_posted,
              case kind when 'pending' then amount_points when 'posted' then 0 else -amount_points end as debits_pending,
              0::bigint as credits_pending
       from posting
       union all
       select target_account_id,
              0::bigint,
              case when kind in ('posted', 'post_pending') then amount_points else 0 end,
              0::bigint,
              case kind when 'pending' then amount_points when 'posted' then 0 else -amount_points end
       from posting
     ), totals as (
       select id, sum(debits_posted) dp, sum(credits_posted) cp, sum(debits_pending) dpe, sum(credits_pending) cpe
       from moves group by id
     )
     select a.id, a.debits_posted, t.dp, a.credits_posted, t.cp, a.debits_pending, t.dpe,
            a.credits_pending, t.cpe
     from account a left join totals t on t.id = a.id
     where a.debits_posted <> coalesce(t.dp, 0) or a.credits_posted <> coalesce(t.cp, 0)
        or a.debits_pending <> coalesce(t.dpe, 0) or a.credits_pending <> coalesce(t.cpe, 0)`,
  );
  // A transfer carries its first posting (migration 0098), which a settlement close prices.
  await check(
    'transfer_carries_its_first_posting',
    `select t.id, t.first_currency_code, t.first_amount_points, t.first_posting_kind,
            p.currency_code, p.amount_points, p.kind
     from transfer t left join posting p on p.transfer_id = t.id and p.index = 0
     where (t.first_currency_code, t.first_amount_points, t.first_posting_kind)
           is distinct from (p.currency_code, p.amount_points, p.kind)`,
  );
  // The reversals' stored parts (migration 0099), which a close reads, are the view's rows.
  await check(
    'reversal_parts_stored',
    `(select 'missing' as row, * from settlement_reversal_parts
      except select 'missing', * from settlement_reversal_part)
     union all
     (select 'extra', * from settlement_reversal_part
      except select 'extra', * from settlement_reversal_parts)`,
  );
  await check(
    'member_balance_not_negative',
    `select id, credits_posted - debits_posted - debits_pending as available
     from account where kind = 'member' and credits_posted - debits_posted - debits_pending < 0`,
  );
  // Open lots are exactly the spendable points.
  await check(
    'lots_sum_to_available',
    `select a.id, a.credits_posted - a.debits_posted - a.debits_pending as available,
            coalesce(sum(l.remaining_points), 0) as lots
     from account a left join lot l on l.account_id = a.id
     where a.kind = 'member'
     group by a.id
     having a.credits_posted - a.debits_posted - a.debits_pending <> coalesce(sum(l.remaining_points), 0)`,
  );
  // A lot's remaining points are its amount plus its recorded movements.
  await check(
    'lot_remaining_matches_movements',
    `select l.id, l.amount_points, l.remaining_points, coalesce(sum(m.amount_points), 0) as moved
     from lot l left join lot_movement m on m.lot_id = l.id
     group by l.id
     having l.remaining_points <> l.amount_points + coalesce(sum(m.amount_points), 0)`,
  );
  // Pending totals are the open parts of pending transfers.
  await check(
    'pending_matches_open_pending_transfers',
    `select a.id, a.credits_pending, coalesce(e.open, 0) as open_earns, a.debits_pending,
            coalesce(h.open, 0) as open_holds
     from account a
     left join (select target_account_id id, sum(remaining_points) open from pending_transfer
                where kind = 'earn' group by 1) e on e.id = a.id
     left join (select source_account_id id, sum(remaining_points) open from pending_transfer
                where kind = 'hold' group by 1) h on h.id = a.id
     where a.kind = 'member'
       and (a.credits_pending <> coalesce(e.open, 0) or a.debits_pending <> coalesce(h.open, 0))`,
  );
  // A partner's transaction id names one purchase by one member: at most one earn and one
  // payment (redeem or hold), all of one member (migrations/0013).
  await check(
    'purchase_legs_of_one_member',
    `select partner_id, external_id, count(distinct member_id) as members,
            count(*) filter (where code = 'earn') as earns,
            count(*) filter (where code in ('redeem', 'hold')) as payments
     from transfer where code in ('earn', 'redeem', 'hold') and external_id is not null
     group by partner_id, external_id
     having count(distinct member_id) > 1 or count(*) filter (where code = 'earn') > 1
         or count(*) filter (where code in ('redeem', 'hold')) > 1`,
  );
  // What the foreign keys dropped by migrations/0028 checked: every ledger row refers to rows
  // that exist, and a posting moves between accounts of its own currency.
  await check(
    'ledger_references_exist',
    `select 'transfer' as row, t.id, 'partner or member' as missing from transfer t
     where (t.partner_id is not null and not exists (select 1 from partner p where p.id = t.partner_id))
        or (t.member_id is not null and not exists (select 1 from member m where m.id = t.member_id))
     union all
     select 'posting', p.transfer_id || '/' || p.index, 'transfer or account of its currency' from posting p
     where not exists (select 1 from transfer t where t.id = p.transfer_id)
        or not exists (select 1 from account a where a.id = p.source_account_id and a.currency_code = p.currency_code)
        or not exists (select 1 from account a where a.id = p.target_account_id and a.currency_code = p.currency_code)
     union all
     select 'lot', l.id::text, 'transfer or account' from lot l
     where not exists (select 1 from transfer t where t.id = l.transfer_id)
        or not exists (select 1 from account a where a.id = l.account_id)
     union all
     select 'rule grant', t.id || '/' || (g ->> 'r'), 'rule version' from transfer t
     cross join lateral jsonb_array_elements(t.rule_grants) g
     where t.rule_grants is not null
       and not exists (select 1 from earn_rule_version v where v.rule_id = g ->> 'r' and v.version = (g ->> 'v')::integer)
     union all
     select 'earn_rule_use', u.rule_id || '/' || u.member_id || '/' || u.period || '/' || u.use_no, 'its grant' from earn_rule_use u
     where not exists (select 1 from transfer t where t.id = u.transfer_id and t.member_id = u.member_id
                         and t.rule_grants @> jsonb_build_array(jsonb_build_object('r', u.rule_id)))
       -- A member event whose rules gave only a voucher has no transfer: the voucher is its grant.
       and not exists (select 1 from reward_voucher v where v.transfer_id = u.transfer_id
                         and v.member_id = u.member_id and v.rule_id = u.rule_id)
     union all
     select 'reward_voucher', v.code, 'its grant on its earn' from reward_voucher v
     where not exists (select 1 from earn_rule_version r where r.rule_id = v.rule_id and r.version = v.rule_version)
        or exists (select 1 from transfer t where t.id = v.transfer_id
                     and not (t.member_id = v.member_id and t.partner_id = v.partner_id
                              and t.rule_grants @> jsonb_build_array(v.grant_item)))`,
  );
  // An earn claimed on its transfer (migrations/0081): its key is not claimed in
  // idempotency_key too, and its receipt's lines (the base, before the tier and rule lines) are
  // part of what it posted.
  await check(
    'earn_claim_on_its_transfer',
    `select t.id, t.partner_id, t.external_id as key
     from transfer t join posting p on p.transfer_id = t.id and p.index = 0
     where t.request_hash is not null
       and (t.receipt_lines is null
            or (select coalesce(sum((l ->> 'points')::bigint), 0) from jsonb_array_elements(t.receipt_lines) l)
               not between 1 and p.amount_points
            or exists (select 1 from idempotency_key k where k.scope = t.partner_id and k.operation = 'earn'
                         and k.key = t.external_id))`,
  );
  // An earn's rule grants are part of what it posted (the rest: base and tier line), all of it
  // for a member event (no base); each positive and funded within itself; only earns have them.
  await check(
    'rule_grants_within_their_earn',
    `select t.id, t.code, p.amount_points as posted,
            (select sum((g ->> 'p')::bigint) from jsonb_array_elements(t.rule_grants) g) as granted
     from transfer t join posting p on p.transfer_id = t.id and p.index = 0
     where t.rule_grants is not null
       and (t.code <> 'earn'
            or (select sum((g ->> 'p')::bigint) from jsonb_array_elements(t.rule_grants) g)
               > case when t.external_id like 'event:%' then p.amount_points else p.amount_points - 1 end
            or exists (select 1 from jsonb_array_elements(t.rule_grants) g
                       -- 0 points only with money off ('x') or a voucher ('vc').
                       where (g ->> 'p')::bigint < 0
                          or ((g ->> 'p')::bigint = 0 and not (g ? 'x' or g ? 'vc'))
                          or (g ->> 'f')::bigint not between 0 and (g ->> 'p')::bigint
                          -- The operator-funded part, when recorded, is the rest.
                          or (g ? 'o' and (g ->> 'o')::bigint <> (g ->> 'p')::bigint - (g ->> 'f')::bigint)))`,
  );
  // A rule's per-member uses never exceed the limit of the version that granted them.
  await check(
    'rule_uses_within_their_limit',
    `select u.rule_id, u.member_id, u.period, count(*) as uses, max(l.cap) as cap
     from earn_rule_use u
     cross join lateral (
       select (v.definition -> 'limits' -> 'perMember' ->> 'uses')::integer as cap
       from (select g from transfer t cross join lateral jsonb_array_elements(t.rule_grants) g
             where t.id = u.transfer_id
             union all
             select rv.grant_item from reward_voucher rv where rv.transfer_id = u.transfer_id) s(g)
       join earn_rule_version v on v.rule_id = s.g ->> 'r' and v.version = (s.g ->> 'v')::integer
       where s.g ->> 'r' = u.rule_id limit 1
     ) l
     where u.restored_at is null
     group by u.rule_id, u.member_id, u.period having count(*) > max(l.cap)`,
  );
  return violations;
}

/** A fingerprint of everything the ledger stores, to prove a request changed nothing. */
export async function ledgerFingerprint(sql: Sql): Promise<string> {
  const tables = await sql.query<{ table_name: string }>(
    `select table_name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const row = await sql.query<{ fingerprint: string | null; rows: bigint }>(
      `select md5(string_agg(t::text, '|' order by t::text)) as fingerprint, count(*) as rows
       from ${table_name} t`,
    );
    parts.push(`${table_name}:${row.rows[0]!.rows}:${row.rows[0]!.fingerprint}`);
  }
  return parts.join('\n');
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
