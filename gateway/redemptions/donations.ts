import { recordAudit } from '../audit/audit-log';
import type { SqlDatabase } from '../db/sql';
import { IdempotencyKeyReused, InsufficientPoints, TransactionConflict } from '../ledger/errors';
import { requestHash } from '../ledger/idempotency';
import type { Ledger } from '../ledger/ledger';
import { pointsPerTransferMax } from '../ledger/limits';
import { CurrencyNotSupported } from '../programs/errors';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { requirePositive, requireReference } from '../shared/validate';

export interface DonateInput {
  charityId: string;
  currency: string;
  points: bigint;
  /** The member's own key for this gift: a retry with it gives once. */
  idempotencyKey: string;
}

export interface DonationReceipt {
  transferId: string;
  memberId: string;
  charityId: string;
  charityName: string;
  currency: string;
  points: bigint;
  createdAt: Date;
}

export interface Charity {
  partnerId: string;
  name: string;
  /** The program currencies it accepts gifts in. */
  currencies: string[];
  designatedAt: Date;
}

export const donateErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  InsufficientPoints,
  IdempotencyKeyReused,
  TransactionConflict,
] as const;

export const designateCharityErrors = [NotFound] as const;

/**
 * Donations (issue 14): a member gives points to a charity, a partner the operator designated
 * that accepts the currency. The gift is a redemption at the charity (its history line says
 * "Donated to ..."), so settlement reimburses the charity at its agreement's price, as for any
 * redemption, and reconciliation sees nothing new.
 */
export class Donations {
  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: Ledger,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock,
  ) {}

  /**
   * The charities and the currencies each accepts, by name (only `partnerId` when given).
   * Anyone signed in may list them.
   */
  async charities(partnerId?: string): Promise<Charity[]> {
    const rows = await this.db.query<{
      partner_id: string;
      name: string;
      currencies: string[];
      designated_at: Date;
    }>(
      `select c.partner_id, p.name, c.designated_at,
              array(select pc.currency_code from partner_currency pc
                    where pc.partner_id = c.partner_id and pc.accepts order by 1) as currencies
       from charity c join partner p on p.id = c.partner_id
       where $1::text is null or c.partner_id = $1
       order by p.name`,
      [partnerId ?? null],
    );
    return rows.rows.map((row) => ({
      partnerId: row.partner_id,
      name: row.name,
      currencies: row.currencies,
      designatedAt: row.designated_at,
    }));
  }

  /**
   * The operator designates a partner as a charity, or withdraws it (gifts already made stay).
   * Errors (`designateCharityErrors`): NotFound (partner), Forbidden.
   */
  designate(
    ctx: RequestContext,
    partnerId: string,
    charity: boolean,
  ): Promise<Charity[] | ErrorOf<typeof designateCharityErrors>> {
    return failsWith(designateCharityErrors, async () => {
      requireCaller(ctx, 'operator');
      if (!(await this.catalog.partner(partnerId))) throw new NotFound('partner', partnerId);
      const now = this.clock.now();
      await this.db.transaction(async (sql) => {
        const changed = charity
          ? await sql.query(
              'insert into charity (partner_id, designated_at) values ($1, $2) on conflict do nothing',
              [partnerId, now],
            )
          : await sql.query('delete from charity where partner_id = $1', [partnerId]);
        if (changed.rowCount) {
          await recordAudit(sql, ctx, {
            entity: 'charity',
            entityId: partnerId,
            action: charity ? 'designate' : 'withdraw',
            before: { charity: !charity },
            after: { charity },
            partnerIds: [partnerId],
            at: now,
          });
        }
      });
      return this.charities();
    });
  }

  /**
   * The calling member gives points to a charity. Errors (`donateErrors`): InvalidInput,
   * NotFound (charity, currency), CurrencyNotSupported (not accepted there), InsufficientPoints,
   * IdempotencyKeyReused, TransactionConflict, Forbidden.
   */
  donate(
    ctx: RequestContext,
    input: DonateInput,
  ): Promise<DonationReceipt | ErrorOf<typeof donateErrors>> {
    return failsWith(donateErrors, async () => {
      const { memberId } = requireCaller(ctx, 'member');
      const key = requireReference('idempotencyKey', input.idempotencyKey, 100);
      const points = requirePositive('points', input.points, pointsPerTransferMax);
      const [charity] = await this.charities(input.charityId);
      if (!charity) throw new NotFound('partner', input.charityId);
      if (!(await this.catalog.currency(input.currency))) {
        throw new NotFound('currency', input.currency);
      }
      if (!charity.currencies.includes(input.currency)) {
        throw new CurrencyNotSupported(input.currency, charity.partnerId, 'accept');
      }
      const outcome = await this.ledger.spend(
        {
          transferId: newId('trf'),
          partnerId: charity.partnerId,
          memberId,
          currency: input.currency,
          points,
          transactionId: `donation:${memberId}:${key}`,
          purchase: null,
          createdAt: this.clock.now(),
          description: `Donated to ${charity.name}`,
          claim: {
            scope: memberId,
            operation: 'donate',
            key,
            requestHash: requestHash({ ...input }),
          },
          holdExpiresAt: null,
        },
        ctx.deadlineAt,
      );
      if (outcome instanceof Error) throw outcome;
      return {
        transferId: outcome.transferId,
        memberId: outcome.memberId,
        charityId: charity.partnerId,
        charityName: charity.name,
        currency: outcome.currency,
        points: outcome.points,
        createdAt: outcome.createdAt,
      };
    });
  }
}
