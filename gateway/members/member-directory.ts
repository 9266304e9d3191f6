import { createHash } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PartnerRecord } from '../programs/partner.entity';
import { ReferralRefused } from '../rules/errors';
import type { Referrals } from '../rules/referrals';
import { BoundedMap } from '../shared/bounded-map';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import {
  AlreadyExists,
  catchDomainError,
  type DomainError,
  type ErrorOf,
  failsWith,
  InvalidInput,
  NotFound,
} from '../shared/errors';
import { humanCode, idPatterns, newId } from '../shared/ids';
import { requireReference } from '../shared/validate';
import { MemberRecord } from './member.entity';
import { MemberLinkRecord } from './member-link.entity';
import { MemberLinkCodeRecord } from './member-link-code.entity';

/** How long a member's link code stays valid. */
export const linkCodeTtlMs = 15 * 60_000;
const linkCodeLength = 10;
const linkCacheSizeMax = 100_000;
/**
 * How long a found link is remembered. Links change only when a member is erased (its links
 * are deleted): another gateway process stops resolving them within this time.
 */
export const linkCacheMs = 60_000;

/** How a partner names a member: by coalition id, or by its own id for them. */
export interface MemberRef {
  memberId?: string;
  externalId?: string;
}

export interface EnrollInput {
  /** The partner's own id for the member (card or frequent flyer number). */
  externalId: string;
  /** Link this existing coalition member instead of creating one (needs `linkCode`). */
  memberId?: string;
  /** The code the member issued (issueLinkCode) to consent to this link. */
  linkCode?: string;
  displayName?: string;
  email?: string;
  /** A new member's birthday, "MM-DD" (no year is kept), for birthday rewards. */
  birthday?: string;
  /** The referral code of the member who brought this new member (a referral program's). */
  referralCode?: string;
}

export interface Enrollment {
  member: MemberRecord;
  externalId: string;
  /** True when this call created the member; false when it linked or found an existing one. */
  created: boolean;
}

const emailPattern = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** Enrolling or linking a member fails with one of these, and no other (its result union is built from them). */
export const enrollmentErrors = [InvalidInput, NotFound, AlreadyExists, ReferralRefused] as const;

/** Setting a birthday fails with this, and no other. */
export const setBirthdayErrors = [InvalidInput] as const;

const daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A birthday as "MM-DD" (a "YYYY-MM-DD" date is accepted; its year is not kept). */
export function parseBirthday(value: string, field = 'birthday'): { month: number; day: number } {
  const match = /^(?:\d{4}-)?(\d{2})-(\d{2})$/.exec(value.trim());
  const month = Number(match?.[1]);
  const day = Number(match?.[2]);
  if (!match || month < 1 || month > 12 || day < 1 || day > daysInMonth[month - 1]!) {
    throw new InvalidInput(field, 'a birthday is "MM-DD", e.g. "07-14"');
  }
  return { month, day };
}

/** Creating a member fails with one of these, and no other (its result union is built from them). */
export const createMemberErrors = [InvalidInput, AlreadyExists] as const;

/** Members and their links to partners. */
export class MemberDirectory {
  /** Partner links found, by partner and reference: the earn path resolves one per request. */
  private readonly links = new BoundedMap<string, { memberId: string; cachedAtMs: number }>(
    linkCacheSizeMax,
  );

  constructor(
    private readonly clock: Clock,
    /** Referrals recorded at enrolment (enrollMember's `referralCode`); none in some tests. */
    private readonly referrals?: Referrals,
  ) {}

  /**
   * A single-use code the member hands to a partner (at a counter, in an app) so the partner can
   * link them by their coalition id. Only its hash is stored. Errors: Forbidden.
   */
  issueLinkCode(ctx: RequestContext): Promise<{ code: string; expiresAt: Date } | DomainError> {
    return catchDomainError(async () => {
      const { memberId } = requireCaller(ctx, 'member');
      const code = humanCode(linkCodeLength);
      const expiresAt = new Date(this.clock.now().getTime() + linkCodeTtlMs);
      ctx.em.create(MemberLinkCodeRecord, {
        codeHash: hashLinkCode(code),
        memberId,
        expiresAt,
        createdAt: this.clock.now(),
      });
      await ctx.em.flush();
      return { code, expiresAt };
    });
  }

  /**
   * Links a member to a partner without a link code: the operator's onboarding and data
   * migrations. Idempotent like enroll. Errors (`enrollmentErrors`): InvalidInput, NotFound, AlreadyExists, Forbidden.
   */
  linkMember(
    ctx: RequestContext,
    input: { partnerId: string; externalId: string; memberId: string },
  ): Promise<Enrollment | ErrorOf<typeof enrollmentErrors>> {
    return failsWith(enrollmentErrors, async () => {
      requireCaller(ctx, 'operator', 'system');
      const externalId = requireReference('externalId', input.externalId, 100);
      if (!(await ctx.em.findOne(PartnerRecord, { id: input.partnerId }))) {
        throw new NotFound('partner', input.partnerId);
      }
      return this.enrollOnce(
        ctx,
        input.partnerId,
        externalId,
        { externalId, memberId: input.memberId },
        false,
      );
    });
  }

  /**
   * Enrolls a member at the calling partner, or links an existing member under the partner's
   * id for them. Idempotent on the partner's external id: enrolling it again returns the same
   * member. Errors (`enrollmentErrors`): InvalidInput, NotFound (member), AlreadyExists (external id or member
   * already linked differently), Forbidden.
   */
  enroll(
    ctx: RequestContext,
    input: EnrollInput,
  ): Promise<Enrollment | ErrorOf<typeof enrollmentErrors>> {
    return failsWith(enrollmentErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const externalId = requireReference('externalId', input.externalId, 100);
      if (input.memberId !== undefined && input.linkCode === undefined) {
        throw new InvalidInput(
          'linkCode',
          'linking an existing member needs a link code the member issued',
        );
      }
      try {
        return await this.enrollOnce(ctx, partnerId, externalId, input, true);
      } catch (error) {
        // A concurrent enrollment of the same id won the race: answer as a repeat would.
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        ctx.em.clear();
        return await this.enrollOnce(ctx, partnerId, externalId, input, true);
      }
    });
  }

  private async enrollOnce(
    ctx: RequestContext,
    partnerId: string,
    externalId: string,
    input: EnrollInput,
    needsLinkCode: boolean,
  ): Promise<Enrollment> {
    const existing = await ctx.em.findOne(MemberLinkRecord, { partnerId, externalId });
    if (existing) {
      if (input.memberId !== undefined && input.memberId !== existing.memberId) {
        throw new AlreadyExists('member link', externalId);
      }
      if (input.referralCode !== undefined && this.referrals) {
        // A retry of an enrolment with this code answers as before; anyone else who is already
        // a member (the referrer themself, under their own id here) cannot be referred.
        const referrer = await this.referrals.memberOfCode(ctx.em, input.referralCode);
        if (referrer === existing.memberId) {
          throw new ReferralRefused(input.referralCode, 'self_referral');
        }
        if ((await this.referrals.referrerOf(ctx.em, existing.memberId)) !== referrer) {
          throw new ReferralRefused(input.referralCode, 'already_member');
        }
      }
      const member = await ctx.em.findOneOrFail(MemberRecord, { id: existing.memberId });
      return { member, externalId, created: false };
    }
    if (input.referralCode !== undefined && input.memberId !== undefined) {
      throw new ReferralRefused(input.referralCode, 'already_member');
    }
    if (input.referralCode !== undefined && !this.referrals) {
      throw new InvalidInput('referralCode', 'no referral program is running');
    }
    return ctx.em.transactional(async (em) => {
      let member: MemberRecord;
      let created = false;
      if (input.memberId !== undefined) {
        const found = idPatterns.member.test(input.memberId)
          ? await em.findOne(MemberRecord, { id: input.memberId })
          : null;
        if (!found) throw new NotFound('member', input.memberId);
        if (needsLinkCode) await this.useLinkCode(em, partnerId, found.id, input.linkCode ?? '');
        if (await em.findOne(MemberLinkRecord, { partnerId, memberId: found.id })) {
          throw new AlreadyExists('member link', found.id);
        }
        member = found;
      } else {
        const birthday = input.birthday === undefined ? null : parseBirthday(input.birthday);
        member = em.create(MemberRecord, {
          id: newId('mbr'),
          displayName: requireReference('displayName', input.displayName?.trim() ?? ''),
          email: this.email(input.email),
          birthMonth: birthday?.month ?? null,
          birthDay: birthday?.day ?? null,
          createdAt: new Date(),
        });
        created = true;
        // member_link.member_id is a plain column, not a relation, so MikroORM cannot order
        // the inserts itself: the member must exist before its link is written.
        await em.flush();
        if (input.referralCode !== undefined) {
          await this.referrals!.recordReferral(em as EntityManager, {
            code: input.referralCode,
            refereeId: member.id,
            refereeEmail: member.email,
            partnerId,
            at: this.clock.now(),
          });
        }
      }
      em.create(MemberLinkRecord, {
        partnerId,
        externalId,
        memberId: member.id,
        createdAt: new Date(),
      });
      await em.flush();
      return { member, externalId, created };
    });
  }

  /**
   * The calling member sets (or, with null, removes) their birthday, "MM-DD": birthday rewards
   * need it. Errors: InvalidInput, Forbidden.
   */
  setBirthday(
    ctx: RequestContext,
    birthday: string | null,
  ): Promise<MemberRecord | ErrorOf<typeof setBirthdayErrors>> {
    return failsWith(setBirthdayErrors, async () => {
      const { memberId } = requireCaller(ctx, 'member');
      const parsed = birthday === null ? null : parseBirthday(birthday);
      const member = await ctx.em.findOneOrFail(MemberRecord, { id: memberId });
      member.birthMonth = parsed?.month ?? null;
      member.birthDay = parsed?.day ?? null;
      await ctx.em.flush();
      return member;
    });
  }

  /** Creates a member without any partner link (the operator's onboarding). */
  createMember(
    ctx: RequestContext,
    input: { id?: string; displayName: string; email?: string; birthday?: string },
  ): Promise<MemberRecord | ErrorOf<typeof createMemberErrors>> {
    return failsWith(createMemberErrors, async () => {
      requireCaller(ctx, 'operator', 'system');
      const id = input.id ?? newId('mbr');
      if (!idPatterns.member.test(id)) throw new InvalidInput('id', 'must look like mbr_...');
      if (await ctx.em.findOne(MemberRecord, { id })) throw new AlreadyExists('member', id);
      const birthday = input.birthday === undefined ? null : parseBirthday(input.birthday);
      const member = ctx.em.create(MemberRecord, {
        id,
        displayName: requireReference('displayName', input.displayName.trim()),
        email: this.email(input.email),
        birthMonth: birthday?.month ?? null,
        birthDay: birthday?.day ?? null,
        createdAt: new Date(),
      });
      await ctx.em.persistAndFlush(member);
      return member;
    });
  }

  /**
   * The member a partner means, which must be linked to that partner: a partner never learns
   * about members it has not enrolled. Throws NotFound otherwise (same answer whether the member
   * exists elsewhere or not).
   */
  async resolveForPartner(ctx: RequestContext, partnerId: string, ref: MemberRef): Promise<string> {
    if ((ref.memberId === undefined) === (ref.externalId === undefined)) {
      throw new InvalidInput('member', 'give exactly one of memberId or externalId');
    }
    const byExternalId = ref.externalId !== undefined;
    const reference = (ref.externalId ?? ref.memberId)!;
    const cacheKey = `${partnerId}\u0000${byExternalId ? 'x' : 'm'}\u0000${reference}`;
    const cached = this.links.get(cacheKey);
    if (cached !== undefined && Date.now() - cached.cachedAtMs < linkCacheMs) {
      return cached.memberId;
    }
    let link: MemberLinkRecord | null = null;
    if (byExternalId) {
      link = await ctx.em.findOne(MemberLinkRecord, { partnerId, externalId: reference });
    } else if (idPatterns.member.test(reference)) {
      link = await ctx.em.findOne(MemberLinkRecord, { partnerId, memberId: reference });
    }
    if (!link) throw new NotFound('member', reference);
    // Links are removed only by an erasure, so a found link can be remembered for a while (a
    // missing one cannot: the member may enrol a moment later).
    this.links.set(cacheKey, { memberId: link.memberId, cachedAtMs: Date.now() });
    return link.memberId;
  }

  /** Forgets every remembered link (after an erasure deleted some). */
  forgetLinks(): void {
    this.links.clear();
  }

  /** The partner's external id for a member, if linked. */
  async externalIdOf(
    ctx: RequestContext,
    partnerId: string,
    memberId: string,
  ): Promise<string | null> {
    const link = await ctx.em.findOne(MemberLinkRecord, { partnerId, memberId });
    return link?.externalId ?? null;
  }

  /** Consumes the member's code; a wrong, expired or used code reads as an unknown member. */
  private async useLinkCode(
    em: RequestContext['em'],
    partnerId: string,
    memberId: string,
    code: string,
  ): Promise<void> {
    const record = await em.findOne(
      MemberLinkCodeRecord,
      { codeHash: hashLinkCode(code.trim().toUpperCase()), memberId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!record || record.usedAt !== null || record.expiresAt <= this.clock.now()) {
      throw new NotFound('member', memberId);
    }
    record.usedAt = this.clock.now();
    record.usedByPartnerId = partnerId;
  }

  private email(email: string | undefined): string | null {
    if (email === undefined || email === '') return null;
    if (email.length > 320 || !emailPattern.test(email)) {
      throw new InvalidInput('email', 'must be an email address');
    }
    return email;
  }
}

function hashLinkCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
