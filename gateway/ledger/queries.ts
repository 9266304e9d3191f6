import type { NamedStatement, Sql } from '../db/sql';
import type { AccountKind, PostingKind, TransferCode } from './model';

/** A member's balance in one currency. */
export interface MemberBalance {
  memberId: string;
  currency: string;
  /** Spendable now. */
  availablePoints: bigint;
  /** Earned but not yet matured. */
  pendingPoints: bigint;
  /** Reserved by two-phase redemptions awaiting the partner's confirmation. */
  heldPoints: bigint;
  /** Part of the available points whose lots expire before `expiringBefore`. */
  expiringSoonPoints: bigint;
  expiringBefore: Date;
  /** The soonest expiry among the available points, if any expire. */
  nextExpiryAt: Date | null;
}

const memberBalancesStatement: NamedStatement = {
  name: 'member_balances',
  text: `select a.member_id, a.currency_code, a.credits_posted, a.debits_posted, a.debits_pending,
                a.credits_pending, e.expiring, e.next_expiry
         from account a
         left join lateral (
           select sum(remaining_points) filter (where expires_at < $2)::bigint as expiring,
                  min(expires_at) as next_expiry
           from lot where account_id = a.id and remaining_points > 0 and expires_at is not null
         ) e on true
         where a.owner_id = any($1::text[]) and a.kind = 'member'
         order by a.member_id, a.currency_code`,
};

/** Balances of many members at once (one query; the GraphQL loaders batch through this). */
export async function memberBalances(
  sql: Sql,
  memberIds: readonly string[],
  expiringBefore: Date,
): Promise<MemberBalance[]> {
  const rows = await sql.query<BalanceRow>(memberBalancesStatement, [memberIds, expiringBefore]);
  return rows.rows.map((row) => balanceFromRow(row, expiringBefore));
}

/** A member account's totals and its open lots' expiry, as the balance queries select them. */
export interface BalanceRow {
  member_id: string;
  currency_code: string;
  credits_posted: bigint;
  debits_posted: bigint;
  debits_pending: bigint;
  credits_pending: bigint;
  expiring: bigint | null;
  next_expiry: Date | null;
}

export function balanceFromRow(row: BalanceRow, expiringBefore: Date): MemberBalance {
  return {
    memberId: row.member_id,
    currency: row.currency_code,
    availablePoints: row.credits_posted - row.debits_posted - row.debits_pending,
    pendingPoints: row.credits_pending,
    heldPoints: row.debits_pending,
    expiringSoonPoints: row.expiring ?? 0n,
    expiringBefore,
    nextExpiryAt: row.next_expiry,
  };
}

/** How a transfer changed one member's balance in one currency. */
export interface BalanceChange {
  currency: string;
  availablePoints: bigint;
  pendingPoints: bigint;
  heldPoints: bigint;
}

/** A transfer with its postings, as a page of history shows it. */
export interface TransferOf<Posting> {
  id: string;
  code: TransferCode;
  partnerId: string | null;
  memberId: string | null;
  externalId: string | null;
  relatedId: string | null;
  purchaseMinor: bigint | null;
  purchaseCurrency: string | null;
  description: string;
  createdAt: Date;
  postings: Posting[];
}

export type TransferView = TransferOf<PostingView>;

/**
 * What a member's view of a posting needs (changesFor): amount, kind, currency, and whether
 * the source or target account is a member's. A wallet's history reads only this
 * (wallet-read.ts); a member id there is the wallet's member's, or null for anyone else's.
 */
export interface MemberPosting {
  kind: PostingKind;
  currency: string;
  amountPoints: bigint;
  /** The member owning the source/target account, when it is a member account. */
  sourceMemberId: string | null;
  targetMemberId: string | null;
}

export interface PostingView extends MemberPosting {
  sourceAccountId: bigint;
  targetAccountId: bigint;
  source: AccountOwner;
  target: AccountOwner;
}

/** Whose an account is, as shown beside a posting. */
export interface AccountOwner {
  id: bigint;
  kind: AccountKind;
  memberId: string | null;
  partnerId: string | null;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the last item: pass as `after` for the next page. */
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * Transfers newest first, by member or by partner, paginated by transfer id (ids sort by
 * creation time). Fetches one more than asked to know whether another page follows.
 */
export async function listTransfers(
  sql: Sql,
  filter: { memberId: string } | { partnerId: string },
  first: number,
  after: string | null,
): Promise<Page<TransferView>> {
  const byMember = 'memberId' in filter;
  const rows = await sql.query<TransferRow & NullablePostingRow>(
    byMember ? transfersByMemberStatement : transfersByPartnerStatement,
    [byMember ? filter.memberId : filter.partnerId, after, first + 1],
  );
  return pageOfRows(rows.rows, first);
}

/**
 * A page from transfer rows joined with their postings (newest transfer first, each one's
 * postings in order, posting columns null for a transfer without any), `first` + 1 transfers
 * at most: the one past the page says that another page follows.
 */
export function pageOfRows(
  rows: readonly (TransferRow & NullablePostingRow)[],
  first: number,
): Page<TransferView> {
  return pageOf(rows, first, (row) => postingView(row as PostingRow));
}

/** pageOfRows with the postings as `postingOf` makes them (a row whose transfer_id is set). */
export function pageOf<Row extends TransferRow & { transfer_id: string | null }, Posting>(
  rows: readonly Row[],
  first: number,
  postingOf: (row: Row) => Posting,
): Page<TransferOf<Posting>> {
  const transfers: TransferOf<Posting>[] = [];
  for (const row of rows) {
    let transfer = transfers.at(-1);
    if (transfer?.id !== row.id) {
      transfer = transferView(row, []);
      transfers.push(transfer);
    }
    if (row.transfer_id !== null) transfer.postings.push(postingOf(row));
  }
  const items = transfers.slice(0, first);
  return {
    items,
    endCursor: items.at(-1)?.id ?? null,
    hasNextPage: transfers.length > first,
  };
}

/**
 * A page of transfers with their postings, in one round trip (a wallet read made three):
 * the page (one more than asked, to know whether another follows), newest first, each
 * transfer's postings in order.
 */
function transfersWithPostings(column: 'member_id' | 'partner_id'): string {
  return `select t.id, t.code, t.partner_id, t.member_id, t.external_id, t.related_id,
                 t.purchase_amount_minor, t.purchase_currency, t.description, t.created_at,
                 ${postingColumns}
          from (select id, code, partner_id, member_id, external_id, related_id,
                       purchase_amount_minor, purchase_currency, description, created_at
                from transfer
                where ${column} = $1 and ($2::text is null or id < $2)
                order by id desc limit $3) t
          left join posting p on p.transfer_id = t.id
          left join account s on s.id = p.source_account_id
          left join account a on a.id = p.target_account_id
          order by t.id desc, p.index`;
}

export const postingColumns = `p.transfer_id, p.kind, p.source_account_id, p.target_account_id,
                 p.currency_code, p.amount_points, s.member_id as source_member_id,
                 a.member_id as target_member_id, s.kind as source_kind, a.kind as target_kind,
                 s.partner_id as source_partner_id, a.partner_id as target_partner_id`;

const transfersByMemberStatement: NamedStatement = {
  name: 'transfers_by_member',
  text: transfersWithPostings('member_id'),
};
const transfersByPartnerStatement: NamedStatement = {
  name: 'transfers_by_partner',
  text: transfersWithPostings('partner_id'),
};

export async function findTransfers(sql: Sql, ids: readonly string[]): Promise<TransferView[]> {
  const rows = await sql.query<TransferRow>(
    `select id, code, partner_id, member_id, external_id, related_id, purchase_amount_minor,
            purchase_currency, description, created_at
     from transfer where id = any($1::text[])`,
    [ids],
  );
  return withPostings(sql, rows.rows);
}

/** The change a transfer made to one member's balances, per currency. */
export function changesFor(
  transfer: { postings: readonly MemberPosting[] },
  memberId: string,
): BalanceChange[] {
  const changes = new Map<string, BalanceChange>();
  const change = (currency: string) => {
    let value = changes.get(currency);
    if (!value) {
      value = { currency, availablePoints: 0n, pendingPoints: 0n, heldPoints: 0n };
      changes.set(currency, value);
    }
    return value;
  };
  for (const posting of transfer.postings) {
    const amount = posting.amountPoints;
    if (posting.targetMemberId === memberId) {
      const target = change(posting.currency);
      if (posting.kind === 'posted') target.availablePoints += amount;
      if (posting.kind === 'pending') target.pendingPoints += amount;
      if (posting.kind === 'post_pending') {
        target.pendingPoints -= amount;
        target.availablePoints += amount;
      }
      if (posting.kind === 'void_pending') target.pendingPoints -= amount;
    }
    if (posting.sourceMemberId === memberId) {
      const source = change(posting.currency);
      if (posting.kind === 'posted') source.availablePoints -= amount;
      if (posting.kind === 'pending') {
        source.availablePoints -= amount;
        source.heldPoints += amount;
      }
      if (posting.kind === 'post_pending') source.heldPoints -= amount;
      if (posting.kind === 'void_pending') {
        source.heldPoints -= amount;
        source.availablePoints += amount;
      }
    }
  }
  return [...changes.values()];
}

export interface TransferRow {
  id: string;
  code: TransferCode;
  partner_id: string | null;
  member_id: string | null;
  external_id: string | null;
  related_id: string | null;
  purchase_amount_minor: bigint | null;
  purchase_currency: string | null;
  description: string;
  created_at: Date;
}

interface PostingRow {
  transfer_id: string;
  kind: PostingKind;
  source_account_id: bigint;
  target_account_id: bigint;
  currency_code: string;
  amount_points: bigint;
  source_member_id: string | null;
  target_member_id: string | null;
  source_kind: AccountKind;
  target_kind: AccountKind;
  source_partner_id: string | null;
  target_partner_id: string | null;
}

/** A posting row of an outer join: all null when the transfer has none. */
export type NullablePostingRow = { [Column in keyof PostingRow]: PostingRow[Column] | null };

function postingView(posting: PostingRow): PostingView {
  return {
    kind: posting.kind,
    sourceAccountId: posting.source_account_id,
    targetAccountId: posting.target_account_id,
    currency: posting.currency_code,
    amountPoints: posting.amount_points,
    source: {
      id: posting.source_account_id,
      kind: posting.source_kind,
      memberId: posting.source_member_id,
      partnerId: posting.source_partner_id,
    },
    target: {
      id: posting.target_account_id,
      kind: posting.target_kind,
      memberId: posting.target_member_id,
      partnerId: posting.target_partner_id,
    },
    sourceMemberId: posting.source_member_id,
    targetMemberId: posting.target_member_id,
  };
}

function transferView<Posting>(row: TransferRow, postings: Posting[]): TransferOf<Posting> {
  return {
    id: row.id,
    code: row.code,
    partnerId: row.partner_id,
    memberId: row.member_id,
    externalId: row.external_id,
    relatedId: row.related_id,
    purchaseMinor: row.purchase_amount_minor,
    purchaseCurrency: row.purchase_currency,
    description: row.description,
    createdAt: row.created_at,
    postings,
  };
}

async function withPostings(sql: Sql, rows: readonly TransferRow[]): Promise<TransferView[]> {
  if (rows.length === 0) return [];
  const postings = await sql.query<PostingRow>(
    `select ${postingColumns}
     from posting p
     join account s on s.id = p.source_account_id
     join account a on a.id = p.target_account_id
     where p.transfer_id = any($1::text[])
     order by p.transfer_id, p.index`,
    [rows.map((row) => row.id)],
  );
  const byTransfer = new Map<string, PostingView[]>();
  for (const posting of postings.rows) {
    const list = byTransfer.get(posting.transfer_id) ?? [];
    list.push(postingView(posting));
    byTransfer.set(posting.transfer_id, list);
  }
  return rows.map((row) => transferView(row, byTransfer.get(row.id) ?? []));
}

export interface AccountView {
  id: bigint;
  kind: AccountKind;
  currency: string;
  memberId: string | null;
  partnerId: string | null;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

/** Accounts by id, or all accounts of one owner (a member or partner id), at most `limit`. */
export async function listAccounts(
  sql: Sql,
  filter: { ids: readonly bigint[] } | { ownerId: string },
  limit: number,
): Promise<AccountView[]> {
  const byIds = 'ids' in filter;
  const rows = await sql.query<{
    id: bigint;
    kind: AccountKind;
    currency_code: string;
    member_id: string | null;
    partner_id: string | null;
    debits_posted: bigint;
    credits_posted: bigint;
    debits_pending: bigint;
    credits_pending: bigint;
  }>(
    `select id, kind, currency_code, member_id, partner_id, debits_posted, credits_posted,
            debits_pending, credits_pending
     from account where ${byIds ? 'id = any($1::bigint[])' : 'owner_id = $1'}
     order by id limit $2`,
    [byIds ? filter.ids : filter.ownerId, limit],
  );
  return rows.rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    currency: row.currency_code,
    memberId: row.member_id,
    partnerId: row.partner_id,
    debitsPosted: row.debits_posted,
    creditsPosted: row.credits_posted,
    debitsPending: row.debits_pending,
    creditsPending: row.credits_pending,
  }));
}
