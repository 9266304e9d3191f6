import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import { CurrencyNotSupported } from '../programs/errors';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { SurveyLocked } from './errors';
import {
  type SurveyDefinition,
  type SurveyQuestion,
  validSurveyDefinition,
} from './survey-definition';

/** A survey as its partner (and the operator) sees it. */
export interface SurveyView extends SurveyDefinition {
  id: string;
  partnerId: string;
  /** How many members answered it. */
  answersCount: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/** A survey as a member sees it in their list of open surveys. */
export interface OpenSurveyView {
  id: string;
  partnerId: string;
  title: string;
  questions: SurveyQuestion[];
  opensAt: Date;
  closesAt: Date;
  /** Whether answering it records a member event (which the partner's rules may reward). */
  rewarded: boolean;
  /** The member's answer, when they have answered (then it takes no other). */
  answerId: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const defineSurveyErrors = [InvalidInput, NotFound, CurrencyNotSupported] as const;
export const updateSurveyErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  SurveyLocked,
] as const;
export const closeSurveyErrors = [NotFound] as const;

export const surveyPageSizeMax = 100;

/**
 * Partners' surveys (issue 18, item 3): a partner defines, edits (until the first answer) and
 * closes its own; the operator reads all. Members see the open surveys of the partners they
 * are linked to (as receipts: a member deals with a partner through a link). Every change is
 * audited, in the transaction that makes it.
 *
 * Edits stop at the first answer (SurveyLocked) rather than versioning the questions: every
 * answer was then given to the questions the survey shows, and results need no version
 * column. Closing (ending the window now) is allowed at any time.
 */
export class Surveys {
  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock,
  ) {}

  /**
   * The calling partner defines a survey. A reward names a currency the partner awards; the
   * answer records that member event at the partner. Errors (`defineSurveyErrors`):
   * InvalidInput, NotFound (currency), CurrencyNotSupported, Forbidden.
   */
  define(
    ctx: RequestContext,
    input: SurveyDefinition,
  ): Promise<SurveyView | ErrorOf<typeof defineSurveyErrors>> {
    return failsWith(defineSurveyErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const definition = await this.validDefinition(partnerId, input);
      const now = this.clock.now();
      if (definition.closesAt.getTime() <= now.getTime()) {
        throw new InvalidInput('closesAt', 'must be in the future');
      }
      const id = newId('svy');
      return this.db.transaction(async (sql) => {
        const rows = await sql.query<SurveyRow>(
          `insert into survey (id, partner_id, title, questions, opens_at, closes_at,
             reward_event_type, reward_currency, created_at, updated_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning *, 0::bigint as answers_count`,
          [id, partnerId, ...definitionParameters(definition), now],
        );
        const created = surveyOf(rows.rows[0]!);
        await recordAudit(sql, ctx, {
          entity: 'survey',
          entityId: id,
          action: 'create',
          before: null,
          after: created,
          partnerIds: [partnerId],
          at: now,
        });
        return created;
      });
    });
  }

  /**
   * Replaces an unanswered survey's definition. Errors (`updateSurveyErrors`): InvalidInput,
   * NotFound (another partner's survey too), CurrencyNotSupported, SurveyLocked (it has
   * answers), Forbidden.
   */
  update(
    ctx: RequestContext,
    surveyId: string,
    input: SurveyDefinition,
  ): Promise<SurveyView | ErrorOf<typeof updateSurveyErrors>> {
    return failsWith(updateSurveyErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const definition = await this.validDefinition(partnerId, input);
      const now = this.clock.now();
      if (definition.closesAt.getTime() <= now.getTime()) {
        throw new InvalidInput('closesAt', 'must be in the future');
      }
      return this.db.transaction(async (sql) => {
        const before = await lockedSurvey(sql, surveyId, partnerId);
        if (before.answersCount > 0n) throw new SurveyLocked(surveyId, before.answersCount);
        const rows = await sql.query<SurveyRow>(
          `update survey set title = $3, questions = $4, opens_at = $5, closes_at = $6,
             reward_event_type = $7, reward_currency = $8, updated_at = $9
           where id = $1 and partner_id = $2 returning *, 0::bigint as answers_count`,
          [surveyId, partnerId, ...definitionParameters(definition), now],
        );
        const after = surveyOf(rows.rows[0]!);
        await recordAudit(sql, ctx, {
          entity: 'survey',
          entityId: surveyId,
          action: 'update',
          before,
          after,
          partnerIds: [partnerId],
          at: now,
        });
        return after;
      });
    });
  }

  /**
   * Closes a survey now (answered or not); closing a closed one changes nothing. Errors
   * (`closeSurveyErrors`): NotFound, Forbidden.
   */
  close(
    ctx: RequestContext,
    surveyId: string,
  ): Promise<SurveyView | ErrorOf<typeof closeSurveyErrors>> {
    return failsWith(closeSurveyErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const now = this.clock.now();
      return this.db.transaction(async (sql) => {
        const before = await lockedSurvey(sql, surveyId, partnerId);
        if (before.closesAt.getTime() <= now.getTime()) return before;
        // A window must stay non-empty: a survey not open yet closes as it opens.
        const closesAt = new Date(Math.max(now.getTime(), before.opensAt.getTime() + 1));
        await sql.query('update survey set closes_at = $2, updated_at = $3 where id = $1', [
          surveyId,
          closesAt,
          now,
        ]);
        const after = { ...before, closesAt, updatedAt: now };
        await recordAudit(sql, ctx, {
          entity: 'survey',
          entityId: surveyId,
          action: 'close',
          before,
          after,
          partnerIds: [partnerId],
          at: now,
        });
        return after;
      });
    });
  }

  /** One survey: the partner's own, or any for the operator; null when not visible. */
  async survey(ctx: RequestContext, surveyId: string): Promise<SurveyView | null> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const rows = await this.db.query<SurveyRow>(
      `select s.*, (select count(*) from survey_answer a where a.survey_id = s.id) as answers_count
       from survey s where s.id = $1 and ($2::text is null or s.partner_id = $2)`,
      [surveyId, caller.kind === 'partner' ? caller.partnerId : null],
    );
    return rows.rows[0] ? surveyOf(rows.rows[0]) : null;
  }

  /** Surveys newest first: a partner's own; the operator's, all (or one partner's). */
  async surveys(
    ctx: RequestContext,
    filter: { partnerId?: string | null; first?: number; after?: string | null },
  ): Promise<Page<SurveyView>> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const partnerId = caller.kind === 'partner' ? caller.partnerId : (filter.partnerId ?? null);
    const first = pageSize(filter.first);
    const rows = await this.db.query<SurveyRow>(
      `select s.*, (select count(*) from survey_answer a where a.survey_id = s.id) as answers_count
       from survey s
       where ($1::text is null or s.partner_id = $1) and ($2::text is null or s.id < $2)
       order by s.id desc limit $3`,
      [partnerId, filter.after ?? null, first + 1],
    );
    return pageOf(rows.rows.map(surveyOf), first);
  }

  /**
   * The surveys open now at the partners the calling member is linked to, newest first, with
   * the member's answer when they gave one.
   */
  async openSurveys(
    ctx: RequestContext,
    filter: { first?: number; after?: string | null },
  ): Promise<Page<OpenSurveyView>> {
    const { memberId } = requireCaller(ctx, 'member');
    const first = pageSize(filter.first);
    const rows = await this.db.query<SurveyRow & { answer_id: string | null }>(
      `select s.*, 0::bigint as answers_count, a.id as answer_id
       from survey s
       join member_link l on l.partner_id = s.partner_id and l.member_id = $1
       left join survey_answer a on a.survey_id = s.id and a.member_id = $1
       where s.opens_at <= $2 and s.closes_at > $2 and ($3::text is null or s.id < $3)
       order by s.id desc limit $4`,
      [memberId, this.clock.now(), filter.after ?? null, first + 1],
    );
    const items = rows.rows.map((row): OpenSurveyView => {
      const survey = surveyOf(row);
      return {
        id: survey.id,
        partnerId: survey.partnerId,
        title: survey.title,
        questions: survey.questions,
        opensAt: survey.opensAt,
        closesAt: survey.closesAt,
        rewarded: survey.reward !== null,
        answerId: row.answer_id,
      };
    });
    return pageOf(items, first);
  }

  private async validDefinition(
    partnerId: string,
    input: SurveyDefinition,
  ): Promise<SurveyDefinition> {
    const definition = validSurveyDefinition(input);
    if (definition.reward) {
      const currency = definition.reward.currency;
      if (!(await this.catalog.currency(currency))) throw new NotFound('currency', currency);
      const terms = await this.catalog.partnerTerms(partnerId, currency);
      if (!terms?.earns) throw new CurrencyNotSupported(currency, partnerId, 'earn');
    }
    return definition;
  }
}

/** The partner's survey, locked for the transaction, with its answer count. */
async function lockedSurvey(sql: Sql, surveyId: string, partnerId: string): Promise<SurveyView> {
  const rows = await sql.query<SurveyRow>(
    `select s.*, (select count(*) from survey_answer a where a.survey_id = s.id) as answers_count
     from survey s where s.id = $1 and s.partner_id = $2 for update of s`,
    [surveyId, partnerId],
  );
  if (!rows.rows[0]) throw new NotFound('survey', surveyId);
  return surveyOf(rows.rows[0]);
}

function definitionParameters(definition: SurveyDefinition): unknown[] {
  return [
    definition.title,
    JSON.stringify(definition.questions),
    definition.opensAt,
    definition.closesAt,
    definition.reward?.eventType ?? null,
    definition.reward?.currency ?? null,
  ];
}

export function pageSize(first: number | undefined): number {
  return Math.min(Math.max(first ?? 50, 1), surveyPageSizeMax);
}

export function pageOf<T extends { id: string }>(rows: T[], first: number): Page<T> {
  const items = rows.slice(0, first);
  return {
    items,
    nextCursor: rows.length > first ? items[items.length - 1]!.id : null,
  };
}

export interface SurveyRow {
  id: string;
  partner_id: string;
  title: string;
  questions: SurveyQuestion[];
  opens_at: Date;
  closes_at: Date;
  reward_event_type: string | null;
  reward_currency: string | null;
  created_at: Date;
  updated_at: Date;
  answers_count: string | bigint;
}

export function surveyOf(row: SurveyRow): SurveyView {
  return {
    id: row.id,
    partnerId: row.partner_id,
    title: row.title,
    questions: row.questions,
    opensAt: row.opens_at,
    closesAt: row.closes_at,
    reward:
      row.reward_event_type && row.reward_currency
        ? { eventType: row.reward_event_type, currency: row.reward_currency }
        : null,
    answersCount: BigInt(row.answers_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
