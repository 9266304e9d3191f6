import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit-log';
import type { Ledger } from '../ledger/ledger';
import type { AccountKey } from '../ledger/model';
import { type RequestContext, requireCaller } from '../shared/context';
import { AlreadyExists, type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { idPatterns, newId } from '../shared/ids';
import { isKnownMoneyCurrency } from '../shared/money';
import { TtlCache } from '../shared/ttl-cache';
import {
  requireIntegerInRange,
  requirePattern,
  requirePositive,
  requireReference,
} from '../shared/validate';
import { CurrencyRecord } from './currency.entity';
import { PartnerRecord } from './partner.entity';
import { PartnerCurrencyRecord } from './partner-currency.entity';

const referenceCacheMs = 5_000;
export const earnRateMax = 1_000_000_000n;

export interface CreatePartnerInput {
  /** Optional readable id (`ptr_skyair`); generated when omitted. */
  id?: string;
  name: string;
}

export interface CreateCurrencyInput {
  code: string;
  name: string;
  ownerPartnerId: string;
  expiryMonths: number | null;
}

export interface PartnerCurrencyInput {
  partnerId: string;
  currency: string;
  earns: boolean;
  accepts: boolean;
  earnRatePoints: bigint;
  earnRatePerMinor: bigint;
  moneyCurrency: string;
}

/** Creating a partner fails with one of these, and no other (its result union is built from them). */
export const createPartnerErrors = [InvalidInput, AlreadyExists] as const;

/** Creating a currency fails with one of these, and no other (its result union is built from them). */
export const createCurrencyErrors = [InvalidInput, AlreadyExists, NotFound] as const;

/** Setting a partner's currency terms fails with one of these, and no other (its result union is built from them). */
export const setPartnerCurrencyErrors = [InvalidInput, NotFound] as const;

/**
 * Partners, program currencies and the terms binding them. Reads are cached briefly (they sit
 * on every earn); writes are the operator's and open the system accounts the ledger needs, so
 * the hot path never creates them.
 */
export class ProgramCatalog {
  private readonly partners = new TtlCache<string, PartnerRecord | null>(referenceCacheMs);
  private readonly currencies = new TtlCache<string, CurrencyRecord | null>(referenceCacheMs);
  private readonly terms = new TtlCache<string, PartnerCurrencyRecord | null>(referenceCacheMs);

  constructor(
    private readonly orm: MikroORM,
    private readonly ledger: Ledger,
  ) {}

  /** Errors (`createPartnerErrors`): InvalidInput, AlreadyExists, Forbidden. */
  createPartner(
    ctx: RequestContext,
    input: CreatePartnerInput,
  ): Promise<PartnerRecord | ErrorOf<typeof createPartnerErrors>> {
    return failsWith(createPartnerErrors, async () => {
      requireCaller(ctx, 'operator', 'system');
      const id = input.id ?? newId('ptr');
      requirePattern('id', id, idPatterns.partner, 'must look like ptr_ followed by a-z, 0-9 or _');
      const name = requireReference('name', input.name.trim());
      if (await ctx.em.findOne(PartnerRecord, { id })) throw new AlreadyExists('partner', id);
      const partner = await ctx.em.transactional(async (em) => {
        const created = em.create(PartnerRecord, { id, name, createdAt: new Date() });
        await em.flush();
        await recordAudit(em, ctx, {
          entity: 'partner',
          entityId: id,
          action: 'create',
          before: null,
          after: { id, name },
          partnerIds: [id],
        });
        return created;
      });
      this.partners.delete(id);
      return partner;
    });
  }

  /** Opens the currency's breakage, liquidity and adjustment accounts. Errors (`createCurrencyErrors`): InvalidInput, AlreadyExists, NotFound (owner), Forbidden. */
  createCurrency(
    ctx: RequestContext,
    input: CreateCurrencyInput,
  ): Promise<CurrencyRecord | ErrorOf<typeof createCurrencyErrors>> {
    return failsWith(createCurrencyErrors, async () => {
      requireCaller(ctx, 'operator', 'system');
      requirePattern(
        'code',
        input.code,
        /^[A-Z][A-Z0-9]{1,9}$/,
        'must be 2-10 capital letters or digits',
      );
      if (input.expiryMonths !== null)
        requireIntegerInRange('expiryMonths', input.expiryMonths, 1, 240);
      if (!(await this.partner(input.ownerPartnerId))) {
        throw new NotFound('partner', input.ownerPartnerId);
      }
      if (await ctx.em.findOne(CurrencyRecord, { code: input.code })) {
        throw new AlreadyExists('currency', input.code);
      }
      const name = requireReference('name', input.name.trim());
      const currency = await ctx.em.transactional(async (em) => {
        const created = em.create(CurrencyRecord, {
          code: input.code,
          name,
          ownerPartnerId: input.ownerPartnerId,
          expiryMonths: input.expiryMonths,
          createdAt: new Date(),
        });
        await em.flush();
        await recordAudit(em, ctx, {
          entity: 'currency',
          entityId: input.code,
          action: 'create',
          before: null,
          after: { ...input, name },
          partnerIds: [input.ownerPartnerId],
        });
        return created;
      });
      this.currencies.delete(input.code);
      await this.ledger.openSystemAccounts(
        (['breakage', 'liquidity', 'adjustment'] as const).map(
          (kind): AccountKey => ({ kind, currency: input.code }),
        ),
      );
      return currency;
    });
  }

  /**
   * Sets (creates or replaces) a partner's terms for a currency and opens its issuance and
   * redemption accounts. Errors (`setPartnerCurrencyErrors`): InvalidInput, NotFound (partner, currency), Forbidden.
   */
  setPartnerCurrency(
    ctx: RequestContext,
    input: PartnerCurrencyInput,
  ): Promise<PartnerCurrencyRecord | ErrorOf<typeof setPartnerCurrencyErrors>> {
    return failsWith(setPartnerCurrencyErrors, async () => {
      requireCaller(ctx, 'operator', 'system');
      if (!(await this.partner(input.partnerId))) throw new NotFound('partner', input.partnerId);
      if (!(await this.currency(input.currency))) throw new NotFound('currency', input.currency);
      requirePattern(
        'moneyCurrency',
        input.moneyCurrency,
        /^[A-Z]{3}$/,
        'must be an ISO 4217 code',
      );
      if (!isKnownMoneyCurrency(input.moneyCurrency)) {
        throw new InvalidInput('moneyCurrency', `${input.moneyCurrency} is not supported`);
      }
      if (input.earns) requirePositive('earnRatePoints', input.earnRatePoints, earnRateMax);
      requirePositive('earnRatePerMinor', input.earnRatePerMinor, earnRateMax);
      const after = {
        partnerId: input.partnerId,
        currencyCode: input.currency,
        earns: input.earns,
        accepts: input.accepts,
        earnRatePoints: input.earns ? input.earnRatePoints : 0n,
        earnRatePerMinor: input.earnRatePerMinor,
        moneyCurrency: input.moneyCurrency,
      };
      const terms = await ctx.em.transactional(async (em) => {
        const previous = await em.findOne(
          PartnerCurrencyRecord,
          { partnerId: input.partnerId, currencyCode: input.currency },
          { lockMode: LockMode.PESSIMISTIC_WRITE, disableIdentityMap: true },
        );
        const upserted = await em.upsert(PartnerCurrencyRecord, after);
        await recordAudit(em, ctx, {
          entity: 'partner_currency',
          entityId: `${input.partnerId}:${input.currency}`,
          action: previous ? 'update' : 'create',
          before: previous && termsOf(previous),
          after,
          partnerIds: [input.partnerId],
        });
        return upserted;
      });
      this.terms.delete(termsKey(input.partnerId, input.currency));
      await this.ledger.openSystemAccounts(
        (['issuance', 'redemption'] as const).map(
          (kind): AccountKey => ({ kind, currency: input.currency, partnerId: input.partnerId }),
        ),
      );
      return terms;
    });
  }

  partner(id: string): Promise<PartnerRecord | null> {
    return this.partners.get(id, () => this.orm.em.fork().findOne(PartnerRecord, { id }));
  }

  currency(code: string): Promise<CurrencyRecord | null> {
    return this.currencies.get(code, () => this.orm.em.fork().findOne(CurrencyRecord, { code }));
  }

  /** A partner's terms for a currency, or null when it neither earns nor accepts it. */
  partnerTerms(partnerId: string, currency: string): Promise<PartnerCurrencyRecord | null> {
    return this.terms.get(termsKey(partnerId, currency), () =>
      this.orm.em.fork().findOne(PartnerCurrencyRecord, { partnerId, currencyCode: currency }),
    );
  }

  listPartnerTerms(ctx: RequestContext, partnerId: string): Promise<PartnerCurrencyRecord[]> {
    return ctx.em.find(PartnerCurrencyRecord, { partnerId }, { orderBy: { currencyCode: 'asc' } });
  }

  listPartners(ctx: RequestContext): Promise<PartnerRecord[]> {
    return ctx.em.find(PartnerRecord, {}, { orderBy: { id: 'asc' } });
  }

  listCurrencies(ctx: RequestContext): Promise<CurrencyRecord[]> {
    return ctx.em.find(CurrencyRecord, {}, { orderBy: { code: 'asc' } });
  }

  /** Forgets cached reference data (after changes made by another process, in tests). */
  clearCaches(): void {
    this.partners.clear();
    this.currencies.clear();
    this.terms.clear();
  }
}

/** A partner's terms as plain data (the audit log's before and after). */
function termsOf(record: PartnerCurrencyRecord) {
  return {
    partnerId: record.partnerId,
    currencyCode: record.currencyCode,
    earns: record.earns,
    accepts: record.accepts,
    earnRatePoints: record.earnRatePoints,
    earnRatePerMinor: record.earnRatePerMinor,
    moneyCurrency: record.moneyCurrency,
  };
}

function termsKey(partnerId: string, currency: string): string {
  return `${partnerId}:${currency}`;
}
