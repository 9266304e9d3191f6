import type { MemberDirectory, MemberRef } from '../members/member-directory';
import type { CurrencyRecord } from '../programs/currency.entity';
import type { ProgramCatalog } from '../programs/program-catalog';
import { type RequestContext, requireCaller } from '../shared/context';
import { InvalidInput, NotFound } from '../shared/errors';
import { requirePattern } from '../shared/validate';

/** Checks shared by the exchange services: who acts for which member, which currencies. */

export const quoteIdPattern = /^qte_[a-z0-9]{26}$/;

/**
 * The member an exchange request is for, and the partner acting for them: a member acts for
 * themself (and must not name anyone); a partner names a member it has enrolled.
 */
export async function actingFor(
  ctx: RequestContext,
  members: MemberDirectory,
  member: MemberRef | undefined,
): Promise<{ memberId: string; partnerId: string | null; scope: string }> {
  const caller = requireCaller(ctx, 'member', 'partner');
  if (caller.kind === 'member') {
    if (member && (member.memberId ?? caller.memberId) !== caller.memberId) {
      throw new InvalidInput('member', 'members act for themselves: omit member');
    }
    return { memberId: caller.memberId, partnerId: null, scope: caller.memberId };
  }
  if (!member) throw new InvalidInput('member', 'name the member this request is for');
  const memberId = await members.resolveForPartner(ctx, caller.partnerId, member);
  return { memberId, partnerId: caller.partnerId, scope: caller.partnerId };
}

export async function requireCurrency(
  catalog: ProgramCatalog,
  field: string,
  code: string,
): Promise<CurrencyRecord> {
  requirePattern(field, code, /^[A-Z][A-Z0-9]{1,9}$/, 'must be a program currency code');
  const currency = await catalog.currency(code);
  if (!currency) throw new NotFound('currency', code);
  return currency;
}

export async function requirePair(
  catalog: ProgramCatalog,
  sourceCode: string,
  targetCode: string,
  fields = { source: 'sourceCurrency', target: 'targetCurrency' },
): Promise<{ source: CurrencyRecord; target: CurrencyRecord }> {
  const source = await requireCurrency(catalog, fields.source, sourceCode);
  const target = await requireCurrency(catalog, fields.target, targetCode);
  if (source.code === target.code) {
    throw new InvalidInput(fields.target, `must differ from ${fields.source}`);
  }
  return { source, target };
}
