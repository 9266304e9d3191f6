import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import type { RuleWorlds } from '../ledger/earn';
import { rulePricingSeconds, rulePricings } from '../observability/metrics';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { callerName, type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { maxBig } from '../shared/money';
import {
  definitionJson,
  definitionOf,
  type RuleDefinition,
  validRuleDefinition,
} from './rule-definition';
import {
  byEvaluationOrder,
  type CompiledRule,
  compileRule,
  type EarnFacts,
  priceRules,
} from './rule-engine';

/** An earning rule as its owner and the operator see it. */
export interface EarnRuleView {
  id: string;
  /** Null: the operator's coalition campaign, applying to every partner's purchases. */
  ownerPartnerId: string | null;
  currency: string;
  /** The version in force (1 when created; each update adds one). */
  version: number;
  definition: RuleDefinition;
  /** When the rule was ended (it no longer applies); null while it is live. */
  endedAt: Date | null;
  /** What is left of the rule's budget (null: it has none). */
  budgetLeft: { points: bigint; uses: bigint } | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EarnRulesPage {
  rules: EarnRuleView[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const defineRuleErrors = [InvalidInput, NotFound] as const;
export const manageRuleErrors = [InvalidInput, NotFound] as const;

const pageSizeMax = 100;

/**
 * Earning rules (issue 14): partners' rules over their own purchases and the operator's
 * coalition campaigns, versioned (a version is never edited), and the rules in force for an
 * earn, compiled once per version and kept in memory until the configuration changes (this
 * process's writes, and every process's through the change feed: `clearCaches`).
 */
export class RuleService {
  private readonly inForce = new Map<string, Promise<PricingSet>>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates a rule: a partner's, over its own purchases in a currency it awards, funded by it;
   * or the operator's coalition campaign. Errors (`defineRuleErrors`): InvalidInput, NotFound
   * (currency), Forbidden.
   */
  createRule(
    ctx: RequestContext,
    input: { currency: string; definition: RuleDefinition },
  ): Promise<EarnRuleView | ErrorOf<typeof defineRuleErrors>> {
    return failsWith(defineRuleErrors, async () => {
      const caller = requireCaller(ctx, 'partner', 'operator');
      const owner = caller.kind === 'partner' ? caller.partnerId : null;
      const currency = await this.catalog.currency(input.currency);
      if (!currency) throw new NotFound('currency', input.currency);
      if (owner !== null) {
        const terms = await this.catalog.partnerTerms(owner, currency.code);
        if (!terms?.earns) {
          throw new InvalidInput('currency', `the calling partner does not award ${currency.code}`);
        }
      }
      const definition = validRuleDefinition(input.definition, { partnerOwned: owner !== null });
      const view = await this.db.transaction(async (sql) => {
        await requireVisibleSegments(sql, owner, definition);
        return this.insertRule(sql, ctx, { owner, currency: currency.code, definition });
      });
      this.clearCaches();
      return view;
    });
  }

  /**
   * Writes a new rule, version 1, its budget slots and its audit entry, in the caller's
   * transaction (createRule's, or an offer's: gateway/offers). The definition is valid; the
   * caller clears the caches after the commit.
   */
  async insertRule(
    sql: Sql,
    ctx: RequestContext,
    input: { owner: string | null; currency: string; definition: RuleDefinition },
  ): Promise<EarnRuleView> {
    const { owner, definition } = input;
    const now = this.clock.now();
    const id = newId('rul');
    await sql.query(
      `insert into earn_rule (id, owner_partner_id, currency_code, version, created_at)
       values ($1, $2, $3, 1, $4)`,
      [id, owner, input.currency, now],
    );
    await sql.query(
      `insert into earn_rule_version (rule_id, version, definition, created_by, created_at)
       values ($1, 1, $2, $3, $4)`,
      [id, definitionJson(definition), callerName(ctx), now],
    );
    const budgetLeft = await splitBudget(sql, id, definition, null);
    const created: EarnRuleView = {
      id,
      ownerPartnerId: owner,
      currency: input.currency,
      version: 1,
      definition,
      endedAt: null,
      budgetLeft,
      createdAt: now,
      updatedAt: now,
    };
    await recordAudit(sql, ctx, {
      entity: 'earn_rule',
      entityId: id,
      action: 'create',
      before: null,
      after: created,
      partnerIds: owner ? [owner] : [],
      at: now,
    });
    return created;
  }

  /**
   * Replaces a rule's definition with a new version (earns already priced keep theirs). The
   * owner or the operator. Errors (`manageRuleErrors`): InvalidInput (an ended rule too),
   * NotFound, Forbidden.
   */
  updateRule(
    ctx: RequestContext,
    ruleId: string,
    definition: RuleDefinition,
  ): Promise<EarnRuleView | ErrorOf<typeof manageRuleErrors>> {
    return failsWith(manageRuleErrors, () =>
      this.changeRule(ctx, ruleId, 'update', async (sql, before) => {
        if (before.definition.conditions.some((c) => c.kind === 'activatedOffer')) {
          throw new InvalidInput('ruleId', 'this rule is an offer’s: it changes with its offer');
        }
        const valid = validRuleDefinition(definition, {
          partnerOwned: before.ownerPartnerId !== null,
        });
        await requireVisibleSegments(sql, before.ownerPartnerId, valid);
        return { ...before, version: before.version + 1, definition: valid };
      }),
    );
  }

  /** Ends a rule: it no longer applies from now. Errors (`manageRuleErrors`). */
  endRule(
    ctx: RequestContext,
    ruleId: string,
  ): Promise<EarnRuleView | ErrorOf<typeof manageRuleErrors>> {
    return failsWith(manageRuleErrors, () =>
      this.changeRule(ctx, ruleId, 'end', async (_sql, before) => ({
        ...before,
        endedAt: this.clock.now(),
      })),
    );
  }

  /**
   * Rules the caller may see, newest first: a partner its own and the coalition campaigns, the
   * operator every rule. Ended rules only when asked.
   */
  async rules(
    ctx: RequestContext,
    filter: { currency?: string; includeEnded?: boolean; first?: number; after?: string },
  ): Promise<EarnRulesPage> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const first = Math.min(Math.max(filter.first ?? 50, 1), pageSizeMax);
    const rows = await this.db.query<RuleRow>(
      `${ruleSelect}
       where ($1::text is null or r.owner_partner_id = $1 or r.owner_partner_id is null)
         and ($2::text is null or r.currency_code = $2)
         and ($3 or r.ended_at is null)
         and ($4::text is null or r.id < $4)
       order by r.id desc limit $5`,
      [
        caller.kind === 'partner' ? caller.partnerId : null,
        filter.currency ?? null,
        filter.includeEnded ?? false,
        filter.after ?? null,
        first + 1,
      ],
    );
    const rules = rows.rows.slice(0, first).map(viewOf);
    return {
      rules,
      nextCursor: rows.rows.length > first ? rules[rules.length - 1]!.id : null,
    };
  }

  /**
   * The rule bonus of an earn at a partner in a currency, per world (see RuleWorlds): the
   * partner's rules and the coalition campaigns in force at `facts.at`. No database round trip
   * once the partner's rules are in memory.
   */
  async priceEarn(
    partnerId: string,
    currency: string,
    facts: EarnFacts,
    options: { coalitionOnly?: boolean } = {},
  ): Promise<RuleWorlds | null> {
    const set = await this.pricingSet(partnerId, currency);
    if (set.rules.length === 0) return null;
    const startedAt = performance.now();
    const rules = set.rules.filter(
      (rule) =>
        rule.inForceAt(facts.at) && (!options.coalitionOnly || rule.ownerPartnerId === null),
    );
    const priced = rules.length === 0 ? null : priceRules(rules, facts, set.tiersAt(facts.at));
    rulePricingSeconds.inc((performance.now() - startedAt) / 1_000);
    rulePricings.inc();
    return priced;
  }

  /** The tier codes of the program's ladder at `at`, by rank (empty: no ladder). */
  async tierCodesAt(currency: string, at: Date, partnerId: string): Promise<string[]> {
    return (await this.pricingSet(partnerId, currency)).tiersAt(at).slice(1) as string[];
  }

  /** Drops what is kept in memory: rules or ladders changed. */
  clearCaches(): void {
    this.inForce.clear();
  }

  private pricingSet(partnerId: string, currency: string): Promise<PricingSet> {
    const key = `${partnerId}\u0000${currency}`;
    let set = this.inForce.get(key);
    if (!set) {
      set = this.loadPricingSet(partnerId, currency);
      this.inForce.set(key, set);
      set.catch(() => this.inForce.delete(key));
    }
    return set;
  }

  private async loadPricingSet(partnerId: string, currency: string): Promise<PricingSet> {
    const [rules, ladders] = await Promise.all([
      this.db.query<RuleRow>(
        `${ruleSelect}
         where (r.owner_partner_id = $1 or r.owner_partner_id is null)
           and r.currency_code = $2 and r.ended_at is null`,
        [partnerId, currency],
      ),
      this.db.query<{ effective_from: Date; codes: string[] }>(
        `select effective_from, array(select t ->> 'code' from jsonb_array_elements(tiers) t) as codes
         from tier_ladder_version where currency_code = $1 order by effective_from desc`,
        [currency],
      ),
    ]);
    const compiled = rules.rows
      .map((row) =>
        compileRule({
          id: row.id,
          version: row.version,
          ownerPartnerId: row.owner_partner_id,
          definition: definitionOf(row.definition),
        }),
      )
      .sort(byEvaluationOrder);
    return {
      rules: compiled,
      tiersAt: (at) => {
        const ladder = ladders.rows.find((row) => row.effective_from.getTime() <= at.getTime());
        return ladder ? [null, ...ladder.codes] : [null];
      },
    };
  }

  private async changeRule(
    ctx: RequestContext,
    ruleId: string,
    action: 'update' | 'end',
    change: (sql: Sql, before: EarnRuleView) => Promise<EarnRuleView>,
  ): Promise<EarnRuleView> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const view = await this.db.transaction(async (sql) => {
      const rows = await sql.query<RuleRow>(`${ruleSelect} where r.id = $1 for update of r`, [
        ruleId,
      ]);
      const row = rows.rows[0];
      // Another partner's rule, or a coalition campaign for a partner: as if it did not exist.
      if (!row || (caller.kind === 'partner' && row.owner_partner_id !== caller.partnerId)) {
        throw new NotFound('earnRule', ruleId);
      }
      const before = viewOf(row);
      if (before.endedAt) throw new InvalidInput('ruleId', 'this rule has ended');
      const now = this.clock.now();
      const after = { ...(await change(sql, before)), updatedAt: now };
      if (after.version !== before.version) {
        await sql.query(
          `insert into earn_rule_version (rule_id, version, definition, created_by, created_at)
           values ($1, $2, $3, $4, $5)`,
          [ruleId, after.version, definitionJson(after.definition), callerName(ctx), now],
        );
        after.budgetLeft = await splitBudget(sql, ruleId, after.definition, before);
      }
      await sql.query('update earn_rule set version = $2, ended_at = $3 where id = $1', [
        ruleId,
        after.version,
        after.endedAt,
      ]);
      await recordAudit(sql, ctx, {
        entity: 'earn_rule',
        entityId: ruleId,
        action,
        before,
        after,
        partnerIds: before.ownerPartnerId ? [before.ownerPartnerId] : [],
        at: now,
      });
      return after;
    });
    this.clearCaches();
    return view;
  }
}

/** The rules in force for one partner and currency, and the program's tier codes. */
interface PricingSet {
  rules: CompiledRule[];
  /** Each world's tier code at an instant: [null (no tier), rank 0's code, ...]. */
  tiersAt(at: Date): (string | null)[];
}

/**
 * A rule's segment condition names a segment its owner sees: a partner's own, or any for the
 * operator's campaigns. NotFound otherwise (another partner's segment as if it did not exist).
 */
async function requireVisibleSegments(
  sql: Sql,
  owner: string | null,
  definition: RuleDefinition,
): Promise<void> {
  for (const condition of definition.conditions) {
    if (condition.kind !== 'segment') continue;
    const rows = await sql.query<{ partner_id: string | null }>(
      'select partner_id from segment where id = $1',
      [condition.segmentId],
    );
    const row = rows.rows[0];
    if (!row || (owner !== null && row.partner_id !== owner)) {
      throw new NotFound('segment', condition.segmentId);
    }
  }
}

const budgetSlots = 8;

/**
 * Spreads what is left of a rule's budget over its 8 slots (the earn batch takes one per batch;
 * migrations/0029). A new budget keeps what was granted under the previous one: left = new budget
 * - granted, never below zero. Returns what is left (null: no budget). Call with the rule's row
 * locked (an update) or new (a create).
 */
async function splitBudget(
  sql: Sql,
  ruleId: string,
  definition: RuleDefinition,
  before: EarnRuleView | null,
): Promise<EarnRuleView['budgetLeft']> {
  const { pointsBudget, usesMax } = definition.limits;
  const previous = before?.definition.limits;
  const granted = {
    points:
      previous?.pointsBudget != null && before?.budgetLeft
        ? previous.pointsBudget - before.budgetLeft.points
        : 0n,
    uses:
      previous?.usesMax != null && before?.budgetLeft
        ? BigInt(previous.usesMax) - before.budgetLeft.uses
        : 0n,
  };
  await sql.query('delete from earn_rule_budget_slot where rule_id = $1', [ruleId]);
  if (pointsBudget === null && usesMax === null) return null;
  // "No limit" on one side of a budget is the largest a slot may hold.
  const unlimited = 10n ** 15n;
  const left = {
    points: maxBig(0n, (pointsBudget ?? unlimited) - granted.points),
    uses: maxBig(0n, (usesMax === null ? unlimited : BigInt(usesMax)) - granted.uses),
  };
  const share = (total: bigint, slot: number) =>
    total / BigInt(budgetSlots) + (BigInt(slot) < total % BigInt(budgetSlots) ? 1n : 0n);
  await sql.query(
    `insert into earn_rule_budget_slot (rule_id, slot, remaining_points, remaining_uses)
     select $1, s, ($2::bigint[])[s + 1], ($3::bigint[])[s + 1] from generate_series(0, 7) s`,
    [
      ruleId,
      Array.from({ length: budgetSlots }, (_, slot) => share(left.points, slot).toString()),
      Array.from({ length: budgetSlots }, (_, slot) => share(left.uses, slot).toString()),
    ],
  );
  return left;
}

interface RuleRow {
  id: string;
  owner_partner_id: string | null;
  currency_code: string;
  version: number;
  ended_at: Date | null;
  created_at: Date;
  updated_at: Date;
  definition: Record<string, unknown>;
  budget_points: string | null;
  budget_uses: string | null;
}

const ruleSelect = `
  select r.id, r.owner_partner_id, r.currency_code, r.version, r.ended_at, r.created_at,
         v.created_at as updated_at, v.definition, b.points as budget_points, b.uses as budget_uses
  from earn_rule r join earn_rule_version v on v.rule_id = r.id and v.version = r.version
  left join lateral (
    select sum(s.remaining_points)::text as points, sum(s.remaining_uses)::text as uses
    from earn_rule_budget_slot s where s.rule_id = r.id having count(*) > 0
  ) b on true`;

function viewOf(row: RuleRow): EarnRuleView {
  return {
    id: row.id,
    ownerPartnerId: row.owner_partner_id,
    currency: row.currency_code,
    version: row.version,
    definition: definitionOf(row.definition),
    endedAt: row.ended_at,
    budgetLeft:
      row.budget_points === null
        ? null
        : { points: BigInt(row.budget_points), uses: BigInt(row.budget_uses ?? '0') },
    createdAt: row.created_at,
    updatedAt: row.ended_at ?? row.updated_at,
  };
}
