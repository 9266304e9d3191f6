import { strict as assert } from 'node:assert';
import type { Sql } from '../db/sql';
import { lockAccounts } from './accounts';
import { pointsPerTransferMax } from './limits';
import type { PostingDraft, TransferDraft } from './model';

export const postingsPerTransferMax = 16;

/**
 * Writes transfers and their postings and moves the account totals, in the caller's
 * transaction. The caller must already hold the locks of the member accounts involved (and have
 * checked their balances); the system accounts are locked here, last and in id order, so hot
 * system accounts are held for as short a time as possible.
 *
 * Each rule is asserted here before the write and enforced again by the database
 * (amount_must_be_positive, accounts_must_be_different, the account/currency foreign keys,
 * member_balance_must_not_be_negative).
 */
export async function writeTransfers(sql: Sql, drafts: readonly TransferDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  const postings: (PostingDraft & { transferId: string; index: number })[] = [];
  for (const draft of drafts) {
    assert.ok(draft.postings.length <= postingsPerTransferMax, 'transfer has too many postings');
    draft.postings.forEach((posting, index) => {
      assertPosting(posting);
      postings.push({ ...posting, transferId: draft.id, index });
    });
  }

  await sql.query(
    // A transfer carries its first posting's currency, points and kind (migration 0098), which
    // is what a settlement close prices; the posting itself is written below.
    `insert into transfer (id, code, partner_id, member_id, external_id, related_id,
                           purchase_amount_minor, purchase_currency, description, created_at,
                           first_currency_code, first_amount_points, first_posting_kind)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::bigint[], $8::text[], $9::text[], $10::timestamptz[], $11::text[],
                          $12::bigint[], $13::text[])`,
    [
      drafts.map((draft) => draft.id),
      drafts.map((draft) => draft.code),
      drafts.map((draft) => draft.partnerId),
      drafts.map((draft) => draft.memberId),
      drafts.map((draft) => draft.externalId),
      drafts.map((draft) => draft.relatedId),
      drafts.map((draft) => draft.purchase?.amountMinor ?? null),
      drafts.map((draft) => draft.purchase?.currency ?? null),
      drafts.map((draft) => draft.description),
      drafts.map((draft) => draft.createdAt),
      drafts.map((draft) => draft.postings[0]?.currency ?? null),
      drafts.map((draft) => draft.postings[0]?.amountPoints ?? null),
      drafts.map((draft) => draft.postings[0]?.kind ?? null),
    ],
  );
  if (postings.length === 0) return; // e.g. a refund too small to move a whole point
  await sql.query(
    `insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                          currency_code, amount_points)
     select * from unnest($1::text[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[],
                          $6::text[], $7::bigint[])`,
    [
      postings.map((posting) => posting.transferId),
      postings.map((posting) => posting.index),
      postings.map((posting) => posting.kind),
      postings.map((posting) => posting.sourceAccountId),
      postings.map((posting) => posting.targetAccountId),
      postings.map((posting) => posting.currency),
      postings.map((posting) => posting.amountPoints),
    ],
  );
  await applyToTotals(sql, postings);
}

function assertPosting(posting: PostingDraft): void {
  assert.ok(posting.amountPoints > 0n, 'amount_must_be_positive');
  assert.ok(posting.amountPoints <= pointsPerTransferMax, 'amount_must_be_within_limit');
  assert.ok(posting.sourceAccountId !== posting.targetAccountId, 'accounts_must_be_different');
}

interface TotalsDelta {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

/** How one posting changes its source and target accounts' totals. */
export function postingDeltas(posting: PostingDraft): { source: TotalsDelta; target: TotalsDelta } {
  const amount = posting.amountPoints;
  const zero = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
  switch (posting.kind) {
    case 'posted':
      return {
        source: { ...zero, debitsPosted: amount },
        target: { ...zero, creditsPosted: amount },
      };
    case 'pending':
      return {
        source: { ...zero, debitsPending: amount },
        target: { ...zero, creditsPending: amount },
      };
    case 'post_pending':
      return {
        source: { ...zero, debitsPending: -amount, debitsPosted: amount },
        target: { ...zero, creditsPending: -amount, creditsPosted: amount },
      };
    case 'void_pending':
      return {
        source: { ...zero, debitsPending: -amount },
        target: { ...zero, creditsPending: -amount },
      };
  }
}

async function applyToTotals(sql: Sql, postings: readonly PostingDraft[]): Promise<void> {
  const deltas = new Map<bigint, TotalsDelta>();
  const add = (accountId: bigint, delta: TotalsDelta) => {
    const current = deltas.get(accountId);
    if (!current) {
      deltas.set(accountId, { ...delta });
      return;
    }
    current.debitsPosted += delta.debitsPosted;
    current.creditsPosted += delta.creditsPosted;
    current.debitsPending += delta.debitsPending;
    current.creditsPending += delta.creditsPending;
  };
  for (const posting of postings) {
    const { source, target } = postingDeltas(posting);
    add(posting.sourceAccountId, source);
    add(posting.targetAccountId, target);
  }
  const ids = [...deltas.keys()];
  // Member accounts are already held by the caller; this takes the system accounts, in order.
  await lockAccounts(sql, ids);
  const values = [...deltas.values()];
  await sql.query(
    `update account a
     set debits_posted = a.debits_posted + d.debits_posted,
         credits_posted = a.credits_posted + d.credits_posted,
         debits_pending = a.debits_pending + d.debits_pending,
         credits_pending = a.credits_pending + d.credits_pending
     from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
       as d(id, debits_posted, credits_posted, debits_pending, credits_pending)
     where a.id = d.id`,
    [
      ids,
      values.map((value) => value.debitsPosted),
      values.map((value) => value.creditsPosted),
      values.map((value) => value.debitsPending),
      values.map((value) => value.creditsPending),
    ],
  );
}
