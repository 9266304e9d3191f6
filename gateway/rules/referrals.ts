import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit-log';
import type { SqlDatabase } from '../db/sql';
import { postGrants } from '../ledger/grant';
import type { Ledger } from '../ledger/ledger';
import type { Money } from '../ledger/model';
import type { ProgramCatalog } from '../programs/program-catalog';
import { addMonths } from '../purchases/purchase-service';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { humanCode, newId, typedCode } from '../shared/ids';
import { ReferralRefused } from './errors';

/** The operator's referral program in one currency. */
export interface ReferralProgram {
  currency: string;
  referrerPoints: bigint;
  refereePoints: bigint;
  /** The new member's qualifying purchase: at least this much; null: any purchase that earns. */
  purchaseMin: Money | null;
  /** Referrals that count per referring member. */
  referralsPerMemberMax: number;
  active: boolean;
  updatedAt: Date;
}

export const setReferralProgramErrors = [InvalidInput, NotFound] as const;

const pointsMax = 1_000_000_000n;

interface ProgramRow {
  currency_code: string;
  referrer_points: string;
  referee_points: string;
  purchase_minor_min: string | null;
  purchase_currency: string | null;
  referrals_per_member_max: number;
  active: boolean;
  updated_at: Date;
}

/**
 * Referrals (issue 14). Every member has a referral code (drawn the first time they ask). A new
 * member enrolled with one (enrollMember's `referralCode`) is recorded as referred in each
 * active program; when they make a first qualifying purchase, the `referrals` job rewards both
 * once: the points are issued by the currency's owner, as an earn at it, whatever partner the
 * purchase was at (the program is the owner's, and it funds it). Refused with typed errors:
 * a code of the new member's own (same email, or the referrer's own id at the partner), a code
 * past its cap, a person who is already a member.
 */
export class Referrals {
  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: Ledger,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock,
  ) {}

  /** The operator sets (or pauses) the referral program of a currency. Audited. */
  setProgram(
    ctx: RequestContext,
    input: Omit<ReferralProgram, 'updatedAt'>,
  ): Promise<ReferralProgram | ErrorOf<typeof setReferralProgramErrors>> {
    return failsWith(setReferralProgramErrors, async () => {
      requireCaller(ctx, 'operator');
      if (!(await this.catalog.currency(input.currency))) {
        throw new NotFound('currency', input.currency);
      }
      for (const [field, points] of [
        ['referrerPoints', input.referrerPoints],
        ['refereePoints', input.refereePoints],
      ] as const) {
        if (points < 1n || points > pointsMax) {
          throw new InvalidInput(field, `must be 1 to ${pointsMax} points`);
        }
      }
      if (input.purchaseMin && input.purchaseMin.amountMinor <= 0n) {
        throw new InvalidInput('purchaseAtLeast.amount', 'must be greater than zero');
      }
      if (
        !Number.isInteger(input.referralsPerMemberMax) ||
        input.referralsPerMemberMax < 1 ||
        input.referralsPerMemberMax > 100_000
      ) {
        throw new InvalidInput('referralsPerMemberMax', 'must be 1 to 100000');
      }
      const now = this.clock.now();
      return this.db.transaction(async (sql) => {
        const before = await sql.query<ProgramRow>(
          'select * from referral_program where currency_code = $1 for update',
          [input.currency],
        );
        const after = await sql.query<ProgramRow>(
          `insert into referral_program (currency_code, referrer_points, referee_points,
             purchase_minor_min, purchase_currency, referrals_per_member_max, active, updated_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict (currency_code) do update set referrer_points = excluded.referrer_points,
             referee_points = excluded.referee_points, purchase_minor_min = excluded.purchase_minor_min,
             purchase_currency = excluded.purchase_currency,
             referrals_per_member_max = excluded.referrals_per_member_max,
             active = excluded.active, updated_at = excluded.updated_at
           returning *`,
          [
            input.currency,
            input.referrerPoints,
            input.refereePoints,
            input.purchaseMin?.amountMinor ?? null,
            input.purchaseMin?.currency ?? null,
            input.referralsPerMemberMax,
            input.active,
            now,
          ],
        );
        await recordAudit(sql, ctx, {
          entity: 'referral_program',
          entityId: input.currency,
          action: before.rows[0] ? 'update' : 'create',
          before: before.rows[0] ?? null,
          after: after.rows[0]!,
          partnerIds: [],
          at: now,
        });
        return programOf(after.rows[0]!);
      });
    });
  }

  /** Every referral program, by currency. */
  async programs(): Promise<ReferralProgram[]> {
    const rows = await this.db.query<ProgramRow>(
      'select * from referral_program order by currency_code',
    );
    return rows.rows.map(programOf);
  }

  /**
   * The calling member's referral code and how many members they have referred per program
   * (the code is drawn on the first call and never changes).
   */
  async myReferrals(ctx: RequestContext): Promise<{
    code: string;
    referred: { currency: string; referred: number; rewarded: number; left: number }[];
  }> {
    const { memberId } = requireCaller(ctx, 'member');
    let code: string | undefined;
    // A drawn code that another member holds (about 1 in 10^17) is drawn again.
    for (let attempt = 0; code === undefined && attempt < 5; attempt++) {
      try {
        const rows = await this.db.query<{ referral_code: string }>(
          `update member set referral_code = coalesce(referral_code, $2) where id = $1
           returning referral_code`,
          [memberId, humanCode(10)],
        );
        code = rows.rows[0]?.referral_code;
        if (code === undefined) throw new NotFound('member', memberId);
      } catch (error) {
        if ((error as { code?: string }).code !== '23505') throw error;
      }
    }
    const counts = await this.db.query<{
      currency_code: string;
      referred: number;
      rewarded: number;
      max: number;
    }>(
      `select p.currency_code, p.referrals_per_member_max as max,
              count(r.referee_id)::integer as referred,
              count(r.rewarded_at)::integer as rewarded
       from referral_program p
       left join referral r on r.currency_code = p.currency_code and r.referrer_id = $1
       group by p.currency_code order by p.currency_code`,
      [memberId],
    );
    return {
      code: code!,
      referred: counts.rows.map((row) => ({
        currency: row.currency_code,
        referred: row.referred,
        rewarded: row.rewarded,
        left: Math.max(0, row.max - row.referred),
      })),
    };
  }

  /**
   * Records a new member's referral, in the enrolment's transaction (`em`), once the member
   * exists. Throws ReferralRefused, NotFound (no member has the code) or InvalidInput (no
   * program is running).
   */
  async recordReferral(
    em: EntityManager,
    input: {
      code: string;
      refereeId: string;
      refereeEmail: string | null;
      partnerId: string;
      at: Date;
    },
  ): Promise<void> {
    const code = normalisedCode(input.code);
    // The referrer's row is locked so that concurrent enrolments count against the cap in turn.
    const referrers = await em.execute<{ id: string; email: string | null }[]>(
      'select id, email from member where referral_code = ? for update',
      [code],
    );
    const referrer = referrers[0];
    if (!referrer) throw new NotFound('referralCode', input.code);
    if (
      referrer.id === input.refereeId ||
      (referrer.email !== null &&
        input.refereeEmail !== null &&
        referrer.email.toLowerCase() === input.refereeEmail.toLowerCase())
    ) {
      throw new ReferralRefused(code, 'self_referral');
    }
    const programs = await em.execute<{ currency_code: string; room: boolean }[]>(
      `select p.currency_code,
              (select count(*) from referral r
               where r.referrer_id = ? and r.currency_code = p.currency_code) < p.referrals_per_member_max as room
       from referral_program p where p.active order by p.currency_code`,
      [referrer.id],
    );
    if (programs.length === 0) {
      throw new InvalidInput('referralCode', 'no referral program is running');
    }
    const open = programs.filter((program) => program.room);
    if (open.length === 0) throw new ReferralRefused(code, 'code_exhausted');
    for (const program of open) {
      await em.execute(
        `insert into referral (referee_id, currency_code, referrer_id, partner_id, enrolled_at)
         values (?, ?, ?, ?, ?)`,
        [input.refereeId, program.currency_code, referrer.id, input.partnerId, input.at],
      );
    }
  }

  /** The referrer of a member, if they enrolled with a code (an enrolment's retry checks it). */
  async referrerOf(em: EntityManager, refereeId: string): Promise<string | null> {
    const rows = await em.execute<{ referrer_id: string }[]>(
      'select referrer_id from referral where referee_id = ? limit 1',
      [refereeId],
    );
    return rows[0]?.referrer_id ?? null;
  }

  /** The member holding a referral code, if any. */
  async memberOfCode(em: EntityManager, code: string): Promise<string | null> {
    const rows = await em.execute<{ id: string }[]>(
      'select id from member where referral_code = ?',
      [normalisedCode(code)],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * The `referrals` job: rewards referrals whose new member has made a qualifying purchase
   * (an earn in the program's currency, at least its minimum; member events and referral
   * rewards do not count), both sides once, each referral in its own transaction with its row
   * locked (a concurrent run skips it). Returns the referrals rewarded.
   */
  async rewardDue(asOf: Date): Promise<number> {
    let rewarded = 0;
    for (;;) {
      const due = await this.db.query<{ referee_id: string; currency_code: string }>(
        `select r.referee_id, r.currency_code from referral r
         join referral_program p on p.currency_code = r.currency_code and p.active
         where r.rewarded_at is null and r.enrolled_at <= $1
         order by r.enrolled_at limit 100`,
        [asOf],
      );
      let progressed = 0;
      for (const row of due.rows) {
        if (await this.rewardOne(row.referee_id, row.currency_code, asOf)) progressed++;
      }
      rewarded += progressed;
      if (due.rows.length < 100 || progressed === 0) return rewarded;
    }
  }

  private async rewardOne(refereeId: string, currency: string, asOf: Date): Promise<boolean> {
    const owner = await this.catalog.currency(currency);
    if (!owner) return false;
    const done = await this.db.transaction(async (sql) => {
      const rows = await sql.query<{
        referrer_id: string;
        referrer_points: string;
        referee_points: string;
        transfer_id: string | null;
      }>(
        `select r.referrer_id, p.referrer_points, p.referee_points, q.id as transfer_id
         from referral r
         join referral_program p on p.currency_code = r.currency_code
         left join lateral (
           select t.id from transfer t
           join posting po on po.transfer_id = t.id and po.index = 0
           where t.member_id = r.referee_id and t.code = 'earn' and po.currency_code = r.currency_code
             and t.created_at <= $3
             and t.external_id not like 'event:%' and t.external_id not like 'referral:%'
             and (p.purchase_minor_min is null or (t.purchase_currency = p.purchase_currency
                                                   and t.purchase_amount_minor >= p.purchase_minor_min))
           order by t.created_at, t.id limit 1
         ) q on true
         where r.referee_id = $1 and r.currency_code = $2 and r.rewarded_at is null
         for update of r skip locked`,
        [refereeId, currency, asOf],
      );
      const referral = rows.rows[0];
      if (!referral?.transfer_id) return null;
      const expires = owner.expiryMonths ? addMonths(asOf, owner.expiryMonths) : null;
      const grant = (memberId: string, points: string, role: 'referrer' | 'referee') => ({
        transferId: newId('trf'),
        partnerId: owner.ownerPartnerId,
        memberId,
        currency,
        points: BigInt(points),
        externalId: `referral:${refereeId}:${role}`,
        description:
          role === 'referrer'
            ? 'Referral reward: a friend joined'
            : 'Welcome reward: referred by a friend',
        createdAt: asOf,
        lotExpiresAt: expires,
      });
      await postGrants(sql, this.ledger.accounts, [
        grant(referral.referrer_id, referral.referrer_points, 'referrer'),
        grant(refereeId, referral.referee_points, 'referee'),
      ]);
      await sql.query(
        `update referral set rewarded_at = $3, qualifying_transfer_id = $4
         where referee_id = $1 and currency_code = $2`,
        [refereeId, currency, asOf, referral.transfer_id],
      );
      return [referral.referrer_id, refereeId];
    });
    if (!done) return false;
    this.ledger.reportMembersChanged(done);
    return true;
  }
}

function normalisedCode(code: string): string {
  const normal = typedCode(code);
  if (!/^[A-Z0-9]{8,20}$/.test(normal)) {
    throw new InvalidInput('referralCode', 'a referral code is 8 to 20 letters and digits');
  }
  return normal;
}

function programOf(row: ProgramRow): ReferralProgram {
  return {
    currency: row.currency_code,
    referrerPoints: BigInt(row.referrer_points),
    refereePoints: BigInt(row.referee_points),
    purchaseMin:
      row.purchase_minor_min === null
        ? null
        : { amountMinor: BigInt(row.purchase_minor_min), currency: row.purchase_currency! },
    referralsPerMemberMax: row.referrals_per_member_max,
    active: row.active,
    updatedAt: row.updated_at,
  };
}
