import DataLoader from 'dataloader';
import type { App } from '../app';
import type { EarnLine } from '../ledger/earn';
import { expiringSoonDaysDefault } from '../ledger/limits';
import type { MemberBalance } from '../ledger/queries';
import { MemberRecord } from '../members/member.entity';
import type { CurrencyRecord } from '../programs/currency.entity';
import type { PartnerRecord } from '../programs/partner.entity';
import type { RequestContext } from '../shared/context';
import { WalletReads } from './wallet-reads';

const dayMs = 86_400_000;

/** The end of the UTC day `days` days after `now`: the horizon of "expiring soon". */
export function expiringHorizon(now: Date, days: number): Date {
  return new Date((Math.floor(now.getTime() / dayMs) + 1 + days) * dayMs);
}

/**
 * Per-request batching: every Member.balances in one query resolves in one SQL round trip.
 * Loaders live in the request context and die with it, so nothing is cached across callers.
 */
export interface Loaders {
  partner: DataLoader<string, PartnerRecord | null>;
  currency: DataLoader<string, CurrencyRecord | null>;
  member: DataLoader<string, MemberRecord | null>;
  balances: DataLoader<string, MemberBalance[]>;
  /** Earning rules' receipt lines of earns, by transfer id. */
  ruleLines: DataLoader<string, EarnLine[]>;
  /** A wallet's balances and first history page, in one statement when asked together. */
  wallet: WalletReads;
}

export function createLoaders(app: App, request: RequestContext): Loaders {
  // Counted to the end of a UTC day, so the answer is stable within a day (and cacheable).
  const expiringBefore = expiringHorizon(app.clock.now(), expiringSoonDaysDefault);
  const balances = new DataLoader<string, MemberBalance[]>(async (memberIds) => {
    const rows = await app.ledger.balances(memberIds, expiringBefore);
    return memberIds.map((id) => rows.filter((row) => row.memberId === id));
  });
  return {
    partner: new DataLoader((ids) => Promise.all(ids.map((id) => app.catalog.partner(id)))),
    currency: new DataLoader((codes) =>
      Promise.all(codes.map((code) => app.catalog.currency(code))),
    ),
    member: new DataLoader(async (ids) => {
      const members = await request.em.find(MemberRecord, { id: { $in: [...ids] } });
      const byId = new Map(members.map((member) => [member.id, member]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    ruleLines: new DataLoader(async (transferIds) => {
      const lines = await app.ledger.ruleLines(transferIds);
      return transferIds.map((id) => lines.get(id) ?? []);
    }),
    balances,
    wallet: new WalletReads(app, expiringBefore, (memberId, read) => {
      balances.prime(memberId, read);
    }),
  };
}
