import { recordAudit } from '../audit/audit-log';
import type { NamedStatement, Sql, SqlDatabase } from '../db/sql';
import type { Ledger } from '../ledger/ledger';
import { pageSizeMax } from '../ledger/limits';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, Forbidden, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { idPatterns } from '../shared/ids';
import { toJson } from '../shared/json';
import { TtlCache } from '../shared/ttl-cache';
import type { MemberDirectory } from './member-directory';

/**
 * Members' data rights (issue 17.6): export everything about a member, and erase their
 * personal data. By the operator for any member, by a member for themself; nobody else.
 *
 * What is personal, and what erasure does with it:
 * - the member's display name, email and birthday: replaced by "Erased member" and removed;
 * - the member's links to partners (the partner's own customer number for them: a frequent
 *   flyer or loyalty card number identifies the person at that partner): deleted, so no
 *   partner can find the member any more (this process at once; another gateway process's
 *   cached link within linkCacheMs);
 * - link codes the member issued: deleted.
 * What is not personal and stays, so ledger amounts, statements and settlement are unchanged:
 * the member id (a random identifier that names nobody once the rows above are gone), the
 * member's accounts, transfers, postings, lots and holds, and the partners' transaction ids.
 * Partners must not put personal data in free text they send (a decline reason): it is part
 * of the immutable history.
 *
 * An erased member can no longer sign in (isErased, checked when a token is accepted). The
 * erasure is recorded in the audit log (who, when; no before or after) and is idempotent:
 * erasing again answers the first erasure.
 */

export interface ErasureReceipt {
  memberId: string;
  erasedAt: Date;
}

/** Erasing a member fails with one of these, and no other (its result union is built from them). */
export const eraseMemberErrors = [InvalidInput, NotFound] as const;

/** Exporting a member fails with one of these, and no other. */
export const exportMemberErrors = [InvalidInput, NotFound] as const;

/** How long this process trusts that a member is not erased (another process's erasure). */
export const erasedCheckMs = 5_000;
const exportPageSize = 500;
export const erasedDisplayName = 'Erased member';

/** Asked for every member whose token is first seen (within erasedCheckMs): kept prepared. */
const memberErasedStatement: NamedStatement = {
  name: 'member_erased',
  text: 'select 1 from member where id = $1 and erased_at is not null',
};

export class MemberDataRights {
  private readonly erased = new TtlCache<string, boolean>(erasedCheckMs);
  /**
   * Every erased member, while the change feed keeps it current (followErasures): then a check
   * needs no query. `current` turns false when the feed stops listening on the connection the
   * set was loaded under; each check then asks the database again, as without a feed.
   */
  private erasedSet: { ids: Set<string>; current: () => boolean } | undefined;
  private erasedSetLoads = 0;
  /** Erased by this process: added to every set loaded, which may have been read before. */
  private readonly erasedHere = new Set<string>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: Ledger,
    private readonly directory: MemberDirectory,
    private readonly clock: Clock,
  ) {}

  /**
   * Whether the member was erased (then its tokens are refused): from the set the change feed
   * keeps, or from the database (cached for erasedCheckMs).
   */
  isErased(memberId: string): Promise<boolean> {
    const known = this.erasedSet;
    if (known?.current()) return Promise.resolve(known.ids.has(memberId));
    return this.erased.get(memberId, async () => {
      const rows = await this.db.query(memberErasedStatement, [memberId]);
      return rows.rowCount !== 0;
    });
  }

  /**
   * Loads every erased member, to answer isErased from memory while `current()` holds: called
   * by the gateway when its change feed (re)connects and whenever an erasure commits anywhere
   * (migration 0080). Until the load finishes, checks ask the database (the cache of earlier
   * answers is dropped); a later call supersedes an earlier one still loading.
   */
  async followErasures(current: () => boolean): Promise<void> {
    const load = ++this.erasedSetLoads;
    this.erasedSet = undefined;
    this.erased.clear();
    const rows = await this.db.query<{ id: string }>(
      'select id from member where erased_at is not null',
    );
    if (load !== this.erasedSetLoads || !current()) return;
    const ids = new Set(rows.rows.map((row) => row.id));
    for (const memberId of this.erasedHere) ids.add(memberId);
    this.erasedSet = { ids, current };
  }

  /**
   * Erases a member's personal data, in one transaction. A member erases themself and must
   * confirm; the operator erases anyone (and must confirm too). Errors (`eraseMemberErrors`):
   * InvalidInput (no confirmation, not a member id), NotFound, Forbidden (another member's,
   * or a caller who is neither).
   */
  erase(
    ctx: RequestContext,
    input: { memberId?: string; confirm: boolean },
  ): Promise<ErasureReceipt | ErrorOf<typeof eraseMemberErrors>> {
    return failsWith(eraseMemberErrors, async () => {
      const memberId = targetMember(ctx, input.memberId);
      if (input.confirm !== true) {
        throw new InvalidInput('confirm', 'erasure cannot be undone: confirm it with true');
      }
      const receipt = await this.db.transaction(async (sql) => {
        const rows = await sql.query<{ erased_at: Date | null }>(
          'select erased_at from member where id = $1 for update',
          [memberId],
        );
        if (rows.rowCount === 0) throw new NotFound('member', memberId);
        const erasedAt = rows.rows[0]!.erased_at;
        if (erasedAt) return { memberId, erasedAt };
        return this.eraseNow(sql, ctx, memberId);
      });
      this.erased.delete(memberId);
      this.erasedHere.add(memberId);
      this.erasedSet?.ids.add(memberId);
      this.directory.forgetLinks();
      return receipt;
    });
  }

  private async eraseNow(sql: Sql, ctx: RequestContext, memberId: string): Promise<ErasureReceipt> {
    const erasedAt = this.clock.now();
    await sql.query(
      'update member set display_name = $2, email = null, birth_month = null, birth_day = null, erased_at = $3 where id = $1',
      [memberId, erasedDisplayName, erasedAt],
    );
    await sql.query('delete from member_link where member_id = $1', [memberId]);
    await sql.query('delete from member_link_code where member_id = $1', [memberId]);
    // Segments and offers' lists of members forget the member now, not at the next refresh;
    // activations stay (a purchase's rule use may refer to them) and name no personal data.
    await sql.query(
      `with gone as (delete from segment_member where member_id = $1 returning segment_id)
       update segment s set member_count = s.member_count - 1 from gone where s.id = gone.segment_id`,
      [memberId],
    );
    await sql.query('delete from offer_target_member where member_id = $1', [memberId]);
    // Survey answers stay counted in their partners' results, without the member's words.
    await sql.query(
      `update survey_response set text_value = null
       where answer_id in (select id from survey_answer where member_id = $1)
         and text_value is not null`,
      [memberId],
    );
    // Who and when, never what: the log is append-only and must not keep the erased data.
    await recordAudit(sql, ctx, {
      entity: 'member',
      entityId: memberId,
      action: 'erase',
      before: null,
      after: null,
      at: erasedAt,
    });
    return { memberId, erasedAt };
  }

  /**
   * Everything about a member as JSON text, in chunks: profile, partner links, link codes,
   * balances, lots, holds, tiers (standing, grants, VIP terms, tier changes), vouchers,
   * referrals, receipts, segments, offers, survey answers and the full history with postings.
   * Read page by page, so a long history never sits in memory at once. Errors (`exportMemberErrors`): InvalidInput,
   * NotFound, Forbidden (another member's, or a caller who is neither), returned before the
   * first chunk.
   */
  exportMember(
    ctx: RequestContext,
    memberId: string | undefined,
  ): Promise<AsyncIterable<string> | ErrorOf<typeof exportMemberErrors>> {
    return failsWith(exportMemberErrors, async () => {
      const id = targetMember(ctx, memberId);
      const profile = await this.db.query(
        `select id, display_name as "displayName", email,
                case when birth_month is not null
                  then lpad(birth_month::text, 2, '0') || '-' || lpad(birth_day::text, 2, '0')
                end as birthday,
                created_at as "createdAt", erased_at as "erasedAt"
         from member where id = $1`,
        [id],
      );
      if (profile.rowCount === 0) throw new NotFound('member', id);
      return this.exportChunks(id, profile.rows[0]);
    });
  }

  private async *exportChunks(memberId: string, profile: unknown): AsyncIterable<string> {
    const now = this.clock.now();
    yield `{"exportedAt":${json(now)},"member":${json(profile)}`;
    const links = await this.db.query(
      `select partner_id as "partnerId", external_id as "externalId", created_at as "createdAt"
       from member_link where member_id = $1 order by partner_id`,
      [memberId],
    );
    yield `,"links":${json(links.rows)}`;
    const codes = await this.db.query(
      `select created_at as "createdAt", expires_at as "expiresAt", used_at as "usedAt",
              used_by_partner_id as "usedByPartnerId"
       from member_link_code where member_id = $1 order by created_at`,
      [memberId],
    );
    yield `,"linkCodes":${json(codes.rows)}`;
    yield `,"balances":${json(await this.ledger.balances([memberId], now))}`;
    yield* arraySection('lots', (after) => this.lotsPage(memberId, after));
    yield* arraySection('holds', (after) => this.holdsPage(memberId, after));
    // Tiers (docs/tiers.md): standing per program, grants, VIP terms and every tier change.
    const tiers = await this.db.query(
      `select currency_code as currency, rank, qualified_rank as "qualifiedRank",
              enrolled_at as "enrolledAt", enrolled_via as "enrolledVia", review_at as "reviewAt"
       from member_tier where member_id = $1 order by currency_code`,
      [memberId],
    );
    yield `,"tiers":${json(tiers.rows)}`;
    const grants = await this.db.query(
      `select currency_code as currency, kind, rank, starts_at as "startsAt", ends_at as "endsAt",
              reason, granted_by as "grantedBy"
       from tier_grant where member_id = $1 order by id`,
      [memberId],
    );
    yield `,"tierGrants":${json(grants.rows)}`;
    const qualification = await this.db.query(
      `select currency_code as currency, month, points, spend_minor as "spendMinor", activities
       from tier_qualification_by_month($1)`,
      [memberId],
    );
    yield `,"tierQualification":${json(qualification.rows)}`;
    const invitations = await this.db.query(
      `select currency_code as currency, used_at as "usedAt" from tier_invitation
       where used_by = $1 order by used_at`,
      [memberId],
    );
    yield `,"tierInvitationsUsed":${json(invitations.rows)}`;
    const vip = await this.db.query(
      `select s.id, s.currency_code as currency, s.plan, s.started_at as "startedAt",
              s.term_ends_at as "termEndsAt", s.cancelled_at as "cancelledAt",
              coalesce((select json_agg(json_build_object('termStartsAt', p.term_starts_at,
                          'feeMinor', p.fee_minor::text, 'feeCurrency', p.fee_currency,
                          'paymentReference', p.payment_reference) order by p.term_starts_at)
                        from vip_payment p where p.subscription_id = s.id), '[]') as payments
       from vip_subscription s where s.member_id = $1 order by s.id`,
      [memberId],
    );
    yield `,"vipSubscriptions":${json(vip.rows)}`;
    yield* arraySection('tierEvents', (after) => this.tierEventsPage(memberId, after));
    // Earning rules (docs/earning-rules.md): vouchers, referrals (the member's own code and
    // referral; those they made without the other member's id), registered receipts.
    const vouchers = await this.db.query(
      `select code, partner_id as "partnerId", currency_code as currency, rule_id as "ruleId",
              grant_item ->> 'd' as description, issued_at as "issuedAt", expires_at as "expiresAt",
              redeemed_at as "redeemedAt", redeemed_transaction_id as "redeemedTransactionId",
              voided_at as "voidedAt"
       from reward_voucher where member_id = $1 order by issued_at, code`,
      [memberId],
    );
    yield `,"vouchers":${json(vouchers.rows)}`;
    const referrals = await this.db.query(
      `select (select referral_code from member where id = $1) as code,
              coalesce((select json_agg(json_build_object('currency', currency_code,
                          'referrerId', referrer_id, 'partnerId', partner_id,
                          'enrolledAt', enrolled_at, 'rewardedAt', rewarded_at))
                        from referral where referee_id = $1), '[]') as "referredBy",
              coalesce((select json_agg(json_build_object('currency', currency_code,
                          'enrolledAt', enrolled_at, 'rewardedAt', rewarded_at) order by enrolled_at)
                        from referral where referrer_id = $1), '[]') as referred`,
      [memberId],
    );
    yield `,"referrals":${json(referrals.rows[0])}`;
    const receipts = await this.db.query(
      `select id, partner_id as "partnerId", receipt_number as "receiptNumber",
              purchased_at as "purchasedAt", status, created_at as "createdAt"
       from member_receipt where member_id = $1 order by id`,
      [memberId],
    );
    yield `,"receipts":${json(receipts.rows)}`;
    // Segments and offers (docs/segments-and-offers.md): the segments the member is in as last
    // refreshed, the offers made to them by name, and the offers they activated.
    const segments = await this.db.query(
      `select s.id, s.partner_id as "partnerId", s.kind, s.name, s.as_of as "asOf"
       from segment_member sm join segment s on s.id = sm.segment_id
       where sm.member_id = $1 order by s.id`,
      [memberId],
    );
    yield `,"segments":${json(segments.rows)}`;
    const offers = await this.db.query(
      `select o.id, o.partner_id as "partnerId", o.name, a.activated_at as "activatedAt",
              t.member_id is not null as "targetedByName"
       from offer o
       left join offer_activation a on a.offer_id = o.id and a.member_id = $1
       left join offer_target_member t on t.offer_id = o.id and t.member_id = $1
       where a.member_id is not null or t.member_id is not null
       order by o.id`,
      [memberId],
    );
    yield `,"offers":${json(offers.rows)}`;
    yield* arraySection('surveyAnswers', (after) => this.surveyAnswersPage(memberId, after));
    yield* arraySection('transfers', async (after) => {
      const page = await this.ledger.transfers({ memberId }, pageSizeMax, after);
      return { items: page.items, after: page.hasNextPage ? page.endCursor : null };
    });
    yield '}';
  }

  private async lotsPage(memberId: string, after: string | null) {
    const rows = await this.db.query<{ id: string }>(
      `select l.id::text as id, a.currency_code as currency, l.transfer_id as "transferId",
              l.amount_points as "amountPoints", l.remaining_points as "remainingPoints",
              l.expires_at as "expiresAt", l.created_at as "createdAt"
       from lot l join account a on a.id = l.account_id
       where a.member_id = $1 and l.id > $2::bigint order by l.id limit $3`,
      [memberId, after ?? '0', exportPageSize],
    );
    return { items: rows.rows, after: nextAfter(rows.rows, (row) => row.id) };
  }

  private async tierEventsPage(memberId: string, after: string | null) {
    const rows = await this.db.query<{ id: string }>(
      `select id::text as id, currency_code as currency, at, from_rank as "fromRank",
              to_rank as "toRank", reason, detail
       from tier_event where member_id = $1 and id > $2::bigint order by id limit $3`,
      [memberId, after ?? '0', exportPageSize],
    );
    return { items: rows.rows, after: nextAfter(rows.rows, (row) => row.id) };
  }

  /** The member's survey answers with their responses (text, unless erased). */
  private async surveyAnswersPage(memberId: string, after: string | null) {
    const rows = await this.db.query<{ id: string }>(
      `select a.id, a.survey_id as "surveyId", a.client_answer_id as "clientAnswerId",
              a.consent_to_share_text as "consentToShareText", a.reward_state as "rewardState",
              a.reward_points::text as "rewardPoints", a.reward_transfer_id as "rewardTransferId",
              a.created_at as "createdAt",
              coalesce((select json_agg(json_build_object('questionId', r.question_id,
                          'rating', r.rating, 'choiceIds', r.choice_ids, 'text', r.text_value)
                          order by r.question_id)
                        from survey_response r where r.answer_id = a.id), '[]') as responses
       from survey_answer a where a.member_id = $1 and a.id > $2 order by a.id limit $3`,
      [memberId, after ?? '', exportPageSize],
    );
    return { items: rows.rows, after: nextAfter(rows.rows, (row) => row.id) };
  }

  private async holdsPage(memberId: string, after: string | null) {
    const rows = await this.db.query<{ holdId: string }>(
      `select hold_transfer_id as "holdId", partner_id as "partnerId", reward_id as "rewardId",
              status, confirmed_points as "confirmedPoints", settled_transfer_id as "settledTransferId",
              cancel_transfer_id as "cancelTransferId", reason, expires_at as "expiresAt",
              created_at as "createdAt", settled_at as "settledAt", cancelled_at as "cancelledAt"
       from redemption_hold
       where member_id = $1 and hold_transfer_id > $2 order by hold_transfer_id limit $3`,
      [memberId, after ?? '', exportPageSize],
    );
    return { items: rows.rows, after: nextAfter(rows.rows, (row) => row.holdId) };
  }
}

/** The member a request is about: a member's own (naming another is Forbidden), or the one the operator names. */
function targetMember(ctx: RequestContext, memberId: string | undefined): string {
  const caller = requireCaller(ctx, 'member', 'operator', 'system');
  if (caller.kind === 'member') {
    if (memberId !== undefined && memberId !== caller.memberId) {
      throw new Forbidden('a member exercises these rights for themself only');
    }
    return caller.memberId;
  }
  if (memberId === undefined || !idPatterns.member.test(memberId)) {
    throw new InvalidInput('memberId', 'name the member (mbr_...)');
  }
  return memberId;
}

/** The cursor after a full page; null after the last. */
function nextAfter<Row>(rows: Row[], key: (row: Row) => string): string | null {
  const last = rows.at(-1);
  return rows.length === exportPageSize && last ? key(last) : null;
}

/** `,"name":[...]` with the items of every page, one page in memory at a time. */
async function* arraySection<Item>(
  name: string,
  page: (after: string | null) => Promise<{ items: Item[]; after: string | null }>,
): AsyncIterable<string> {
  yield `,${JSON.stringify(name)}:[`;
  let after: string | null = null;
  let first = true;
  do {
    const next = await page(after);
    if (next.items.length > 0) {
      yield `${first ? '' : ','}${next.items.map(json).join(',')}`;
      first = false;
    }
    after = next.after;
  } while (after !== null);
  yield ']';
}

function json(value: unknown): string {
  return JSON.stringify(toJson(value));
}
