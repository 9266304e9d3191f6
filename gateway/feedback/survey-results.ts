import type { SqlDatabase } from '../db/sql';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import type { QuestionKind } from './survey-definition';
import { type Page, pageSize, type SurveyRow, type SurveyView, surveyOf } from './surveys';

/** Reading a survey's results fails with one of these (or Forbidden), and no other. */
export const surveyReadErrors = [InvalidInput, NotFound] as const;

/** One question's results over every answer of its survey. */
export interface QuestionResults {
  questionId: string;
  kind: QuestionKind;
  prompt: string;
  /** How many answers answered this question (an optional one may be left out). */
  answersCount: bigint;
  /** Rating questions: how many gave each rating, 1 to the scale's top (zeros included). */
  ratingCounts: { rating: number; count: bigint }[];
  /** Rating questions: the sum of the ratings given (the average is this over answersCount). */
  ratingSum: bigint | null;
  /** Rating questions: the average, a decimal rounded half up to 2 places ("4.33"); null: none. */
  ratingAverage: string | null;
  /** Choice questions: how many picked each choice, in the question's order (zeros included). */
  choiceCounts: { choiceId: string; label: string; count: bigint }[];
  /** Text questions: of the answers, how many consented to show their text to the partner. */
  consentedTextCount: bigint;
}

export interface SurveyResults {
  survey: SurveyView;
  answersCount: bigint;
  questions: QuestionResults[];
}

/** A free-text response whose member consented to share it; who wrote it is not shown. */
export interface SurveyTextAnswer {
  /** The answer's id and the question's, "ans_.../q3": the cursor of the page. */
  id: string;
  answerId: string;
  questionId: string;
  text: string;
  answeredAt: Date;
}

/**
 * What a partner learns from its surveys: counts per rating and choice, average ratings and
 * answer counts for every question, and the free text of the answers whose members consented
 * (never the others', never who wrote it). A partner reads its own surveys only; the operator
 * reads any. Four aggregate queries per survey, over the responses' (survey, question) index.
 */
export class SurveyResultsReader {
  constructor(private readonly db: SqlDatabase) {}

  /** A survey's results. Errors: NotFound (another partner's survey too), Forbidden. */
  results(
    ctx: RequestContext,
    surveyId: string,
  ): Promise<SurveyResults | ErrorOf<typeof surveyReadErrors>> {
    return failsWith(surveyReadErrors, async () => {
      const survey = await this.readableSurvey(ctx, surveyId);
      const [ratings, choices, counts] = await Promise.all([
        this.db.query<{ question_id: string; rating: number; count: bigint }>(
          `select question_id, rating, count(*) as count from survey_response
           where survey_id = $1 and rating is not null group by question_id, rating`,
          [surveyId],
        ),
        this.db.query<{ question_id: string; choice_id: string; count: bigint }>(
          `select question_id, choice_id, count(*) as count
           from survey_response cross join unnest(choice_ids) as choice_id
           where survey_id = $1 and choice_ids is not null group by question_id, choice_id`,
          [surveyId],
        ),
        this.db.query<{ question_id: string; answers: bigint; consented: bigint }>(
          `select r.question_id, count(*) as answers,
                  count(*) filter (where a.consent_to_share_text and r.text_value is not null) as consented
           from survey_response r join survey_answer a on a.id = r.answer_id
           where r.survey_id = $1 group by r.question_id`,
          [surveyId],
        ),
      ]);
      const key = (questionId: string, value: string | number) => `${questionId}\u0000${value}`;
      const ratingCount = new Map(ratings.rows.map((r) => [key(r.question_id, r.rating), r.count]));
      const choiceCount = new Map(
        choices.rows.map((r) => [key(r.question_id, r.choice_id), r.count]),
      );
      const countOf = new Map(counts.rows.map((row) => [row.question_id, row]));
      const questions = survey.questions.map((question): QuestionResults => {
        const answersCount = countOf.get(question.id)?.answers ?? 0n;
        const ratingCounts =
          question.kind === 'rating'
            ? Array.from({ length: question.scaleMax ?? 0 }, (_, index) => ({
                rating: index + 1,
                count: ratingCount.get(key(question.id, index + 1)) ?? 0n,
              }))
            : [];
        const ratingSum =
          question.kind === 'rating'
            ? ratingCounts.reduce((sum, r) => sum + BigInt(r.rating) * r.count, 0n)
            : null;
        return {
          questionId: question.id,
          kind: question.kind,
          prompt: question.prompt,
          answersCount,
          ratingCounts,
          ratingSum,
          ratingAverage:
            ratingSum === null || answersCount === 0n ? null : averageOf(ratingSum, answersCount),
          choiceCounts: question.choices.map((choice) => ({
            choiceId: choice.id,
            label: choice.label,
            count: choiceCount.get(key(question.id, choice.id)) ?? 0n,
          })),
          consentedTextCount: countOf.get(question.id)?.consented ?? 0n,
        };
      });
      return { survey, answersCount: survey.answersCount, questions };
    });
  }

  /**
   * The free text of consenting answers, newest first, optionally of one question. Errors:
   * NotFound (another partner's survey too), InvalidInput (not a text question), Forbidden.
   */
  textAnswers(
    ctx: RequestContext,
    surveyId: string,
    filter: { questionId?: string | null; first?: number; after?: string | null },
  ): Promise<Page<SurveyTextAnswer> | ErrorOf<typeof surveyReadErrors>> {
    return failsWith(surveyReadErrors, async () => {
      const survey = await this.readableSurvey(ctx, surveyId);
      const questionId = filter.questionId ?? null;
      if (
        questionId !== null &&
        !survey.questions.some((q) => q.id === questionId && q.kind === 'text')
      ) {
        throw new InvalidInput('questionId', 'is not a text question of this survey');
      }
      const first = pageSize(filter.first);
      const after = textCursor(filter.after ?? null);
      const rows = await this.db.query<{
        id: string;
        question_id: string;
        text_value: string;
        created_at: Date;
      }>(
        `select a.id, r.question_id, r.text_value, a.created_at
         from survey_answer a join survey_response r on r.answer_id = a.id
         where a.survey_id = $1 and a.consent_to_share_text and r.text_value is not null
           and ($2::text is null or r.question_id = $2)
           and ($3::text is null or (a.id, r.question_id) < ($3, $4))
         order by a.id desc, r.question_id desc limit $5`,
        [surveyId, questionId, after?.answerId ?? null, after?.questionId ?? null, first + 1],
      );
      const items = rows.rows.slice(0, first).map((row) => ({
        id: `${row.id}/${row.question_id}`,
        answerId: row.id,
        questionId: row.question_id,
        text: row.text_value,
        answeredAt: row.created_at,
      }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.rows.length > first && last ? last.id : null };
    });
  }

  private async readableSurvey(ctx: RequestContext, surveyId: string): Promise<SurveyView> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const rows = await this.db.query<SurveyRow>(
      `select s.*, (select count(*) from survey_answer a where a.survey_id = s.id) as answers_count
       from survey s where s.id = $1 and ($2::text is null or s.partner_id = $2)`,
      [surveyId, caller.kind === 'partner' ? caller.partnerId : null],
    );
    if (!rows.rows[0]) throw new NotFound('survey', surveyId);
    return surveyOf(rows.rows[0]);
  }
}

/** sum / count as a decimal rounded half up to two places, in integers ("4.33"). */
export function averageOf(sum: bigint, count: bigint): string {
  const hundredths = (sum * 200n + count) / (2n * count);
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

/** A text answers cursor: "ans_.../questionId"; anything else is InvalidInput. */
function textCursor(after: string | null): { answerId: string; questionId: string } | null {
  if (after === null) return null;
  const match = /^(ans_[a-z0-9]{26})\/([a-z0-9][a-z0-9_-]{0,39})$/.exec(after);
  if (!match) throw new InvalidInput('after', 'is not a cursor of this list');
  return { answerId: match[1]!, questionId: match[2]! };
}
