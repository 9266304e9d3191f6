import { strict as assert } from 'node:assert';
import type { BilateralNet, GrossFlow, NetPosition, PaymentInstruction } from './model';

/**
 * Netting of a period's gross matrix, per settlement currency, in integers only. N parties have
 * up to N(N-1) directed gross flows, N(N-1)/2 bilateral nets and N positions, which sum to
 * exactly zero and settle in at most N-1 payments. Pure functions: the same matrix always
 * gives the same result, so nothing here needs storing.
 */

/** Each pair of parties' flows netted into one amount, payer to payee (never negative). */
export function bilateralNets(gross: readonly GrossFlow[]): BilateralNet[] {
  const pairs = new Map<string, BilateralNet>();
  for (const flow of gross) {
    const [first, second] = [flow.debtorId, flow.creditorId].sort();
    const key = `${flow.settlementCurrency}\u0000${first}\u0000${second}`;
    const net = pairs.get(key) ?? {
      settlementCurrency: flow.settlementCurrency,
      payerId: first!,
      payeeId: second!,
      amountMinor: 0n,
    };
    // Kept as "first owes second" while summing; flipped below when negative.
    net.amountMinor += flow.debtorId === first ? flow.amountMinor : -flow.amountMinor;
    pairs.set(key, net);
  }
  return [...pairs.values()]
    .map((net) =>
      net.amountMinor < 0n
        ? { ...net, payerId: net.payeeId, payeeId: net.payerId, amountMinor: -net.amountMinor }
        : net,
    )
    .sort(byCurrencyThen((net) => `${net.payerId}\u0000${net.payeeId}`));
}

/** Every party's multilateral position: receivable - payable. Sums to zero per currency. */
export function netPositions(gross: readonly GrossFlow[]): NetPosition[] {
  const positions = new Map<string, NetPosition>();
  const positionOf = (currency: string, partyId: string) => {
    const key = `${currency}\u0000${partyId}`;
    let position = positions.get(key);
    if (!position) {
      position = {
        settlementCurrency: currency,
        partyId,
        receivableMinor: 0n,
        payableMinor: 0n,
        positionMinor: 0n,
      };
      positions.set(key, position);
    }
    return position;
  };
  for (const flow of gross) {
    positionOf(flow.settlementCurrency, flow.debtorId).payableMinor += flow.amountMinor;
    positionOf(flow.settlementCurrency, flow.creditorId).receivableMinor += flow.amountMinor;
  }
  const result = [...positions.values()]
    .map((position) => ({
      ...position,
      positionMinor: position.receivableMinor - position.payableMinor,
    }))
    .sort(byCurrencyThen((position) => position.partyId));
  for (const currency of new Set(result.map((position) => position.settlementCurrency))) {
    const sum = result
      .filter((position) => position.settlementCurrency === currency)
      .reduce((total, position) => total + position.positionMinor, 0n);
    assert.equal(sum, 0n, `positions in ${currency} must sum to zero`);
  }
  return result;
}

/**
 * Payments that settle the positions: the largest debtor pays the largest creditor as much as
 * both allow, until nothing is left (ties by party id, so the result is deterministic). Each
 * payment settles at least one party fully and the last settles two, so N parties with
 * non-zero positions need at most N-1 payments.
 */
export function paymentInstructions(positions: readonly NetPosition[]): PaymentInstruction[] {
  const payments: PaymentInstruction[] = [];
  const currencies = [...new Set(positions.map((position) => position.settlementCurrency))].sort();
  for (const currency of currencies) {
    const open = positions
      .filter(
        (position) => position.settlementCurrency === currency && position.positionMinor !== 0n,
      )
      .map((position) => ({ partyId: position.partyId, left: position.positionMinor }));
    const before = payments.length;
    for (;;) {
      const debtor = largest(
        open.filter((party) => party.left < 0n),
        (party) => -party.left,
      );
      const creditor = largest(
        open.filter((party) => party.left > 0n),
        (party) => party.left,
      );
      if (!debtor || !creditor) break;
      const amountMinor = -debtor.left < creditor.left ? -debtor.left : creditor.left;
      payments.push({
        settlementCurrency: currency,
        payerId: debtor.partyId,
        payeeId: creditor.partyId,
        amountMinor,
      });
      debtor.left += amountMinor;
      creditor.left -= amountMinor;
    }
    assert.ok(
      open.every((party) => party.left === 0n),
      `payments in ${currency} must settle every position`,
    );
    assert.ok(payments.length - before <= Math.max(open.length - 1, 0), 'at most N-1 payments');
  }
  return payments;
}

function largest<T extends { partyId: string }>(
  items: readonly T[],
  size: (item: T) => bigint,
): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (
      !best ||
      size(item) > size(best) ||
      (size(item) === size(best) && item.partyId < best.partyId)
    ) {
      best = item;
    }
  }
  return best;
}

function byCurrencyThen<T extends { settlementCurrency: string }>(key: (item: T) => string) {
  return (a: T, b: T): number => {
    const first = `${a.settlementCurrency}\u0000${key(a)}`;
    const second = `${b.settlementCurrency}\u0000${key(b)}`;
    return first < second ? -1 : first > second ? 1 : 0;
  };
}
