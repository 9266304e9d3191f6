import type { App } from '../gateway/app';
import type { SqlDatabase } from '../gateway/db/sql';
import type { AgreementInput } from '../gateway/settlement/agreements';
import { DomainError } from '../gateway/shared/errors';

/**
 * Synthetic settlement activity for benchmarks and volume tests: a coalition of `partners`
 * (the first `currencies` of them own a program currency each), `members` members, and
 * `transfers` transfers written by set-based SQL (generate_series), never row by row.
 *
 * The mix, by i mod 20: 12 earns, 6 redemptions, 1 refund (of the earn 18 before it, half its
 * points), 1 conversion (5 source points to 1 target point). Transfers and postings only:
 * account totals and lots are NOT maintained, so a database filled this way is fit for
 * settlement and nothing else (use a database of its own).
 */
export interface SyntheticShape {
  partners: number;
  currencies: number;
  members: number;
}

export const syntheticPartner = (index: number) => `ptr_s${index}`;
export const syntheticCurrency = (index: number) => `SYN${index}`;

/** Terms of partner p for currency c: deterministic, varied, some with operator fees. */
export function syntheticAgreement(partner: number, currency: number, from: Date): AgreementInput {
  return {
    partnerId: syntheticPartner(partner),
    currency: syntheticCurrency(currency),
    settlementCurrency: 'EUR',
    effectiveFrom: from,
    issuancePrice: `0.0${10 + ((partner * 7 + currency) % 9)}5`,
    reimbursementPrice: `0.00${5 + ((partner + currency) % 5)}`,
    exchangePrice: `0.0${10 + currency}`,
    billingPercent: partner % 3 === 0 ? '90' : '100',
    operatorFeePercent: partner % 5 === 1 ? '1.5' : null,
    operatorFeePerTransferMinor: partner % 5 === 2 ? 2n : null,
  };
}

/** Partners, currencies, terms, agreements (from `from`), members and their accounts. */
export async function seedSyntheticCoalition(
  app: App,
  shape: SyntheticShape,
  from: Date,
): Promise<void> {
  const system = app.systemContext('synthetic');
  const must = <T>(outcome: T | DomainError): T => {
    if (outcome instanceof DomainError) throw new Error(`synthetic seed: ${outcome.message}`);
    return outcome;
  };
  for (let p = 0; p < shape.partners; p++) {
    must(
      await app.catalog.createPartner(system, { id: syntheticPartner(p), name: `Partner ${p}` }),
    );
  }
  for (let c = 0; c < shape.currencies; c++) {
    must(
      await app.catalog.createCurrency(system, {
        code: syntheticCurrency(c),
        name: `Synthetic ${c}`,
        ownerPartnerId: syntheticPartner(c),
        expiryMonths: null,
      }),
    );
  }
  for (let p = 0; p < shape.partners; p++) {
    for (let c = 0; c < shape.currencies; c++) {
      must(
        await app.catalog.setPartnerCurrency(system, {
          partnerId: syntheticPartner(p),
          currency: syntheticCurrency(c),
          earns: true,
          accepts: true,
          earnRatePoints: 1n,
          earnRatePerMinor: 100n,
          moneyCurrency: 'EUR',
        }),
      );
      if (p !== c) must(await app.settlement.setAgreement(system, syntheticAgreement(p, c, from)));
    }
  }
  await app.db.query(
    `insert into member (id, display_name)
     select 'mbr_s' || g, 'Synthetic member ' || g from generate_series(0, $1::integer - 1) g`,
    [shape.members],
  );
  await app.db.query(
    `insert into account (kind, currency_code, member_id)
     select 'member', c.code, 'mbr_s' || g
     from generate_series(0, $1::integer - 1) g cross join currency c where c.code like 'SYN%'`,
    [shape.members],
  );
}

/** Transfers written per transaction while generating. */
export const syntheticChunk = 100_000;

/**
 * Vacuums and analyzes what generateTransfers writes, as a DBA would after a bulk load: the
 * transfers, their postings, and the reversals' parts the database adds as refunds commit
 * (migration 0099; a close reads them by an index-only scan, which needs the visibility map).
 */
export async function vacuumSyntheticActivity(db: SqlDatabase): Promise<void> {
  for (const table of ['transfer', 'posting', 'settlement_reversal_part']) {
    await db.query(`vacuum analyze ${table}`);
  }
}

/**
 * Writes `count` transfers created evenly over [startsAt, startsAt + spanMs), ids from
 * `firstId` on, in chunks of syntheticChunk per transaction; `progress` hears the running total.
 */
export async function generateTransfers(
  db: SqlDatabase,
  shape: SyntheticShape,
  options: { count: number; firstId: number; startsAt: Date; spanMs: number },
  progress: (written: number) => void = () => undefined,
): Promise<void> {
  for (let from = 0; from < options.count; from += syntheticChunk) {
    const to = Math.min(from + syntheticChunk, options.count) - 1;
    const parameters = [
      from,
      to,
      options.firstId,
      shape.partners,
      shape.members,
      shape.currencies,
      options.startsAt,
      options.spanMs / options.count,
    ];
    await db.transaction(async (sql) => {
      await sql.query(
        `insert into transfer (id, code, partner_id, member_id, external_id, related_id, description, created_at,
                               first_currency_code, first_amount_points, first_posting_kind)
        select id, code, case when code = 'convert' then null else 'ptr_s' || partner end,
               'mbr_s' || member,
               case code when 'convert' then null when 'refund' then 'SYN-R-' || i else 'SYN-' || i end,
               case when code = 'refund' then 'trf_' || lpad(to_hex($3::bigint + j), 26, '0') end,
               'synthetic', at, currency, points, 'posted'
        from (${generatorRows}) g`,
        parameters,
      );
      await sql.query(
        `insert into posting (transfer_id, index, kind, source_account_id, target_account_id, currency_code, amount_points)
        select g.id, 0, 'posted',
               case when code in ('redeem', 'refund', 'convert') then m.id else s.id end,
               case code when 'earn' then m.id when 'redeem' then r.id
                         when 'refund' then s.id else l.id end,
               g.currency, g.points
        from (${generatorRows}) g
        join account m on m.owner_id = 'mbr_s' || g.member and m.kind = 'member' and m.currency_code = g.currency
        left join account s on s.owner_id = 'ptr_s' || g.partner and s.kind = 'issuance' and s.currency_code = g.currency
        left join account r on r.owner_id = 'ptr_s' || g.partner and r.kind = 'redemption' and r.currency_code = g.currency
        left join account l on l.owner_id = '' and l.kind = 'liquidity' and l.currency_code = g.currency`,
        parameters,
      );
      await sql.query(
        `insert into posting (transfer_id, index, kind, source_account_id, target_account_id, currency_code, amount_points)
        select g.id, 1, 'posted', l.id, m.id, g.target_currency, g.points / 5
        from (${generatorRows}) g
        join account m on m.owner_id = 'mbr_s' || g.member and m.kind = 'member' and m.currency_code = g.target_currency
        join account l on l.owner_id = '' and l.kind = 'liquidity' and l.currency_code = g.target_currency
        where g.code = 'convert'`,
        parameters,
      );
    });
    progress(to + 1);
  }
}

/**
 * One row per generated transfer. $1..$2 the range of i, $3 the first id, $4 partners,
 * $5 members, $6 currencies, $7 start, $8 milliseconds between transfers. A refund takes the
 * partner, member, currency and half the points of the earn j = i - 18 it refunds.
 */
const generatorRows = `
  select i, j, 'trf_' || lpad(to_hex($3::bigint + i), 26, '0') as id, code,
         j % $4 as partner, j % $5 as member,
         'SYN' || ((j / 7) % $6) as currency, 'SYN' || ((j / 7 + 1) % $6) as target_currency,
         case code when 'earn' then 1 + j % 500 when 'refund' then (1 + j % 500) / 2 + 1
                   when 'redeem' then 1 + j % 300 else 5 * (1 + j % 100) end as points,
         $7::timestamptz + make_interval(secs => i * $8::double precision / 1000) as at
  from (
    select i, case when i % 20 = 18 then i - 18 else i end as j,
           case when i % 20 < 12 then 'earn' when i % 20 < 18 then 'redeem'
                when i % 20 = 18 then 'refund' else 'convert' end as code
    from generate_series($1::bigint, $2::bigint) i
  ) shape`;
