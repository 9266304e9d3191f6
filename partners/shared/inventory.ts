import type { Fulfilment } from './redemption-flow';

/**
 * A partner's stock of rewards (seats, rooms, vouchers), in memory: the demo partners keep their
 * own data in code. Reservations are keyed by the coalition's hold id, so a retried redemption
 * finds its reservation instead of taking a second seat.
 */
export class RewardInventory {
  private readonly stock: Map<string, number>;
  private readonly reservations = new Map<string, { rewardId: string; reference: string }>();
  private issued = 0;

  constructor(
    private readonly referencePrefix: string,
    stock: Record<string, number>,
  ) {
    this.stock = new Map(Object.entries(stock));
  }

  left(rewardId: string): number {
    return this.stock.get(rewardId) ?? 0;
  }

  /** Sets the stock of a reward (tests and demos empty it to see a decline). */
  setStock(rewardId: string, count: number): void {
    this.stock.set(rewardId, count);
  }

  forReward(rewardId: string): Fulfilment {
    return {
      fulfil: (holdId) => {
        const earlier = this.reservations.get(holdId);
        if (earlier) return { reference: earlier.reference };
        const left = this.left(rewardId);
        if (left <= 0) return { declined: `${rewardId} is sold out` };
        this.stock.set(rewardId, left - 1);
        this.issued += 1;
        const reference = `${this.referencePrefix}-${String(this.issued).padStart(5, '0')}`;
        this.reservations.set(holdId, { rewardId, reference });
        return { reference };
      },
      release: (holdId) => {
        const reservation = this.reservations.get(holdId);
        if (!reservation) return;
        this.reservations.delete(holdId);
        this.stock.set(reservation.rewardId, this.left(reservation.rewardId) + 1);
      },
      referenceOf: (holdId) => this.reservations.get(holdId)?.reference ?? null,
    };
  }
}
