import type { NamedStatement, Sql } from '../db/sql';
import type { PostingKind } from './model';
import {
  type BalanceRow,
  balanceFromRow,
  type MemberBalance,
  type MemberPosting,
  type Page,
  pageOf,
  type TransferOf,
  type TransferRow,
} from './queries';

/** A transfer as a member's wallet shows it: its postings say only what was the member's. */
export type WalletTransferView = TransferOf<MemberPosting>;

/** What a wallet shows first: every balance and the newest page of history. */
export interface WalletFirstPage {
  balances: MemberBalance[];
  page: Page<WalletTransferView>;
}

/**
 * One member's balances and the first page of their history (with its postings) in one
 * statement: the whole of an uncached wallet read's ledger work in one round trip, where the
 * balances and the page were two statements on two pooled connections. The rows of both parts
 * come in one result, told apart by `part` ('b' before 'h'): the balances by currency, then the
 * page as `listTransfers` reads it. The same rows and the same mapping as `memberBalances` and
 * `listTransfers`, so the answer is the same.
 *
 * A posting's accounts are not joined: which of them is the member's is known from the
 * balances' own account ids (a member account is the one whose owner is the member, the
 * account table's constraints say), and that is all a wallet entry shows of them. The two
 * account lookups per posting were half the statement's buffers.
 */
export async function walletFirstPage(
  sql: Sql,
  memberId: string,
  expiringBefore: Date,
  first: number,
): Promise<WalletFirstPage> {
  const rows = await sql.query<WalletRow>(walletFirstPageStatement, [
    memberId,
    expiringBefore,
    first + 1,
  ]);
  const balanceRows: (BalanceRow & { account_id: bigint })[] = [];
  let pageFrom = rows.rows.length;
  for (let index = 0; index < rows.rows.length; index++) {
    const row = rows.rows[index]!;
    if (row.part !== 'b') {
      pageFrom = index;
      break;
    }
    balanceRows.push(row as BalanceRow & { account_id: bigint });
  }
  const memberAccounts = new Set(balanceRows.map((row) => row.account_id));
  const ownerIfMember = (accountId: bigint) => (memberAccounts.has(accountId) ? memberId : null);
  const historyRows = rows.rows.slice(pageFrom).filter(isTransferRow);
  return {
    balances: balanceRows.map((row) => balanceFromRow(row, expiringBefore)),
    page: pageOf(historyRows, first, (row) => ({
      kind: row.kind!,
      currency: row.currency_code!,
      amountPoints: row.amount_points!,
      sourceMemberId: ownerIfMember(row.source_account_id!),
      targetMemberId: ownerIfMember(row.target_account_id!),
    })),
  };
}

interface WalletPostingRow {
  transfer_id: string;
  kind: PostingKind;
  source_account_id: bigint;
  target_account_id: bigint;
  amount_points: bigint;
}

type WalletRow = { part: 'b' | 'h'; account_id: bigint | null } & Nullable<BalanceRow> &
  Nullable<TransferRow> &
  Nullable<WalletPostingRow>;
type Nullable<Row> = { [Column in keyof Row]: Row[Column] | null };

function isTransferRow(row: WalletRow): row is WalletRow & TransferRow {
  return row.id !== null;
}

// $1: the member; $2: the expiring-soon horizon; $3: the page size plus one. A balance row and
// a history row share member_id (the account's member, the transfer's) and currency_code (the
// account's, the posting's); sort_currency orders the balances only.
export const walletFirstPageStatement: NamedStatement = {
  name: 'wallet_first_page_member_postings',
  text: `select 'b' as part, a.currency_code as sort_currency, a.id as account_id, a.member_id,
                a.currency_code, a.credits_posted, a.debits_posted, a.debits_pending,
                a.credits_pending, e.expiring, e.next_expiry,
                null::text as id, null::text as code, null::text as partner_id,
                null::text as external_id, null::text as related_id,
                null::bigint as purchase_amount_minor, null::text as purchase_currency,
                null::text as description, null::timestamptz as created_at,
                null::text as transfer_id, null::text as kind,
                null::bigint as source_account_id, null::bigint as target_account_id,
                null::bigint as amount_points, null::smallint as posting_index
         from account a
         left join lateral (
           select sum(remaining_points) filter (where expires_at < $2)::bigint as expiring,
                  min(expires_at) as next_expiry
           from lot where account_id = a.id and remaining_points > 0 and expires_at is not null
         ) e on true
         where a.owner_id = $1 and a.kind = 'member'
         union all
         select 'h', null, null, t.member_id, p.currency_code, null, null, null, null, null, null,
                t.id, t.code, t.partner_id, t.external_id, t.related_id,
                t.purchase_amount_minor, t.purchase_currency, t.description, t.created_at,
                p.transfer_id, p.kind, p.source_account_id, p.target_account_id,
                p.amount_points, p.index
         from (select id, code, partner_id, member_id, external_id, related_id,
                      purchase_amount_minor, purchase_currency, description, created_at
               from transfer
               where member_id = $1
               order by id desc limit $3) t
         left join posting p on p.transfer_id = t.id
         order by part, sort_currency, id desc, posting_index`,
};
