import type { Sql, SqlDatabase } from '../db/sql';
import { IdempotencyKeyReused } from '../ledger/errors';
import { requestHash } from '../ledger/idempotency';
import type { PurchaseService } from '../purchases/purchase-service';
import type { Clock } from '../shared/clock';
import { type Caller, type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { requireReference } from '../shared/validate';
import { SurveyAlreadyAnswered, SurveyClosed } from './errors';
import { type ResponseInput, validResponses } from './survey-definition';
import { type SurveyRow, type SurveyView, surveyOf } from './surveys';

/** A member's answer to a survey, as the member sees it. */
export interface SurveyAnswerView {
  id: string;
  surveyId: string;
  memberId: string;
  clientAnswerId: string;
  /** Whether the member agreed that the partner reads their free text. */
  consentToShareText: boolean;
  /**
   * none: the survey rewards nothing; pending: the member event is not recorded yet (a retry
   * of the same answer records it); recorded: it was, and `points` is what the rules gave.
   */
  rewardState: 'none' | 'pending' | 'recorded';
  rewardPoints: bigint | null;
  rewardTransferId: string | null;
  createdAt: Date;
}

export interface AnswerSurveyInput {
  surveyId: string;
  /** The member's own id of this answer: the idempotency key. */
  clientAnswerId: string;
  responses: ResponseInput[];
  consentToShareText: boolean;
}

/** How old a pending reward must be before the sweep records it (the request may still be at it). */
const pendingRewardGraceMs = 60_000;
const sweepBatchSize = 500;

export const answerSurveyErrors = [
  InvalidInput,
  NotFound,
  SurveyClosed,
  SurveyAlreadyAnswered,
  IdempotencyKeyReused,
] as const;

/**
 * Members' answers. A member answers a survey once: the answer row is unique per survey and
 * member and per member and answer id, so of concurrent submissions one inserts and the others
 * find it (the same answer id and request: that answer; another: SurveyAlreadyAnswered).
 *
 * A rewarded survey's answer then records the member event at the survey's partner
 * (`PurchaseService.recordEvent`, acting as that partner, the answer id as the event id):
 * the partner's event rules decide the points in the earn batch, and the event id makes the
 * reward happen once however often it is recorded. The event is recorded after the answer
 * commits (the earn batch commits on its own); an answer whose reward was cut short stays
 * `pending` and the member's retry of the same answer completes it.
 */
export class SurveyAnswers {
  constructor(
    private readonly db: SqlDatabase,
    private readonly purchases: PurchaseService,
    private readonly clock: Clock,
  ) {}

  /**
   * The calling member answers a survey open at a partner they are linked to. Idempotent on
   * `clientAnswerId`. Errors (`answerSurveyErrors`): InvalidInput (responses that do not fit
   * the questions), NotFound (no such survey visible to the member), SurveyClosed,
   * SurveyAlreadyAnswered, IdempotencyKeyReused (the answer id with another request), Forbidden.
   */
  answer(
    ctx: RequestContext,
    input: AnswerSurveyInput,
  ): Promise<SurveyAnswerView | ErrorOf<typeof answerSurveyErrors>> {
    return failsWith(answerSurveyErrors, async () => {
      const { memberId } = requireCaller(ctx, 'member');
      const clientAnswerId = requireReference('clientAnswerId', input.clientAnswerId);
      const survey = await this.visibleSurvey(memberId, input.surveyId);
      // Checked before the window: a retry of an accepted answer is answered after the close.
      const responses = validResponses(survey.questions, input.responses);
      // The checked responses, so a field sent as null or left out hashes the same.
      const hash = requestHash({
        surveyId: survey.id,
        responses,
        consentToShareText: input.consentToShareText,
      });
      const replayed = await this.replayed(this.db, memberId, clientAnswerId, survey.id, hash);
      if (replayed) return this.rewarded(ctx, survey, replayed);
      requireOpen(survey, this.clock.now());
      const answer = await this.db.transaction(async (sql) => {
        // Shares the survey row with other answers; excludes an edit or a close in progress.
        const locked = await sql.query<SurveyRow>(
          'select *, 0::bigint as answers_count from survey where id = $1 for share',
          [survey.id],
        );
        requireOpen(surveyOf(locked.rows[0]!), this.clock.now());
        const inserted = await sql.query<AnswerRow>(
          `insert into survey_answer (id, survey_id, member_id, client_answer_id, request_hash,
             consent_to_share_text, reward_state, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict do nothing returning *`,
          [
            newId('ans'),
            survey.id,
            memberId,
            clientAnswerId,
            hash,
            input.consentToShareText,
            survey.reward ? 'pending' : 'none',
            this.clock.now(),
          ],
        );
        const row = inserted.rows[0];
        if (!row) return this.conflicting(sql, memberId, clientAnswerId, survey.id, hash);
        await sql.query(
          `insert into survey_response (answer_id, survey_id, question_id, rating, choice_ids, text_value)
           select $1, $2, r.question_id, r.rating, r.choice_ids, r.text_value
           from jsonb_to_recordset($3::jsonb)
             as r(question_id text, rating smallint, choice_ids text[], text_value text)`,
          [
            row.id,
            survey.id,
            JSON.stringify(
              responses.map((response) => ({
                question_id: response.questionId,
                rating: response.rating,
                choice_ids: response.choiceIds,
                text_value: response.text,
              })),
            ),
          ],
        );
        return answerOf(row);
      });
      return this.rewarded(ctx, survey, answer);
    });
  }

  /**
   * Records the member events of answers left pending (a process stopped between an answer's
   * commit and its event) that are over a minute old, a batch at a time: the scheduled
   * `survey-rewards` sweep. Idempotent: the event id is the answer id. Returns how many it
   * recorded.
   */
  async recordPendingRewards(
    ctx: RequestContext,
    asOf: Date,
    progress: (done: number) => void = () => undefined,
  ): Promise<number> {
    let recorded = 0;
    let after: string | null = null;
    for (;;) {
      type PendingRow = AnswerRow & { survey: SurveyRow };
      const rows: { rows: PendingRow[] } = await this.db.query<PendingRow>(
        `select a.*, to_jsonb(s) || jsonb_build_object('answers_count', 0) as survey
         from survey_answer a join survey s on s.id = a.survey_id
         where a.reward_state = 'pending' and a.created_at <= $1 and ($2::text is null or a.id > $2)
         order by a.id limit $3`,
        [new Date(asOf.getTime() - pendingRewardGraceMs), after, sweepBatchSize],
      );
      for (const row of rows.rows) {
        after = row.id;
        const survey = surveyOf({
          ...row.survey,
          opens_at: new Date(row.survey.opens_at),
          closes_at: new Date(row.survey.closes_at),
          created_at: new Date(row.survey.created_at),
          updated_at: new Date(row.survey.updated_at),
        });
        const answer = await this.rewarded(ctx, survey, answerOf(row));
        // One that still cannot be recorded stays pending, for the next run.
        if (answer.rewardState === 'recorded') recorded += 1;
      }
      progress(recorded);
      if (rows.rows.length < sweepBatchSize) return recorded;
    }
  }

  /** The answer given earlier under this answer id, when the request is the same one. */
  private async replayed(
    sql: Sql,
    memberId: string,
    clientAnswerId: string,
    surveyId: string,
    hash: string,
  ): Promise<SurveyAnswerView | null> {
    const rows = await sql.query<AnswerRow>(
      'select * from survey_answer where member_id = $1 and client_answer_id = $2',
      [memberId, clientAnswerId],
    );
    const row = rows.rows[0];
    if (!row) return null;
    if (row.survey_id !== surveyId || row.request_hash !== hash) {
      throw new IdempotencyKeyReused(clientAnswerId);
    }
    return answerOf(row);
  }

  /** Why an answer was not inserted: a replay (its answer), or a second answer (an error). */
  private async conflicting(
    sql: Sql,
    memberId: string,
    clientAnswerId: string,
    surveyId: string,
    hash: string,
  ): Promise<SurveyAnswerView> {
    const replay = await this.replayed(sql, memberId, clientAnswerId, surveyId, hash);
    if (replay) return replay;
    const rows = await sql.query<{ id: string }>(
      'select id from survey_answer where survey_id = $1 and member_id = $2',
      [surveyId, memberId],
    );
    throw new SurveyAlreadyAnswered(surveyId, rows.rows[0]!.id);
  }

  /** A survey the member may see: one of a partner they are linked to. */
  private async visibleSurvey(memberId: string, surveyId: string): Promise<SurveyView> {
    const rows = await this.db.query<SurveyRow>(
      `select s.*, 0::bigint as answers_count from survey s
       join member_link l on l.partner_id = s.partner_id and l.member_id = $2
       where s.id = $1`,
      [surveyId, memberId],
    );
    if (!rows.rows[0]) throw new NotFound('survey', surveyId);
    return surveyOf(rows.rows[0]);
  }

  /** Records the answer's member event when it is still pending; the answer as it then stands. */
  private async rewarded(
    ctx: RequestContext,
    survey: SurveyView,
    answer: SurveyAnswerView,
  ): Promise<SurveyAnswerView> {
    if (answer.rewardState !== 'pending' || !survey.reward) return answer;
    const caller: Caller = { kind: 'partner', partnerId: survey.partnerId };
    // The survey's partner records its member's event; the member's request carries it.
    const asPartner: RequestContext = {
      caller,
      requestId: ctx.requestId,
      deadlineAt: ctx.deadlineAt,
      get em() {
        return ctx.em;
      },
    };
    const event = await this.purchases.recordEvent(asPartner, {
      member: { memberId: answer.memberId },
      currency: survey.reward.currency,
      type: survey.reward.eventType,
      eventId: answer.id,
    });
    // A reward that could not be recorded leaves the answer pending (the answer stands).
    if (event instanceof Error) return answer;
    const rows = await this.db.query<AnswerRow>(
      `update survey_answer set reward_state = 'recorded', reward_points = $2, reward_transfer_id = $3
       where id = $1 returning *`,
      [answer.id, event.points, event.transferId],
    );
    return answerOf(rows.rows[0]!);
  }
}

function requireOpen(survey: SurveyView, now: Date): void {
  if (now.getTime() < survey.opensAt.getTime() || now.getTime() >= survey.closesAt.getTime()) {
    throw new SurveyClosed(survey.id, survey.opensAt, survey.closesAt);
  }
}

interface AnswerRow {
  id: string;
  survey_id: string;
  member_id: string;
  client_answer_id: string;
  request_hash: string;
  consent_to_share_text: boolean;
  reward_state: SurveyAnswerView['rewardState'];
  reward_points: bigint | null;
  reward_transfer_id: string | null;
  created_at: Date;
}

function answerOf(row: AnswerRow): SurveyAnswerView {
  return {
    id: row.id,
    surveyId: row.survey_id,
    memberId: row.member_id,
    clientAnswerId: row.client_answer_id,
    consentToShareText: row.consent_to_share_text,
    rewardState: row.reward_state,
    rewardPoints: row.reward_points,
    rewardTransferId: row.reward_transfer_id,
    createdAt: row.created_at,
  };
}
