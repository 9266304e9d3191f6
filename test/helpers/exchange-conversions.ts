import type { ConversionReceipt } from '../../gateway/exchange/exchange-model';
import type { RequestContext } from '../../gateway/shared/context';
import { DomainError } from '../../gateway/shared/errors';
import type { TestApp } from './test-app';

/** A member's request context, for driving member-facing services in tests. */
export function asMember(app: TestApp, memberId: string): RequestContext {
  return { caller: { kind: 'member', memberId }, requestId: 'test', em: app.orm.em.fork() };
}

/**
 * A member converts points through the real exchange service: quote, then convert with the
 * quote. Returns the receipt, or the first refusal (quote or conversion) as a DomainError.
 */
export async function convertAsMember(
  app: TestApp,
  input: { memberId: string; sourceCurrency: string; targetCurrency: string; sourcePoints: bigint },
): Promise<ConversionReceipt | DomainError> {
  const member = asMember(app, input.memberId);
  const quote = await app.exchange.quote(member, {
    sourceCurrency: input.sourceCurrency,
    targetCurrency: input.targetCurrency,
    sourcePoints: input.sourcePoints,
  });
  if (quote instanceof DomainError) return quote;
  return app.exchange.convert(member, { quoteId: quote.id, sourcePoints: input.sourcePoints });
}
