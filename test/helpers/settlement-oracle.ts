import type { SqlDatabase } from '../../gateway/db/sql';

/**
 * An independent model of settlement's line rules (docs/settlement.md, line-sql.ts), written
 * from the documentation in TypeScript with exact rational arithmetic, for differential tests:
 * it reads the facts (transfers, postings and their accounts' kinds, conversions, currency
 * owners, the agreements as entered, which period took each transfer) and derives every line
 * the settlement_obligation view should show. Nothing here reads line-sql.ts or the agreement
 * spans its queries join.
 *
 * Not modelled: the earning rules' operator funding (an earn with grants that carry 'o' is
 * refused: its unit is rounded to 12 decimals after a division) and finance adjustments.
 */
export interface OracleLine {
  transferId: string;
  kind: string;
  debtorId: string;
  creditorId: string;
  settlementCurrency: string;
  points: bigint;
  amountMinor: bigint;
}

/** A non-negative rational: numerator over a positive denominator. */
interface Ratio {
  n: bigint;
  d: bigint;
}

const one: Ratio = { n: 1n, d: 1n };

function decimal(text: string): Ratio {
  const [whole, fraction = ''] = text.split('.');
  return { n: BigInt(`${whole}${fraction}`), d: 10n ** BigInt(fraction.length) };
}

function times(...factors: Ratio[]): Ratio {
  return factors.reduce((a, b) => ({ n: a.n * b.n, d: a.d * b.d }), one);
}

/** Half away from zero, to a whole number (settlement_amount_minor). */
function roundHalfAway(value: Ratio): bigint {
  const negative = value.n < 0n;
  const magnitude = negative ? -value.n : value.n;
  const rounded = (2n * magnitude + value.d) / (2n * value.d);
  return negative ? -rounded : rounded;
}

function isPositive(value: Ratio): boolean {
  return value.n > 0n;
}

interface Agreement {
  partner_id: string;
  currency_code: string;
  settlement_currency: string;
  settlement_minor_digits: number;
  effective_from: Date;
  issuance_price: string;
  reimbursement_price: string;
  exchange_price: string;
  billing_percent: string;
  operator_fee_percent: string | null;
  operator_fee_per_transfer_minor: bigint | null;
}

interface Transfer {
  id: string;
  code: string;
  partner_id: string | null;
  member_id: string | null;
  external_id: string | null;
  related_id: string | null;
  created_at: Date;
  funded: boolean;
  period_id: string | null;
  period_starts_at: Date | null;
}

interface Posting {
  transfer_id: string;
  index: number;
  kind: string;
  source_kind: string;
  target_kind: string;
  currency_code: string;
  amount_points: bigint;
}

/** A priced line of an origin: what a reversal of it reverses, at the same unit. */
interface PricedLine extends OracleLine {
  /** The currency whose points it prices (a conversion's target currency). */
  currency: string;
  unitMinor: Ratio;
}

/**
 * Every line of the transfers the closed periods `periodIds` took, derived by the documented
 * rules. Reversals read their origins wherever they are (an earlier period too).
 */
export async function oracleLines(db: SqlDatabase, periodIds: string[]): Promise<OracleLine[]> {
  const transfers = await db.query<Transfer>(
    `select t.id, t.code, t.partner_id, t.member_id, t.external_id, t.related_id, t.created_at,
            coalesce(t.rule_grants @? '$[*].o', false) as funded,
            i.period_id, p.starts_at as period_starts_at
     from transfer t
     left join settlement_item i on i.transfer_id = t.id
     left join settlement_period p on p.id = i.period_id`,
  );
  const postings = await db.query<Posting>(
    `select p.transfer_id, p.index, p.kind, s.kind as source_kind, t.kind as target_kind,
            p.currency_code, p.amount_points
     from posting p join account s on s.id = p.source_account_id
     join account t on t.id = p.target_account_id order by p.transfer_id, p.index`,
  );
  const conversions = await db.query<{ transfer_id: string; base_target_points: bigint }>(
    'select transfer_id, base_target_points from conversion',
  );
  const owners = await db.query<{ code: string; owner_partner_id: string }>(
    'select code, owner_partner_id from currency',
  );
  const agreements = await db.query<Agreement>(
    `select partner_id, currency_code, settlement_currency, settlement_minor_digits,
            effective_from, issuance_price::text, reimbursement_price::text,
            exchange_price::text, billing_percent::text, operator_fee_percent::text,
            operator_fee_per_transfer_minor
     from settlement_agreement order by effective_from`,
  );
  const byId = new Map(transfers.rows.map((t) => [t.id, t]));
  const postingsOf = new Map<string, Posting[]>();
  for (const posting of postings.rows) {
    postingsOf.set(posting.transfer_id, [...(postingsOf.get(posting.transfer_id) ?? []), posting]);
  }
  const baseTarget = new Map(conversions.rows.map((c) => [c.transfer_id, c.base_target_points]));
  const owner = new Map(owners.rows.map((c) => [c.code, c.owner_partner_id]));

  /** The partner's agreement for the currency in force at `at`: the latest started by then. */
  const agreementAt = (partnerId: string, currency: string, at: Date) =>
    agreements.rows
      .filter((a) => a.partner_id === partnerId && a.currency_code === currency)
      .filter((a) => a.effective_from.getTime() <= at.getTime())
      .at(-1);

  /** An earn's, redemption's or conversion's lines, priced; none between a program and itself. */
  const directLines = (transfer: Transfer): PricedLine[] => {
    const moved = postingsOf.get(transfer.id) ?? [];
    const first = moved.find((p) => p.index === 0);
    if (!first) return [];
    let kind: 'issuance' | 'reimbursement' | 'exchange';
    let currency: string;
    let points: bigint;
    let agreementPartner: string;
    let debtor: string;
    let creditor: string;
    if (transfer.code === 'earn') {
      if (transfer.funded) throw new Error(`oracle: ${transfer.id} has operator funding`);
      kind = 'issuance';
      currency = first.currency_code;
      points = first.amount_points;
      agreementPartner = transfer.partner_id!;
      debtor = transfer.partner_id!;
      creditor = owner.get(currency)!;
    } else if (
      transfer.code === 'redeem' ||
      (transfer.code === 'post' && first.kind === 'post_pending')
    ) {
      kind = 'reimbursement';
      currency = first.currency_code;
      points = first.amount_points;
      agreementPartner = transfer.partner_id!;
      debtor = owner.get(currency)!;
      creditor = transfer.partner_id!;
    } else if (transfer.code === 'convert') {
      const target = moved.find((p) => p.index === 1)!;
      kind = 'exchange';
      currency = target.currency_code;
      points = baseTarget.get(transfer.id) ?? target.amount_points;
      agreementPartner = owner.get(first.currency_code)!;
      debtor = owner.get(first.currency_code)!;
      creditor = owner.get(currency)!;
    } else {
      return [];
    }
    if (debtor === creditor || points <= 0n) return [];
    const agreement = agreementAt(agreementPartner, currency, transfer.created_at);
    if (!agreement) throw new Error(`oracle: ${transfer.id} has no agreement`);
    const price =
      kind === 'issuance'
        ? times(decimal(agreement.issuance_price), decimal(agreement.billing_percent), {
            n: 1n,
            d: 100n,
          })
        : decimal(
            kind === 'reimbursement' ? agreement.reimbursement_price : agreement.exchange_price,
          );
    const minor: Ratio = { n: 10n ** BigInt(agreement.settlement_minor_digits), d: 1n };
    const unitMinor = times(price, minor);
    const feeUnitMinor = times(unitMinor, decimal(agreement.operator_fee_percent ?? '0'), {
      n: 1n,
      d: 100n,
    });
    const line = (
      lineKind: string,
      lineDebtor: string,
      lineCreditor: string,
      lineUnit: Ratio,
    ): PricedLine => ({
      transferId: transfer.id,
      kind: lineKind,
      debtorId: lineDebtor,
      creditorId: lineCreditor,
      settlementCurrency: agreement.settlement_currency,
      points,
      amountMinor: roundHalfAway(times({ n: points, d: 1n }, lineUnit)),
      currency,
      unitMinor: lineUnit,
    });
    const lines = [line(kind, debtor, creditor, unitMinor)];
    if (isPositive(feeUnitMinor)) {
      lines.push(line(`${kind}_fee`, agreementPartner, 'operator', feeUnitMinor));
    }
    const perTransfer = agreement.operator_fee_per_transfer_minor ?? 0n;
    if (perTransfer > 0n) {
      lines.push({
        ...line('transfer_fee', agreementPartner, 'operator', one),
        points: 0n,
        amountMinor: perTransfer,
      });
    }
    return lines;
  };

  /** What a refund's or cancel's posting reverses: docs/settlement.md, "refund" and "cancel". */
  const reversalKind = (p: Posting) =>
    p.source_kind === 'member' && p.target_kind === 'issuance' && p.kind === 'posted'
      ? 'issuance'
      : p.source_kind === 'issuance' && p.target_kind === 'member' && p.kind === 'void_pending'
        ? 'issuance'
        : p.source_kind === 'redemption' && p.target_kind === 'member' && p.kind === 'posted'
          ? 'reimbursement'
          : null;

  /** Each reversal's points per kind and currency, keyed for the cumulative rule. */
  const reversedParts = (reversal: Transfer) => {
    const parts = new Map<string, { kind: string; currency: string; points: bigint }>();
    for (const posting of postingsOf.get(reversal.id) ?? []) {
      const kind = reversalKind(posting);
      if (!kind) continue;
      const key = `${kind}:${posting.currency_code}`;
      const part = parts.get(key) ?? { kind, currency: posting.currency_code, points: 0n };
      part.points -= posting.amount_points;
      parts.set(key, part);
    }
    return [...parts.values()];
  };

  const originOf = (reversal: Transfer, kind: string): Transfer | undefined => {
    const related = byId.get(reversal.related_id ?? '');
    if (!related) return undefined;
    if (related.code === 'hold') {
      return transfers.rows.find((t) => t.related_id === related.id && t.code === 'post');
    }
    if (kind === 'reimbursement' && related.code !== 'redeem') {
      return transfers.rows
        .filter(
          (t) =>
            t.code === 'redeem' &&
            t.partner_id === related.partner_id &&
            t.external_id === related.external_id &&
            t.member_id === related.member_id,
        )
        .sort((a, b) => (a.id < b.id ? -1 : 1))[0];
    }
    return related;
  };

  /** Periods first, then creation time, then id: the order of reversals of one origin. */
  const precedes = (a: Transfer, b: Transfer) => {
    const pa = a.period_starts_at!.getTime();
    const pb = b.period_starts_at!.getTime();
    if (pa !== pb) return pa < pb;
    const ca = a.created_at.getTime();
    const cb = b.created_at.getTime();
    return ca !== cb ? ca < cb : a.id < b.id;
  };

  const reversals = transfers.rows.filter(
    (t) => (t.code === 'refund' || t.code === 'cancel') && t.period_id !== null,
  );
  const lines: OracleLine[] = [];
  for (const transfer of transfers.rows) {
    if (transfer.period_id === null || !periodIds.includes(transfer.period_id)) continue;
    if (transfer.code !== 'refund' && transfer.code !== 'cancel') {
      lines.push(...directLines(transfer).map(({ unitMinor: _, currency: __, ...line }) => line));
      continue;
    }
    for (const part of reversedParts(transfer)) {
      const origin = originOf(transfer, part.kind);
      // An origin no closed period took was never billed, so there is nothing to reverse.
      if (!origin || origin.period_id === null) continue;
      // Earlier reversals of the same origin, kind and currency took these points back already.
      const earlier = reversals
        .filter((other) => other.id !== transfer.id && other.related_id === transfer.related_id)
        .filter((other) => precedes(other, transfer))
        .flatMap((other) => reversedParts(other))
        .filter((other) => other.kind === part.kind && other.currency === part.currency)
        .reduce((sum, other) => sum - other.points, 0n);
      for (const originLine of directLines(origin)) {
        if (originLine.kind === 'transfer_fee') continue; // the transfer was processed
        if (!originLine.kind.startsWith(part.kind) || originLine.currency !== part.currency)
          continue;
        const before = originLine.points - earlier;
        const after = before + part.points;
        lines.push({
          transferId: transfer.id,
          kind: originLine.kind,
          debtorId: originLine.debtorId,
          creditorId: originLine.creditorId,
          settlementCurrency: originLine.settlementCurrency,
          points: part.points,
          amountMinor:
            roundHalfAway(times({ n: after, d: 1n }, originLine.unitMinor)) -
            roundHalfAway(times({ n: before, d: 1n }, originLine.unitMinor)),
        });
      }
    }
  }
  return lines;
}

/** The lines the settlement_obligation view derives for `periodIds`, in the oracle's shape. */
export async function derivedLines(db: SqlDatabase, periodIds: string[]): Promise<OracleLine[]> {
  const rows = await db.query<{
    transfer_id: string;
    kind: string;
    debtor_id: string;
    creditor_id: string;
    settlement_currency: string;
    points: bigint;
    amount_minor: bigint;
  }>(
    `select transfer_id, kind, debtor_id, creditor_id, settlement_currency, points, amount_minor
     from settlement_obligation where period_id = any($1::text[]) and kind <> 'adjustment'`,
    [periodIds],
  );
  return rows.rows.map((row) => ({
    transferId: row.transfer_id,
    kind: row.kind,
    debtorId: row.debtor_id,
    creditorId: row.creditor_id,
    settlementCurrency: row.settlement_currency,
    points: row.points,
    amountMinor: row.amount_minor,
  }));
}

/** Lines as sorted strings, so two derivations compare as multisets with a readable diff. */
export function lineKeys(lines: OracleLine[]): string[] {
  return lines
    .map(
      (l) =>
        `${l.transferId} ${l.kind} ${l.debtorId}->${l.creditorId} ${l.settlementCurrency} ${l.points} ${l.amountMinor}`,
    )
    .sort();
}
