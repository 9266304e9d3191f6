import { GraphQLError } from 'graphql';
import type { AssertedCaller } from './assertion-verifier';
import type { CoalitionClient } from './coalition-client';

/** Fault injection for tests and demos: what to do right after a hold is placed. */
export interface PartnerFaults {
  afterHold?(holdId: string): Promise<void>;
}

/** What every partner resolver receives. */
export interface PartnerContext {
  partnerId: string;
  caller: AssertedCaller;
  coalition: CoalitionClient;
  faults: PartnerFaults;
}

export function requireMember(ctx: PartnerContext): string {
  if (ctx.caller.kind !== 'member') {
    throw new GraphQLError('Only members redeem rewards', { extensions: { code: 'FORBIDDEN' } });
  }
  return ctx.caller.id;
}

/** A member's activity at a partner is shown to that member, the partner itself and the operator. */
export function maySeeMember(ctx: PartnerContext, memberId: string): boolean {
  const caller = ctx.caller;
  return (
    (caller.kind === 'member' && caller.id === memberId) ||
    (caller.kind === 'partner' && caller.id === ctx.partnerId) ||
    caller.kind === 'operator'
  );
}

/**
 * `@Authorized('member')` on a partner's field lets only those kinds of caller (as asserted by
 * the gateway) in; with no kinds, any asserted caller.
 */
export const partnerAuthChecker = (
  { context }: { context: PartnerContext },
  kinds: readonly string[],
): boolean => {
  if (kinds.length === 0 || kinds.includes(context.caller.kind)) return true;
  throw new GraphQLError(`This field is for ${kinds.join(' or ')} callers`, {
    extensions: { code: 'FORBIDDEN' },
  });
};
