import fc from 'fast-check';
import type { GrossFlow } from '../../gateway/settlement/model';
import { bilateralNets, netPositions, paymentInstructions } from '../../gateway/settlement/netting';

const parties = ['operator', 'ptr_a', 'ptr_b', 'ptr_c', 'ptr_d', 'ptr_e', 'ptr_f'];

/** Random gross matrices: signed cents between random pairs, in one or two currencies. */
const grossMatrix = fc
  .array(
    fc.record({
      settlementCurrency: fc.constantFrom('EUR', 'SEK'),
      pair: fc
        .tuple(fc.constantFrom(...parties), fc.constantFrom(...parties))
        .filter(([a, b]) => a !== b),
      amountMinor: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
    }),
    { maxLength: 40 },
  )
  .map((cells) => {
    const merged = new Map<string, GrossFlow>();
    for (const cell of cells) {
      const key = `${cell.settlementCurrency}:${cell.pair[0]}:${cell.pair[1]}`;
      const flow = merged.get(key) ?? {
        settlementCurrency: cell.settlementCurrency,
        debtorId: cell.pair[0],
        creditorId: cell.pair[1],
        amountMinor: 0n,
        obligationCount: 0n,
      };
      flow.amountMinor += cell.amountMinor;
      flow.obligationCount += 1n;
      merged.set(key, flow);
    }
    return [...merged.values()];
  });

describe('netting a gross matrix', () => {
  it('gives positions that sum to exactly zero per settlement currency', () => {
    fc.assert(
      fc.property(grossMatrix, (gross) => {
        const positions = netPositions(gross);
        for (const currency of ['EUR', 'SEK']) {
          const sum = positions
            .filter((p) => p.settlementCurrency === currency)
            .reduce((total, p) => total + p.positionMinor, 0n);
          expect(sum).toBe(0n);
        }
      }),
    );
  });

  it('settles every position in at most N-1 payments of positive amounts', () => {
    fc.assert(
      fc.property(grossMatrix, (gross) => {
        const positions = netPositions(gross);
        const payments = paymentInstructions(positions);
        for (const currency of ['EUR', 'SEK']) {
          const open = positions.filter(
            (p) => p.settlementCurrency === currency && p.positionMinor !== 0n,
          );
          const paid = payments.filter((p) => p.settlementCurrency === currency);
          expect(paid.length).toBeLessThanOrEqual(Math.max(open.length - 1, 0));
          const after = new Map(open.map((p) => [p.partyId, p.positionMinor]));
          for (const payment of paid) {
            expect(payment.amountMinor).toBeGreaterThan(0n);
            after.set(payment.payerId, after.get(payment.payerId)! + payment.amountMinor);
            after.set(payment.payeeId, after.get(payment.payeeId)! - payment.amountMinor);
          }
          expect([...after.values()].every((left) => left === 0n)).toBe(true);
        }
      }),
    );
  });

  it('nets each pair to one non-negative amount that agrees with the positions', () => {
    fc.assert(
      fc.property(grossMatrix, (gross) => {
        const fromNets = new Map<string, bigint>();
        for (const net of bilateralNets(gross)) {
          expect(net.amountMinor >= 0n).toBe(true);
          const payer = `${net.settlementCurrency}:${net.payerId}`;
          const payee = `${net.settlementCurrency}:${net.payeeId}`;
          fromNets.set(payer, (fromNets.get(payer) ?? 0n) - net.amountMinor);
          fromNets.set(payee, (fromNets.get(payee) ?? 0n) + net.amountMinor);
        }
        for (const position of netPositions(gross)) {
          const key = `${position.settlementCurrency}:${position.partyId}`;
          expect(fromNets.get(key) ?? 0n).toBe(position.positionMinor);
        }
      }),
    );
  });
});
