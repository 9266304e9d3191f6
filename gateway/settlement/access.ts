import type { RequestContext } from '../shared/context';
import { Forbidden } from '../shared/errors';

/**
 * Who sees settlement data. A partner's finance users see their own statements and
 * reconciliations; the operator's finance users (and the operator, and system jobs) see
 * everything and are the only ones who change terms, close periods and post adjustments.
 * Members and partners' point-of-sale tokens see none of it.
 */
export type SettlementViewer =
  | { scope: 'all'; userId: string }
  | { scope: 'partner'; partnerId: string; userId: string };

export function settlementViewer(ctx: RequestContext): SettlementViewer {
  const caller = ctx.caller;
  if (caller.kind === 'finance') {
    return caller.partnerId === undefined
      ? { scope: 'all', userId: `finance:${caller.userId}` }
      : { scope: 'partner', partnerId: caller.partnerId, userId: `finance:${caller.userId}` };
  }
  if (caller.kind === 'operator') return { scope: 'all', userId: `operator:${caller.userId}` };
  if (caller.kind === 'system') return { scope: 'all', userId: 'system' };
  throw new Forbidden('settlement data is for finance users and the operator');
}

/** Operator-level settlement work (terms, periods, adjustments). Returns who is acting. */
export function requireSettlementAdmin(ctx: RequestContext): string {
  const viewer = settlementViewer(ctx);
  if (viewer.scope !== 'all') {
    throw new Forbidden('only the operator’s finance users may do this');
  }
  return viewer.userId;
}

/**
 * The partner whose data is asked for: a partner's finance user gets its own (asking for
 * another's is Forbidden); the operator's must name one when `required`.
 */
export function partnerInScope(
  viewer: SettlementViewer,
  requested: string | null | undefined,
): string | null {
  if (viewer.scope === 'partner') {
    if (requested != null && requested !== viewer.partnerId) {
      throw new Forbidden('a partner’s finance users see only their own settlement data');
    }
    return viewer.partnerId;
  }
  return requested ?? null;
}
