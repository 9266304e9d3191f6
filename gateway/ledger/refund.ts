import type { Sql } from '../db/sql';
import { InvalidInput, NotFound } from '../shared/errors';
import { required } from '../shared/invariant';
import { type AccountDirectory, accountKeyString, lockAccounts } from './accounts';
import { RefundExceedsPurchase } from './errors';
import type { IdempotencyClaim } from './idempotency';
import { idempotentWrite, receiptCodec } from './idempotent-write';
import { applyLotMovements, type LotMovement, planConsumption, planRestoration } from './lots';
import { type AccountKey, availablePoints, type PostingDraft } from './model';
import { writeTransfers } from './transfers';

export interface RefundEntry {
  transferId: string;
  partnerId: string;
  /** When given, the purchase must belong to this member. */
  memberId: string | null;
  /** The partner's transaction id of the purchase being refunded. */
  transactionId: string;
  /** The refunded money in minor units; null refunds whatever is left of the purchase. */
  amountMinor: bigint | null;
  amountCurrency: string | null;
  createdAt: Date;
  claim: IdempotencyClaim;
}

export interface PointsAmount {
  currency: string;
  points: bigint;
}

export interface RefundReceipt {
  transferId: string;
  memberId: string;
  transactionId: string;
  refundedMinor: bigint | null;
  /** Earned points taken back (from the pending earn, or from the member's balance). */
  takenBack: PointsAmount | null;
  /** Spent points given back, to exactly the lots the payment consumed. */
  returned: PointsAmount | null;
  /** Earned points the member had already spent: they cannot be taken back. */
  shortfallPoints: bigint;
  createdAt: Date;
}

/** An earn or redeem of the purchase, with its single posting. */
interface Original {
  id: string;
  code: 'earn' | 'redeem';
  memberId: string;
  purchaseMinor: bigint | null;
  purchaseCurrency: string | null;
  currency: string;
  points: bigint;
  /** An earn's rule grants that needed a purchase total ('th'): points and that total. */
  thresholdGrants: { points: bigint; threshold: bigint }[];
}

/**
 * Refunds a purchase fully or partly, in the caller's transaction: earned points are taken back
 * and spent points returned in proportion to the money refunded, never more than the original.
 *
 * Proportions are cumulative, so rounding never drifts: after refunds totalling R of a purchase
 * of P, exactly floor(points x R / P) have been taken back (or returned), and a full refund moves
 * exactly the original points. Rounding down favours the member. Spent points are returned before
 * earned points are taken back, so a refund of a purchase paid with points never fails for lack
 * of balance. Earned points the member has already spent are reported as a shortfall (the member
 * balance never goes below zero).
 */
export function postRefund(
  sql: Sql,
  accounts: AccountDirectory,
  entry: RefundEntry,
): Promise<RefundReceipt> {
  return idempotentWrite(sql, { claim: entry.claim, codec: refundReceiptCodec }, () =>
    reversePurchase(sql, accounts, entry),
  );
}

/** The refund's transfer: spent points returned first, then earned points taken back. */
async function reversePurchase(
  sql: Sql,
  accounts: AccountDirectory,
  entry: RefundEntry,
): Promise<RefundReceipt> {
  const { earn, redeem } = await findOriginals(sql, entry);
  const base = required(earn ?? redeem, 'a leg of the purchase (findOriginals found one)');
  // Each leg's own member (one member per transaction id is enforced since migrations/0013;
  // findOriginals refuses older data that mixes members), never the first leg's for both.
  const memberKey = (original: Original): AccountKey => ({
    kind: 'member',
    currency: original.currency,
    memberId: original.memberId,
  });
  const memberIds = await accounts.resolve(
    sql,
    [earn, redeem].filter((original) => original !== undefined).map(memberKey),
  );
  const memberAccountOf = (original: Original) =>
    required(memberIds.get(accountKeyString(memberKey(original))), 'the member account of a leg');
  const locked = await lockAccounts(sql, [...memberIds.values()]);
  const refunded = await refundShare(sql, base, entry);

  const postings: PostingDraft[] = [];
  const movements: LotMovement[] = [];
  let returned: PointsAmount | null = null;
  const returnedByAccount = new Map<bigint, bigint>();
  if (redeem) {
    const points = refunded.share(redeem.points);
    returned = { currency: redeem.currency, points };
    if (points > 0n) {
      const accountId = memberAccountOf(redeem);
      movements.push(...(await planRestoration(sql, redeem.id, base.id, points)));
      // Restored lots must be visible to the take-back below when both use one account.
      await applyLotMovements(sql, entry.transferId, movements.splice(0));
      returnedByAccount.set(accountId, points);
      const redemptionKey: AccountKey = {
        kind: 'redemption',
        currency: redeem.currency,
        partnerId: entry.partnerId,
      };
      const systemIds = await accounts.resolve(sql, [redemptionKey]);
      postings.push({
        kind: 'posted',
        sourceAccountId: required(
          systemIds.get(accountKeyString(redemptionKey)),
          'the redemption account',
        ),
        targetAccountId: accountId,
        currency: redeem.currency,
        amountPoints: points,
      });
    }
  }

  let takenBack: PointsAmount | null = null;
  let shortfallPoints = 0n;
  if (earn) {
    const accountId = memberAccountOf(earn);
    const available =
      availablePoints(required(locked.get(accountId), 'the locked member account')) +
      (returnedByAccount.get(accountId) ?? 0n);
    const result = await takeBack(
      sql,
      accounts,
      entry,
      earn,
      accountId,
      refunded.total === null
        ? refunded.share(earn.points)
        : earnTakenBack(earn, refunded.total, refunded.after) -
            earnTakenBack(earn, refunded.total, refunded.before),
      available,
    );
    postings.push(...result.postings);
    movements.push(...result.movements);
    takenBack = { currency: earn.currency, points: result.takenBack };
    shortfallPoints = result.shortfall;
    // The earn's tier qualification goes back by the same cumulative share (migrations/0017);
    // a no-op for an earn no ladder priced.
    await sql.query('select tier_take_back($1, $2, $3, $4)', [
      earn.id,
      refunded.before,
      refunded.after,
      refunded.total,
    ]);
    // Earning rules' budgets get back what this refund takes of their grants, and a grant
    // taken back whole (the purchase refunded in full, or below the rule's threshold) gives its
    // use back (migrations/0035).
    await sql.query('select rule_take_back($1, $2, $3, $4, $5)', [
      earn.id,
      refunded.before,
      refunded.after,
      refunded.total,
      entry.createdAt,
    ]);
  }
  // The refund completing the purchase restores vouchers redeemed on it and voids the unused
  // ones its earn gave (migrations/0033).
  await sql.query('select voucher_take_back($1, $2, $3, $4, $5)', [
    entry.partnerId,
    entry.transactionId,
    earn?.id ?? null,
    refunded.total === null || refunded.after >= refunded.total,
    entry.createdAt,
  ]);
  await applyLotMovements(sql, entry.transferId, movements);

  await writeTransfers(sql, [
    {
      id: entry.transferId,
      code: 'refund',
      partnerId: entry.partnerId,
      memberId: base.memberId,
      externalId: entry.claim.key,
      relatedId: base.id,
      purchase:
        refunded.amountMinor !== null
          ? { amountMinor: refunded.amountMinor, currency: base.purchaseCurrency! }
          : null,
      description: `Refund of purchase ${entry.transactionId}`,
      createdAt: entry.createdAt,
      postings,
    },
  ]);
  const receipt: RefundReceipt = {
    transferId: entry.transferId,
    memberId: base.memberId,
    transactionId: entry.transactionId,
    refundedMinor: refunded.amountMinor,
    takenBack,
    returned,
    shortfallPoints,
    createdAt: entry.createdAt,
  };
  return receipt;
}

async function findOriginals(
  sql: Sql,
  entry: RefundEntry,
): Promise<{ earn?: Original; redeem?: Original }> {
  const rows = await sql.query<{
    id: string;
    code: 'earn' | 'redeem';
    member_id: string;
    purchase_amount_minor: bigint | null;
    purchase_currency: string | null;
    currency_code: string;
    amount_points: bigint;
    thresholds: { p: string; th: string }[] | null;
  }>(
    `select t.id, t.code, t.member_id, t.purchase_amount_minor, t.purchase_currency,
            p.currency_code, p.amount_points,
            (select jsonb_agg(jsonb_build_object('p', g ->> 'p', 'th', g ->> 'th'))
             from jsonb_array_elements(t.rule_grants) g where g ? 'th') as thresholds
     from transfer t join posting p on p.transfer_id = t.id
     where t.partner_id = $1 and t.external_id = $2 and t.code in ('earn', 'redeem')
     order by t.created_at, t.id`,
    [entry.partnerId, entry.transactionId],
  );
  const originals = rows.rows
    .filter((row) => entry.memberId === null || row.member_id === entry.memberId)
    .map(
      (row): Original => ({
        id: row.id,
        code: row.code,
        memberId: row.member_id,
        purchaseMinor: row.purchase_amount_minor,
        purchaseCurrency: row.purchase_currency,
        currency: row.currency_code,
        points: row.amount_points,
        thresholdGrants: (row.thresholds ?? []).map((grant) => ({
          points: BigInt(grant.p),
          threshold: BigInt(grant.th),
        })),
      }),
    );
  const earn = originals.find((original) => original.code === 'earn');
  const redeem = originals.find((original) => original.code === 'redeem');
  if (!earn && !redeem) throw new NotFound('purchase', entry.transactionId);
  if (earn && redeem && earn.memberId !== redeem.memberId) {
    // Only data recorded before one member per transaction id was enforced can get here.
    throw new InvalidInput(
      'member',
      'this transaction id has legs of several members; name the member whose purchase to refund',
    );
  }
  return { earn, redeem };
}

/**
 * The points of an earn taken back, in all, once `refunded` of its purchase's `total` has been
 * refunded: the share floor(points x refunded / total), except that a rule grant whose purchase
 * total is no longer met (total - refunded below its threshold) is taken back whole, the rest
 * in proportion. Monotone in `refunded` and all of the points at the full refund, so the
 * differences between successive refunds never go negative and add up to the earn exactly.
 */
export function earnTakenBack(earn: Original, total: bigint, refunded: bigint): bigint {
  if (refunded >= total) return earn.points;
  let whole = 0n;
  for (const grant of earn.thresholdGrants) {
    if (total - refunded < grant.threshold) whole += grant.points;
  }
  return ((earn.points - whole) * refunded) / total + whole;
}

/**
 * How much of the purchase this refund covers, checked against what earlier refunds took, and
 * the cumulative share of an original's points it moves.
 */
async function refundShare(
  sql: Sql,
  base: Original,
  entry: RefundEntry,
): Promise<{
  amountMinor: bigint | null;
  share: (points: bigint) => bigint;
  /** Money refunded before and after this refund, of `total` (null: recorded without an amount). */
  before: bigint;
  after: bigint;
  total: bigint | null;
}> {
  const previous = await sql.query<{ refunded: bigint; refunds: bigint }>(
    `select coalesce(sum(purchase_amount_minor), 0)::bigint as refunded, count(*) as refunds
     from transfer where related_id = $1 and code = 'refund'`,
    [base.id],
  );
  const refundedBefore = previous.rows[0]!.refunded;
  const total = base.purchaseMinor;
  if (total === null) {
    // Recorded without an amount: only a full refund is meaningful, and only once.
    if (entry.amountMinor !== null) {
      throw new InvalidInput(
        'amount',
        'the purchase was recorded without an amount; omit amount to refund it in full',
      );
    }
    if (previous.rows[0]!.refunds > 0n) throw new RefundExceedsPurchase(0n, 0n);
    return { amountMinor: null, share: (points) => points, before: 0n, after: 0n, total: null };
  }
  if (entry.amountCurrency !== null && entry.amountCurrency !== base.purchaseCurrency) {
    throw new InvalidInput('amount.currency', `the purchase was in ${base.purchaseCurrency}`);
  }
  const refundable = total - refundedBefore;
  const amount = entry.amountMinor ?? refundable;
  if (amount <= 0n || amount > refundable) throw new RefundExceedsPurchase(amount, refundable);
  const after = refundedBefore + amount;
  return {
    amountMinor: amount,
    share: (points) => (points * after) / total - (points * refundedBefore) / total,
    before: refundedBefore,
    after,
    total,
  };
}

/**
 * Takes back `points` of an earn: first from what is still pending (voiding it), then from the
 * member's balance, preferring the lots the earn created, up to what is available.
 */
async function takeBack(
  sql: Sql,
  accounts: AccountDirectory,
  entry: RefundEntry,
  earn: Original,
  memberAccountId: bigint,
  points: bigint,
  available: bigint,
): Promise<{
  postings: PostingDraft[];
  movements: LotMovement[];
  takenBack: bigint;
  shortfall: bigint;
}> {
  const issuanceKey: AccountKey = {
    kind: 'issuance',
    currency: earn.currency,
    partnerId: entry.partnerId,
  };
  const issuanceId = (await accounts.resolve(sql, [issuanceKey])).get(
    accountKeyString(issuanceKey),
  )!;
  const postings: PostingDraft[] = [];
  const pending = await sql.query<{ remaining_points: bigint }>(
    `select remaining_points from pending_transfer where transfer_id = $1 for update`,
    [earn.id],
  );
  const stillPending = pending.rows[0]?.remaining_points ?? 0n;
  const voided = points < stillPending ? points : stillPending;
  if (voided > 0n) {
    await sql.query(
      `update pending_transfer set remaining_points = remaining_points - $2 where transfer_id = $1`,
      [earn.id, voided],
    );
    postings.push({
      kind: 'void_pending',
      sourceAccountId: issuanceId,
      targetAccountId: memberAccountId,
      currency: earn.currency,
      amountPoints: voided,
    });
  }
  const fromBalance = points - voided;
  const taken = fromBalance < available ? fromBalance : available;
  let movements: LotMovement[] = [];
  if (taken > 0n) {
    const matured = await sql.query<{ id: string }>(
      `select id from transfer where related_id = $1 and code = 'mature'`,
      [earn.id],
    );
    const earnLots = [earn.id, ...matured.rows.map((row) => row.id)];
    movements = await planConsumption(sql, memberAccountId, taken, earnLots);
    postings.push({
      kind: 'posted',
      sourceAccountId: memberAccountId,
      targetAccountId: issuanceId,
      currency: earn.currency,
      amountPoints: taken,
    });
  }
  return { postings, movements, takenBack: voided + taken, shortfall: fromBalance - taken };
}

/** Refund receipts as stored with their key. */
export const refundReceiptCodec = receiptCodec<RefundReceipt>({
  refundedMinor: 'bigint',
  takenBack: { points: 'bigint' },
  returned: { points: 'bigint' },
  shortfallPoints: 'bigint',
  createdAt: 'date',
});
