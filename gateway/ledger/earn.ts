import { strict as assert } from 'node:assert';
import type { Sql } from '../db/sql';
import { type DomainError, NotFound } from '../shared/errors';
import { required } from '../shared/invariant';
import { toJson } from '../shared/json';
import { IdempotencyKeyReused, isTransactionConflictReason, TransactionConflict } from './errors';
import { claimString, type IdempotencyClaim } from './idempotency';
import { receiptCodec } from './idempotent-write';
import { pointsPerTransferMax } from './limits';
import type { Money } from './model';

/** One award of points, already validated and priced by the caller. */
export interface EarnEntry {
  transferId: string;
  partnerId: string;
  /**
   * The member, as the partner names them (coalition id or the partner's own id); resolved
   * through the partner's links in the same database call, so an unlinked member is NotFound.
   */
  member:
    | { memberId: string; externalId?: undefined }
    | { externalId: string; memberId?: undefined };
  currency: string;
  points: bigint;
  /** The partner's transaction id (the purchase). */
  transactionId: string;
  purchase: Money | null;
  createdAt: Date;
  /** Set for pending points: they become spendable when the maturity sweep passes this time. */
  maturesAt: Date | null;
  /** When the resulting lot expires (null: never). */
  lotExpiresAt: Date | null;
  description: string;
  /** Why these points: the base line and what pricing steps added (the batch adds the tier line). */
  lines: EarnLine[];
  /**
   * Earning rules' bonus, priced for each world the earn may be in (gateway/rules): the batch
   * picks the world from the member's tier, decided with the member's rows held. Null: no rule.
   */
  rules?: RuleWorlds | null;
  claim: IdempotencyClaim;
  /**
   * When the request that sent it stops waiting (epoch ms; see Deadline): an entry still queued
   * then is answered DeadlineExceeded and never posted.
   */
  deadlineAt?: number;
}

/**
 * The answer for an entry the shared batch could not post without waiting for a row or a
 * purchase another transaction holds; the batcher posts it again on its partner's lane.
 */
export const rowsBusy = Symbol('rows busy');
export type RowsBusy = typeof rowsBusy;

/** One line of an earn's explanation: why these points. */
export interface EarnLine {
  /**
   * `base` (the purchase at the earn rate, or the partner's explicit points), `tier` (the
   * member's tier multiplier, applied to the base line only), `rule` (an earning rule's bonus).
   */
  kind: string;
  points: bigint;
  description: string;
  /** The earning rule of a `rule` line. */
  ruleId?: string;
  /** Money off this purchase a `rule` line gives, for the point-of-sale. */
  discount?: Money;
  /** The voucher a `rule` line gives the member. */
  voucher?: IssuedVoucher;
}

/** A single-use reward voucher an earning rule gave (migrations/0033). */
export interface IssuedVoucher {
  /** What the member shows to redeem it; empty in a preview (no voucher is issued). */
  code: string;
  reward: 'free_delivery' | 'free_product' | 'percent_off';
  /** The free product. */
  sku: string | null;
  /** The percentage off the next purchase, in basis points. */
  percentBp: number | null;
  expiresAt: Date;
}

/**
 * A rule whose conditions held for an earn in one world, as the batch decides it: its points,
 * the part the purchase's partner funds, its stacking, the receipt line's description, and what
 * only the ledger can check (history conditions, per-member limit, budget).
 */
export interface RuleCandidate {
  ruleId: string;
  version: number;
  points: bigint;
  partnerFundedPoints: bigint;
  stacking: 'stackable' | 'exclusive' | 'stop';
  description: string;
  /** Only on the member's N-th earn at this partner. */
  purchaseNumber: number | null;
  /** Only on the member's first earn in the coalition. */
  firstInCoalition: boolean;
  /** At most this many uses per member in `period` ('ever', 'd:2026-12-04', 'm:2026-12'). */
  perMember: { uses: number; period: string } | null;
  /** Draws on the rule's budget (points and uses). */
  budgeted: boolean;
  /** Only when the member's birthday is in the earn's month, or within `days` days of it. */
  birthday: { scope: 'month' | 'days'; days: number } | null;
  /** Only within this many days of the anniversary of the member's joining. */
  anniversaryDays: number | null;
  /** Only for a member in this segment, as its last refresh computed it (migrations/0071). */
  segmentId: string | null;
  /** Only for a member who activated this offer (migrations/0071). */
  offerId: string | null;
  /** The earn's date in the rule's time zone (YYYY-MM-DD), for the birthday and anniversary. */
  localDate: string | null;
  timeZone: string;
  /**
   * The purchase total (minor units) the rule needed: a refund that leaves less takes all of its
   * points back (gateway/ledger/refund.ts), not a share.
   */
  threshold: bigint | null;
  /** Money off this purchase. */
  discount: Money | null;
  /** The voucher the member gets, its code drawn. */
  voucher: IssuedVoucher | null;
}

/**
 * An earn's rule candidates, and which of them hold in each world it may be priced in: index 0
 * when the member has no tier in the program, r + 1 at tier rank r; the last world stands for
 * every rank above it (a single world: no rule depends on the tier). Candidates are in
 * evaluation order and each world lists its own in that order. The batch picks the world and
 * decides.
 */
export interface RuleWorlds {
  candidates: RuleCandidate[];
  worlds: number[][];
}

/**
 * What a rule granted an earn (transfer.rule_grants): rule, version, points, the part the
 * partner funds, the receipt line's description, and money off (`x`: minor units, currency) or
 * a voucher (`vc`, also written to reward_voucher).
 */
interface StoredGrant {
  r: string;
  v: number;
  p: number | string;
  f: number | string;
  d: string;
  x?: { m: number | string; c: string };
  vc?: StoredVoucher;
  /** The purchase total the rule needed (refunds below it take the grant back whole). */
  th?: number | string;
  /**
   * The points the operator funds (p - f), when any: settlement bills them to the operator
   * (gateway/settlement/line-sql.ts). Grants written before that was billed lack it.
   */
  o?: number | string;
}

interface StoredVoucher {
  code: string;
  k: IssuedVoucher['reward'];
  sku: string | null;
  bp: number | null;
  exp: string;
}

/**
 * The tier an earn was priced at and the benefits it gives, for the point-of-sale: the
 * multiplier (basis points; 15000 is x1.5), a standing discount (basis points) and perks.
 */
export interface EarnTier {
  currency: string;
  rank: number;
  code: string;
  name: string;
  multiplierBp: number;
  discountBp: number;
  perks: string[];
}

export interface EarnReceipt {
  /** The earn transfer; none was written when no points moved (a member event no rule rewarded). */
  transferId: string;
  memberId: string;
  currency: string;
  /** The points posted: the sum of the lines. */
  points: bigint;
  lines: EarnLine[];
  /** The member's tier in the program when the earn was priced; null when it has no tiers or the member none. */
  tier: EarnTier | null;
  maturesAt: Date | null;
  expiresAt: Date | null;
  createdAt: Date;
}

/**
 * Posts many earns in the caller's transaction with one database call, whatever the batch size
 * (the `ledger_earn_batch` function, migrations/0006): claim the keys, create missing member
 * accounts, lock them in id order, write transfers, postings and lots (or pending rows), move the
 * member totals, then lock and move the issuance accounts once for the whole batch. Entries
 * whose key was already used are answered from the stored response and write nothing. An earn
 * under its transaction id claims its key with its transfer row, which keeps its request's hash
 * and receipt lines (migrations/0081); member events and earns under an explicit key claim
 * theirs in idempotency_key with their receipt.
 *
 * The rules are asserted here before the call and enforced again by the database: positive
 * amounts within the limit, keys and transaction ids unique within the batch. An entry under a
 * transaction id that already has an earn, or a leg of another member, is a TransactionConflict
 * (migrations/0013). With `skipLocked` nothing waits for a lock: an entry whose purchase or
 * accounts another transaction holds answers `rowsBusy` and writes nothing (migrations/0015).
 */
export async function postEarns(
  sql: Sql,
  entries: readonly EarnEntry[],
  options: { skipLocked?: boolean; tierParts?: TierReceiptParts } = {},
): Promise<(EarnReceipt | DomainError | RowsBusy)[]> {
  const keys = new Set(entries.map((entry) => claimString(entry.claim)));
  assert.equal(keys.size, entries.length, 'idempotency keys must be unique within a batch');
  const purchases = new Set(entries.map(purchaseKey));
  assert.equal(purchases.size, entries.length, 'transaction ids must be unique within a batch');
  for (const entry of entries) {
    // A member event has no base: only its rules' points (maybe none) move.
    const least = entry.rules !== undefined && entry.rules !== null ? 0n : 1n;
    assert.ok(
      entry.points >= least && entry.points <= pointsPerTransferMax,
      'amount_must_be_positive',
    );
    if (claimedOnTransfer(entry)) {
      // Its receipt is stored as its lines (transfer.receipt_lines): the points are their sum.
      assert.ok(entry.points >= 1n, 'an earn moves points');
      assert.equal(entry.claim.scope, entry.partnerId, "an earn's key is its partner's");
      assert.equal(sumPoints(entry.lines), entry.points, "an earn's points are its lines'");
    }
  }
  const receipts = entries.map(receiptOf);
  const rules = batchRules(entries);
  const rows = await sql.query<{
    entry: number;
    status: string;
    member_id: string | null;
    stored_response: unknown;
    tier_version: number | null;
    tier_rank: number | null;
    tier_points: string | null;
    rule_applied: string | null;
    rule_grants: StoredGrant[] | null;
  }>(
    `select entry, status, member_id, stored_response, tier_version, tier_rank, tier_points,
            rule_applied, rule_grants
     from ledger_earn_batch(
       $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
       $8::bigint[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
       $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::jsonb[], $19,
       $20::bigint[], $21::bigint[], $22::jsonb[], $23::bigint[], $24::bigint[], $25::text,
       $26::bigint[], $27::jsonb)`,
    [
      entries.map((entry) => entry.transferId),
      entries.map((entry) => entry.partnerId),
      entries.map((entry) => entry.member.memberId ?? null),
      entries.map((entry) => entry.member.externalId ?? null),
      entries.map((entry) => entry.currency),
      entries.map((entry) => entry.points),
      entries.map((entry) => entry.transactionId),
      entries.map((entry) => entry.purchase?.amountMinor ?? null),
      entries.map((entry) => entry.purchase?.currency ?? null),
      entries.map((entry) => entry.createdAt),
      entries.map((entry) => entry.maturesAt),
      entries.map((entry) => entry.lotExpiresAt),
      entries.map((entry) => entry.description),
      entries.map((entry) => entry.claim.scope),
      entries.map((entry) => entry.claim.operation),
      entries.map((entry) => entry.claim.key),
      entries.map((entry) => entry.claim.requestHash),
      // A member event's receipt, stored with its key in idempotency_key; an earn's is its row.
      receipts.map((receipt, index) =>
        claimedOnTransfer(entries[index]!)
          ? null
          : JSON.stringify(earnReceiptCodec.encode(receipt)),
      ),
      options.skipLocked ?? false,
      // What is not the base line (earning rules' bonuses): the tier multiplier skips it.
      entries.map((entry) => bonusPoints(entry.lines)),
      rules?.worldMasks ?? null,
      // An earn's claim is stored on its transfer (migrations/0081), with the lines its receipt
      // lists before the tier and rule lines.
      entries.map((entry) =>
        claimedOnTransfer(entry) ? JSON.stringify(toJson(entry.lines)) : null,
      ),
      rules?.stopMasks ?? null,
      rules?.exclusiveMasks ?? null,
      rules?.grants ?? null,
      rules?.points ?? null,
      rules?.checks ?? null,
    ],
  );
  assert.equal(rows.rowCount, entries.length, 'one outcome per entry');
  // The tier each tiered earn was priced at, from its ladder version's parts (each version is
  // read once per process: TierReceiptParts keeps them).
  const tierParts = options.tierParts ?? new TierReceiptParts();
  const tiers: (TierReceiptPart | undefined)[] = [];
  for (const [index, row] of rows.rows.entries()) {
    if (row.tier_version === null) continue;
    const parts = await tierParts.get(sql, entries[index]!.currency, row.tier_version);
    tiers[index] = required(
      parts[required(row.tier_rank, 'the rank of a tiered earn')],
      'the tier of a rank',
    );
  }
  const tierPriced = (receipt: EarnReceipt, index: number): EarnReceipt => {
    const part = tiers[index];
    // An earn stored before migration 0027 carries its tier parts already.
    if (part === undefined || receipt.tier !== null) return receipt;
    const points = BigInt(
      required(rows.rows[index]!.tier_points, 'the tier line of a tiered earn'),
    );
    return {
      ...receipt,
      points: receipt.points + points,
      lines:
        points === 0n
          ? receipt.lines
          : [...receipt.lines, { kind: 'tier', points, description: part.line }],
      tier: part.tier,
    };
  };
  return rows.rows.map((row, index): EarnReceipt | DomainError | RowsBusy => {
    const entry = entries[index]!;
    if (row.status === 'claimed') {
      const receipt = ruleApplied(
        { ...receipts[index]!, memberId: required(row.member_id, 'the member of a claimed earn') },
        entry.rules,
        row.rule_applied,
      );
      return tierPriced(receipt, index);
    }
    if (row.status === 'busy') {
      assert.ok(options.skipLocked, 'only a batch that skips locked rows answers busy');
      return rowsBusy;
    }
    if (row.status === 'replay') {
      return tierPriced(
        rulePriced(earnReceiptCodec.decode(row.stored_response), row.rule_grants),
        index,
      );
    }
    if (row.status === 'unknown_member') {
      return new NotFound('member', (entry.member.memberId ?? entry.member.externalId)!);
    }
    if (isTransactionConflictReason(row.status)) {
      return new TransactionConflict(entry.transactionId, row.status);
    }
    assert.equal(row.status, 'conflict', `ledger_earn_batch answered status "${row.status}"`);
    return new IdempotencyKeyReused(entry.claim.key);
  });
}

/** What a ladder version says in the receipt of an earn priced at one of its tiers. */
interface TierReceiptPart {
  /** The tier and its benefits. */
  tier: EarnTier;
  /** The tier line's description (for example "Gold x1.5"). */
  line: string;
}

/**
 * Each ladder version's receipt parts by rank (`tier_ladder_version.earn_responses`). Versions
 * are never edited (a trigger refuses it, migrations/0027), so each is read once, by the first
 * batch it prices, and kept; one instance per database (the Ledger's).
 */
export class TierReceiptParts {
  private readonly byVersion = new Map<string, Promise<readonly TierReceiptPart[]>>();

  get(sql: Sql, currency: string, version: number): Promise<readonly TierReceiptPart[]> {
    const key = tierPartsKey(currency, version);
    let parts = this.byVersion.get(key);
    if (parts === undefined) {
      parts = sql
        .query<{ earn_responses: TierReceiptPart[] }>(
          'select earn_responses from tier_ladder_version where currency_code = $1 and version = $2',
          [currency, version],
        )
        .then(
          (result) =>
            required(result.rows[0], `ladder version ${version} of ${currency}`).earn_responses,
        );
      this.byVersion.set(key, parts);
      // A failed read is not kept: the next batch reads again.
      parts.catch(() => this.byVersion.delete(key));
    }
    return parts;
  }
}

function tierPartsKey(currency: string, version: number): string {
  return `${currency}\u0000${version}`;
}

/**
 * The batch's earning rules as `ledger_earn_batch` takes them (migrations/0096): array literals
 * built here, as their elements are numbers and nothing needs quoting (the driver quotes and
 * escapes every element of a JS array: twice this function's cost).
 */
interface BatchRules {
  /** Per entry, each world's candidates as a mask (bit o: candidate o): entries by worlds. */
  worldMasks: string;
  /** Per entry, which candidates are 'stop' and which 'exclusive' (masks). */
  stopMasks: string;
  exclusiveMasks: string;
  /** Per entry and candidate, its points: entries by candidates. */
  points: string;
  /** The grants as stored (JSON texts), in the same order, separated by U+001E. */
  grants: string;
  /** What only the batch can check, for the candidates that have any (JSON, 'e' the entry). */
  checks: string;
}

/**
 * JSON text never holds this control character unescaped (JSON.stringify writes \u001e), so
 * it separates the grants without quoting or escaping on either side.
 */
const grantSeparator = '\u001e';

/**
 * The batch's rule candidates (null when no entry has any, so a plain batch skips step 1d).
 * Candidate o is bit o of an entry's masks. Arrays are rectangular: an entry's last world is
 * repeated to the batch's widest (it stands for every rank above it), an entry without rules
 * has no candidate in any world, and past an entry's last candidate its points are 0 and its
 * grants empty. Only the checks travel as JSON objects: a few per earn, where the grants are
 * most of the bytes (migrations/0029 and 0096, step 1d).
 */
function batchRules(entries: readonly EarnEntry[]): BatchRules | null {
  let widestWorlds = 1;
  let widestCandidates = 0;
  for (const entry of entries) {
    if (!entry.rules) continue;
    widestWorlds = Math.max(widestWorlds, entry.rules.worlds.length);
    widestCandidates = Math.max(widestCandidates, entry.rules.candidates.length);
  }
  if (widestCandidates === 0) return null;
  const worldRows: string[] = [];
  const stops: number[] = [];
  const exclusives: number[] = [];
  const pointRows: string[] = [];
  const grants: string[] = [];
  const checks: unknown[] = [];
  for (const [e, entry] of entries.entries()) {
    const candidates = entry.rules?.candidates ?? [];
    assert.ok(candidates.length <= ruleCandidatesMax, 'at most 52 rule candidates per earn');
    let stop = 0;
    let excl = 0;
    const points: string[] = [];
    for (let o = 0; o < widestCandidates; o++) {
      const candidate = candidates[o];
      if (!candidate) {
        points.push('0');
        grants.push('');
        continue;
      }
      const bit = 2 ** o;
      if (candidate.stacking === 'stop') stop += bit;
      else if (candidate.stacking === 'exclusive') excl += bit;
      // JSON numbers: a grant is at most the transfer limit (10^12), exact in a double.
      const grantPoints = Number(candidate.points);
      const grant: StoredGrant = {
        r: candidate.ruleId,
        v: candidate.version,
        p: grantPoints,
        f: Number(candidate.partnerFundedPoints),
        d: candidate.description,
      };
      if (candidate.discount) {
        grant.x = { m: Number(candidate.discount.amountMinor), c: candidate.discount.currency };
      }
      if (candidate.voucher) grant.vc = storedVoucher(candidate.voucher);
      if (candidate.threshold !== null) grant.th = Number(candidate.threshold);
      const operatorFunded = candidate.points - candidate.partnerFundedPoints;
      if (operatorFunded > 0n) grant.o = Number(operatorFunded);
      grants.push(JSON.stringify(grant));
      points.push(candidate.points.toString());
      if (
        candidate.purchaseNumber !== null ||
        candidate.firstInCoalition ||
        candidate.perMember ||
        candidate.budgeted ||
        candidate.localDate !== null ||
        candidate.segmentId !== null ||
        candidate.offerId !== null
      ) {
        checks.push({
          e: e + 1,
          o,
          r: candidate.ruleId,
          p: grantPoints,
          n: candidate.purchaseNumber,
          c1: candidate.firstInCoalition || null,
          cap: candidate.perMember?.uses ?? null,
          per: candidate.perMember?.period ?? null,
          b: candidate.budgeted,
          ...(candidate.localDate !== null && {
            ld: candidate.localDate,
            tz: candidate.timeZone,
            bm: candidate.birthday?.scope === 'month' || null,
            bdd: candidate.birthday?.scope === 'days' ? candidate.birthday.days : null,
            an: candidate.anniversaryDays,
          }),
          // Sent only when set: other rules' checks stay as they were (migrations/0071).
          ...(candidate.segmentId !== null && { sg: candidate.segmentId }),
          ...(candidate.offerId !== null && { ao: candidate.offerId }),
        });
      }
    }
    const masks: number[] = (entry.rules?.worlds ?? [[]]).map((indexes) => {
      let mask = 0;
      for (const index of indexes) mask += 2 ** index;
      return mask;
    });
    while (masks.length < widestWorlds) masks.push(masks[masks.length - 1]!);
    worldRows.push(`{${masks.join(',')}}`);
    pointRows.push(`{${points.join(',')}}`);
    stops.push(stop);
    exclusives.push(excl);
  }
  return {
    worldMasks: `{${worldRows.join(',')}}`,
    stopMasks: `{${stops.join(',')}}`,
    exclusiveMasks: `{${exclusives.join(',')}}`,
    points: `{${pointRows.join(',')}}`,
    grants: grants.join(grantSeparator),
    checks: JSON.stringify(checks),
  };
}

/** Candidates are bits of a number in the batch, exact in a double up to 2^53. */
export const ruleCandidatesMax = 52;

/** A claimed earn's receipt with the lines of the candidates the batch applied (a bit mask). */
function ruleApplied(
  receipt: EarnReceipt,
  rules: RuleWorlds | null | undefined,
  applied: string | null,
): EarnReceipt {
  if (!rules || applied === null || applied === '0') return receipt;
  const mask = BigInt(applied);
  const lines = rules.candidates
    .filter((_, index) => (mask >> BigInt(index)) & 1n)
    .map(candidateLine);
  return withRuleLines(receipt, lines);
}

/** The receipt line of a rule candidate. */
export function candidateLine(candidate: RuleCandidate): EarnLine {
  const line: EarnLine = {
    kind: 'rule',
    points: candidate.points,
    description: candidate.description,
    ruleId: candidate.ruleId,
  };
  if (candidate.discount) line.discount = candidate.discount;
  if (candidate.voucher) line.voucher = candidate.voucher;
  return line;
}

function storedVoucher(voucher: IssuedVoucher): StoredVoucher {
  return {
    code: voucher.code,
    k: voucher.reward,
    sku: voucher.sku,
    bp: voucher.percentBp,
    exp: voucher.expiresAt.toISOString(),
  };
}

/** A replayed earn's receipt with the rule lines of the grants on its transfer (not stored). */
function rulePriced(receipt: EarnReceipt, grants: StoredGrant[] | null): EarnReceipt {
  if (!grants || grants.length === 0) return receipt;
  return withRuleLines(receipt, grantLines(grants));
}

/**
 * The receipt's rule lines of the grants stored on an earn's transfer (transfer.rule_grants):
 * replays and the wallet history read them.
 */
export async function ruleLinesOf(
  sql: Sql,
  transferIds: readonly string[],
): Promise<Map<string, EarnLine[]>> {
  const rows = await sql.query<{ id: string; rule_grants: StoredGrant[] }>(
    'select id, rule_grants from transfer where id = any($1::text[]) and rule_grants is not null',
    [transferIds],
  );
  return new Map(rows.rows.map((row) => [row.id, grantLines(row.rule_grants)]));
}

function grantLines(grants: readonly StoredGrant[]): EarnLine[] {
  return grants.map((grant): EarnLine => {
    const line: EarnLine = {
      kind: 'rule',
      points: BigInt(grant.p),
      description: grant.d,
      ruleId: grant.r,
    };
    if (grant.x) line.discount = { amountMinor: BigInt(grant.x.m), currency: grant.x.c };
    if (grant.vc) {
      line.voucher = {
        code: grant.vc.code,
        reward: grant.vc.k,
        sku: grant.vc.sku,
        percentBp: grant.vc.bp,
        expiresAt: new Date(grant.vc.exp),
      };
    }
    return line;
  });
}

/** The receipt with rule lines after its own, their points added. */
function withRuleLines(receipt: EarnReceipt, lines: EarnLine[]): EarnReceipt {
  return {
    ...receipt,
    points: receipt.points + sumPoints(lines),
    lines: [...receipt.lines, ...lines],
  };
}

function sumPoints(lines: readonly EarnLine[]): bigint {
  let sum = 0n;
  for (const line of lines) sum += line.points;
  return sum;
}

/** The points of an earn's lines other than its base line. */
function bonusPoints(lines: readonly EarnLine[]): bigint {
  let bonus = 0n;
  for (const line of lines) if (line.kind !== 'base') bonus += line.points;
  return bonus;
}

/**
 * Whether an entry's key is claimed with its transfer row (migrations/0081: a purchase's earn
 * under its transaction id, which always moves points) rather than in idempotency_key with its
 * receipt (a member event, which may move none and then writes no transfer; an earn under an
 * explicit idempotencyKey).
 */
function claimedOnTransfer(entry: EarnEntry): boolean {
  return entry.claim.operation === 'earn' && entry.claim.key === entry.transactionId;
}

/** The purchase an earn belongs to: the partner and its transaction id. */
export function purchaseKey(entry: EarnEntry): string {
  return `${entry.partnerId}\u0000${entry.transactionId}`;
}

function receiptOf(entry: EarnEntry): EarnReceipt {
  return {
    transferId: entry.transferId,
    // Filled in from the database's resolution of entry.member.
    memberId: '',
    currency: entry.currency,
    points: entry.points,
    lines: entry.lines,
    tier: null,
    maturesAt: entry.maturesAt,
    expiresAt: entry.lotExpiresAt,
    createdAt: entry.createdAt,
  };
}

/**
 * Earn receipts as stored with their key (by ledger_earn_batch, in the statement that posts): as
 * the caller priced them; a tiered earn's tier parts are added from its transfer on replay. An
 * earn claimed on its transfer (migrations/0081) stores no receipt: the batch rebuilds it in
 * this shape from the row (receipt_lines, matures_at, lot_expires_at) for a replay.
 */
export const earnReceiptCodec = receiptCodec<EarnReceipt>({
  points: 'bigint',
  lines: { points: 'bigint' },
  maturesAt: 'date',
  expiresAt: 'date',
  createdAt: 'date',
});
