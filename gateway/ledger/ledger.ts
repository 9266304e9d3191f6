import type { MembersChanged } from '../db/change-feed';
import type { Sql, SqlDatabase, TransactionOptions } from '../db/sql';
import { type Clock, systemClock } from '../shared/clock';
import { catchDomainError, DomainError } from '../shared/errors';
import type { DeadlineAt } from '../shared/transient';
import { AccountDirectory } from './accounts';
import {
  type EarnEntry,
  type EarnLine,
  type EarnReceipt,
  postEarns,
  ruleLinesOf,
  TierReceiptParts,
} from './earn';
import { EarnBatcher } from './earn-batcher';
import {
  type CancelEntry,
  type CancelReceipt,
  cancelConfirmedHold,
  findHolds,
  type HoldEntry,
  type HoldView,
  placeHold,
  type SettleEntry,
  type SettleReceipt,
  settleHold,
  voidExpiredHolds,
} from './holds';
import type { AccountKey } from './model';
import {
  type AccountView,
  findTransfers,
  listAccounts,
  listTransfers,
  type MemberBalance,
  memberBalances,
  type Page,
  type TransferView,
} from './queries';
import { postRefund, type RefundEntry, type RefundReceipt } from './refund';
import { postSpend, type SpendEntry, type SpendReceipt } from './spend';
import { expireDue, matureDue, type SweepProgress } from './sweeps';
import { type WalletFirstPage, walletFirstPage } from './wallet-read';

/**
 * The ledger's public face. Every write runs in one transaction (retried whole on serialization
 * failures and deadlocks) and is idempotent through its claim; expected failures come back as
 * DomainError values and leave nothing written.
 *
 * This module knows nothing of GraphQL or HTTP: callers validate and price requests, the ledger
 * moves points.
 */
export class Ledger {
  readonly accounts = new AccountDirectory();
  private readonly listeners: MembersChanged[] = [];
  // One statement per batch, committed by itself: no BEGIN and COMMIT round trips.
  private readonly tierParts = new TierReceiptParts();
  private readonly earnBatcher = new EarnBatcher((entries, mode) =>
    postEarns(this.db.retrying, entries, { ...mode, tierParts: this.tierParts }),
  );

  constructor(
    readonly db: SqlDatabase,
    readonly clock: Clock = systemClock,
  ) {}

  /**
   * Posts earns; one outcome per entry, in order. Concurrent calls are group-committed: the
   * batcher gathers them into shared transactions (see EarnBatcher). Errors:
   * IdempotencyKeyReused (per entry).
   */
  async earn(entries: readonly EarnEntry[]): Promise<(EarnReceipt | DomainError)[]> {
    const outcomes = await Promise.all(entries.map((entry) => this.earnBatcher.submit(entry)));
    this.changed(outcomes);
    return outcomes;
  }

  /**
   * Listens to this process's own committed changes, by member, told synchronously before the
   * write's caller gets its answer (the database's change feed tells every process, a little
   * later). Earns, payments, refunds, holds and their settlement, and every sweep (holds,
   * maturity, expiry) report here.
   */
  onMembersChanged(listener: MembersChanged): void {
    this.listeners.push(listener);
  }

  /** The earning rules' receipt lines of earns, by transfer id (earns without rules: absent). */
  ruleLines(transferIds: readonly string[]): Promise<Map<string, EarnLine[]>> {
    return ruleLinesOf(this.db, transferIds);
  }

  /** Tells the listeners of members a write outside the ledger's own methods changed (grants). */
  reportMembersChanged(memberIds: readonly string[]): void {
    if (memberIds.length > 0) for (const listener of this.listeners) listener([...memberIds]);
  }

  private changed(outcomes: readonly unknown[]): void {
    const memberIds = outcomes
      .filter((outcome): outcome is { memberId: string } => !(outcome instanceof DomainError))
      .map((outcome) => outcome.memberId);
    if (memberIds.length > 0) for (const listener of this.listeners) listener(memberIds);
  }

  /** One write in one transaction; its member is reported to the listeners when it succeeds. */
  private async reported<T extends { memberId: string }>(
    write: (sql: Sql) => Promise<T>,
    options: TransactionOptions,
  ): Promise<T | DomainError> {
    const outcome = await catchDomainError(() => this.db.transaction(write, options));
    this.changed([outcome]);
    return outcome;
  }

  /** Errors: InsufficientPoints, IdempotencyKeyReused. */
  spend(entry: SpendEntry, deadlineAt?: DeadlineAt): Promise<SpendReceipt | DomainError> {
    return this.reported((sql) => postSpend(sql, this.accounts, entry), {
      deadlineAt,
      lane: entry.partnerId,
    });
  }

  /** Errors: NotFound (purchase), RefundExceedsPurchase, InvalidInput, IdempotencyKeyReused. */
  refund(entry: RefundEntry, deadlineAt?: DeadlineAt): Promise<RefundReceipt | DomainError> {
    return this.reported((sql) => postRefund(sql, this.accounts, entry), {
      deadlineAt,
      lane: entry.partnerId,
    });
  }

  /** Holds points for a two-phase redemption. Errors: InsufficientPoints, IdempotencyKeyReused. */
  hold(entry: HoldEntry, deadlineAt?: DeadlineAt): Promise<SpendReceipt | DomainError> {
    return this.reported((sql) => placeHold(sql, this.accounts, entry), {
      deadlineAt,
      lane: entry.partnerId,
    });
  }

  /** Confirms or voids a hold. Errors: NotFound (hold), HoldNotActive, IdempotencyKeyReused. */
  settleHold(entry: SettleEntry, deadlineAt?: DeadlineAt): Promise<SettleReceipt | DomainError> {
    return this.reported((sql) => settleHold(sql, entry), {
      deadlineAt,
      lane: entry.partnerId ?? undefined,
    });
  }

  /**
   * Cancels a confirmed redemption: its points return to the member's lots. Errors: NotFound
   * (hold), RedemptionNotConfirmed, RedemptionAlreadyCancelled, IdempotencyKeyReused.
   */
  cancelRedemption(
    entry: CancelEntry,
    deadlineAt?: DeadlineAt,
  ): Promise<CancelReceipt | DomainError> {
    return this.reported((sql) => cancelConfirmedHold(sql, entry), {
      deadlineAt,
      lane: entry.partnerId,
    });
  }

  /** Voids holds whose time ran out by `asOf` (default now); returns how many. */
  voidExpiredHolds(asOf: Date = this.clock.now()): Promise<number> {
    return voidExpiredHolds(this.db, this.clock, asOf, (receipt) => this.changed([receipt]));
  }

  findHolds(ids: readonly string[]): Promise<HoldView[]> {
    return findHolds(this.db, ids);
  }

  /** Matures pending earns due by `asOf` (default now); returns how many. */
  matureDue(asOf: Date = this.clock.now(), progress?: SweepProgress): Promise<number> {
    return matureDue(this.db, this.clock, asOf, progress, (memberIds) =>
      this.reportMembersChanged(memberIds),
    );
  }

  /** Expires lots due by `asOf` (default now); returns how many accounts lost points. */
  expireDue(asOf: Date = this.clock.now(), progress?: SweepProgress): Promise<number> {
    return expireDue(this.db, this.accounts, this.clock, asOf, progress, (memberIds) =>
      this.reportMembersChanged(memberIds),
    );
  }

  /** Creates system accounts (idempotent); called when partners and currencies are set up. */
  async openSystemAccounts(keys: readonly AccountKey[]): Promise<void> {
    const ids = await this.db.transaction((sql) => this.accounts.resolve(sql, keys));
    this.accounts.remember(ids);
  }

  balances(memberIds: readonly string[], expiringBefore: Date): Promise<MemberBalance[]> {
    return memberBalances(this.db, memberIds, expiringBefore);
  }

  /** A member's balances and newest history page in one statement (wallet-read.ts). */
  walletFirstPage(memberId: string, expiringBefore: Date, first: number): Promise<WalletFirstPage> {
    return walletFirstPage(this.db, memberId, expiringBefore, first);
  }

  transfers(
    filter: { memberId: string } | { partnerId: string },
    first: number,
    after: string | null,
  ): Promise<Page<TransferView>> {
    return listTransfers(this.db, filter, first, after);
  }

  findTransfers(ids: readonly string[]): Promise<TransferView[]> {
    return findTransfers(this.db, ids);
  }

  listAccounts(
    filter: { ids: readonly bigint[] } | { ownerId: string },
    limit: number,
  ): Promise<AccountView[]> {
    return listAccounts(this.db, filter, limit);
  }
}
