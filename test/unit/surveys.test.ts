import { SurveyAlreadyAnswered, SurveyClosed, SurveyLocked } from '../../gateway/feedback/errors';
import type { SurveyDefinition } from '../../gateway/feedback/survey-definition';
import { IdempotencyKeyReused } from '../../gateway/ledger/errors';
import { CurrencyNotSupported } from '../../gateway/programs/errors';
import { noLimits } from '../../gateway/rules/rule-definition';
import type { RequestContext } from '../../gateway/shared/context';
import { InvalidInput, NotFound } from '../../gateway/shared/errors';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

/**
 * Surveys on a real database (issue 18, item 3): definitions and their typed errors, answers
 * given once (also under concurrent submissions) and rewarded once through the partner's event
 * rule, edits stopped by the first answer, results counted exactly, free text shown only with
 * consent, and erasure emptying the text.
 */
let app: TestApp;
let freshmart: RequestContext;
const asMember = (memberId: string): RequestContext => ({
  caller: { kind: 'member', memberId },
  requestId: 'test',
  em: app.orm.em.fork(),
});
const dayMs = 86_400_000;

beforeAll(async () => {
  app = await createTestApp();
  freshmart = app.asPartner('ptr_freshmart');
  // FreshMart rewards a submitted survey with 25 HTL, once per member.
  ok(
    await app.rules.createRule(freshmart, {
      currency: 'HTL',
      definition: {
        name: 'Survey thanks',
        window: {
          startsAt: app.clock.now(),
          endsAt: null,
          daysOfWeek: [],
          hours: null,
          timeZone: 'UTC',
        },
        priority: 0,
        stacking: 'stackable',
        match: 'all',
        conditions: [{ kind: 'event', types: ['survey_submitted'] }],
        effects: [{ kind: 'bonus', points: 25n }],
        partnerShareBp: 10_000,
        limits: noLimits,
      },
    }),
  );
});
afterAll(() => app.close());

function definition(overrides: Partial<SurveyDefinition> = {}): SurveyDefinition {
  const now = app.clock.now().getTime();
  return {
    title: 'How was your visit?',
    questions: [
      {
        id: 'overall',
        kind: 'rating',
        prompt: 'Overall',
        required: true,
        scaleMax: 5,
        choices: [],
        textLengthMax: null,
      },
      {
        id: 'found',
        kind: 'single_choice',
        prompt: 'Did you find everything?',
        required: true,
        scaleMax: null,
        choices: [
          { id: 'yes', label: 'Yes' },
          { id: 'no', label: 'No' },
        ],
        textLengthMax: null,
      },
      {
        id: 'liked',
        kind: 'multiple_choice',
        prompt: 'What did you like?',
        required: false,
        scaleMax: null,
        choices: [
          { id: 'price', label: 'Prices' },
          { id: 'staff', label: 'Staff' },
          { id: 'fresh', label: 'Freshness' },
        ],
        textLengthMax: null,
      },
      {
        id: 'comment',
        kind: 'text',
        prompt: 'Anything else?',
        required: false,
        scaleMax: null,
        choices: [],
        textLengthMax: 200,
      },
    ],
    opensAt: new Date(now - 1000),
    closesAt: new Date(now + 7 * dayMs),
    reward: { eventType: 'survey_submitted', currency: 'HTL' },
    ...overrides,
  };
}

const answer = (rating: number, found: string, comment?: string) => [
  { questionId: 'overall', rating },
  { questionId: 'found', choiceIds: [found] },
  { questionId: 'liked', choiceIds: ['price', 'fresh'] },
  ...(comment ? [{ questionId: 'comment', text: comment }] : []),
];

async function surveyRows() {
  const rows = await app.db.query<{ surveys: bigint; answers: bigint; audits: bigint }>(
    `select (select count(*) from survey) as surveys, (select count(*) from survey_answer) as answers,
            (select count(*) from audit_entry where entity_type = 'survey') as audits`,
  );
  return rows.rows[0];
}

describe('surveys', () => {
  it('refuses bad definitions with typed errors and writes nothing', async () => {
    const before = await surveyRows();
    const now = app.clock.now().getTime();
    const bad: [Partial<SurveyDefinition>, string][] = [
      [{ title: '' }, 'title'],
      [{ questions: [] }, 'questions'],
      [{ closesAt: new Date(now - 2000) }, 'closesAt'],
      [{ closesAt: new Date(now + 400 * dayMs) }, 'closesAt'],
      [{ reward: { eventType: 'Survey Done', currency: 'HTL' } }, 'rewardEventType'],
    ];
    for (const [overrides, field] of bad) {
      const outcome = failure(await app.surveys.define(freshmart, definition(overrides)));
      expect(outcome).toBeInstanceOf(InvalidInput);
      expect((outcome as InvalidInput).field).toBe(field);
    }
    const twice = definition();
    twice.questions = [twice.questions[0]!, twice.questions[0]!];
    expect((failure(await app.surveys.define(freshmart, twice)) as InvalidInput).field).toBe(
      'questions[1].id',
    );
    const oneChoice = definition();
    oneChoice.questions = [{ ...oneChoice.questions[1]!, choices: [{ id: 'yes', label: 'Yes' }] }];
    expect((failure(await app.surveys.define(freshmart, oneChoice)) as InvalidInput).field).toBe(
      'questions[0].choices',
    );
    expect(
      failure(
        await app.surveys.define(
          freshmart,
          definition({ reward: { eventType: 'survey_submitted', currency: 'SKY' } }),
        ),
      ),
    ).toBeInstanceOf(CurrencyNotSupported);
    expect(
      failure(
        await app.surveys.define(
          freshmart,
          definition({ reward: { eventType: 'survey_submitted', currency: 'NOPE' } }),
        ),
      ),
    ).toBeInstanceOf(NotFound);
    expect(failure(await app.surveys.define(asMember('mbr_bob'), definition())).code).toBe(
      'FORBIDDEN',
    );
    expect(await surveyRows()).toEqual(before);
  });

  it('takes one answer per member under 10 concurrent submissions, rewarded once', async () => {
    const survey = ok(await app.surveys.define(freshmart, definition()));
    const bob = asMember('mbr_bob');
    // Ten different answer ids at once: one answer stands, the others are told so.
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        app.surveyAnswers.answer(bob, {
          surveyId: survey.id,
          clientAnswerId: `bob-${index}`,
          responses: answer(4, 'yes'),
          consentToShareText: false,
        }),
      ),
    );
    const answers = outcomes.filter((outcome) => !(outcome instanceof Error));
    expect(answers).toHaveLength(1);
    const given = ok(answers[0]!);
    expect(given).toMatchObject({ rewardState: 'recorded', rewardPoints: 25n });
    expect(given.rewardTransferId).toMatch(/^trf_/);
    for (const outcome of outcomes.filter((o) => o instanceof Error)) {
      expect(outcome).toEqual(new SurveyAlreadyAnswered(survey.id, given.id));
    }
    // The same answer id again (ten times at once) is the same answer, and no new reward.
    const retries = await Promise.all(
      Array.from({ length: 10 }, () =>
        app.surveyAnswers.answer(bob, {
          surveyId: survey.id,
          clientAnswerId: given.clientAnswerId,
          responses: answer(4, 'yes'),
          consentToShareText: false,
        }),
      ),
    );
    for (const retry of retries) expect(ok(retry)).toEqual(given);
    const changed = await app.surveyAnswers.answer(bob, {
      surveyId: survey.id,
      clientAnswerId: given.clientAnswerId,
      responses: answer(5, 'yes'),
      consentToShareText: false,
    });
    expect(changed).toBeInstanceOf(IdempotencyKeyReused);
    const rewards = await app.db.query<{ points: bigint }>(
      `select sum(p.amount_points)::bigint as points, count(*) from transfer t
       join posting p on p.transfer_id = t.id
       where t.member_id = 'mbr_bob' and t.external_id = $1`,
      [`event:${given.id}`],
    );
    expect(rewards.rows[0]).toEqual({ points: 25n, count: 1n });
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('rewards an answer whose process stopped before its member event, by the sweep', async () => {
    const survey = ok(await app.surveys.define(freshmart, definition()));
    // As a process that died right after committing the answer would leave it.
    await app.db.query(
      `insert into survey_answer (id, survey_id, member_id, client_answer_id, request_hash,
         consent_to_share_text, reward_state, created_at)
       values ('ans_00000000000000000000000001', $1, 'mbr_bob', 'stopped', 'x', false, 'pending', $2)`,
      [survey.id, app.clock.now()],
    );
    const system = app.systemContext('test');
    // Within its first minute the request may still be recording it: the sweep leaves it.
    expect(await app.surveyAnswers.recordPendingRewards(system, app.clock.now())).toBe(0);
    app.clock.advance(61_000);
    expect(await app.surveyAnswers.recordPendingRewards(system, app.clock.now())).toBe(1);
    expect(await app.surveyAnswers.recordPendingRewards(system, app.clock.now())).toBe(0);
    const row = await app.db.query(
      `select reward_state, reward_points from survey_answer where id = 'ans_00000000000000000000000001'`,
    );
    expect(row.rows[0]).toEqual({ reward_state: 'recorded', reward_points: 25n });
  });

  it('refuses bad answers, closed surveys and members of other partners, writing nothing', async () => {
    const survey = ok(await app.surveys.define(freshmart, definition()));
    const bob = asMember('mbr_bob');
    const before = await surveyRows();
    const cases: [unknown[], string][] = [
      [[{ questionId: 'found', choiceIds: ['yes'] }], 'responses'],
      [[...answer(6, 'yes')], 'responses[0].rating'],
      [
        [
          { questionId: 'overall', rating: 0 },
          { questionId: 'found', choiceIds: ['yes'] },
        ],
        'responses[0].rating',
      ],
      [[...answer(3, 'maybe')], 'responses[1].choiceIds'],
      [
        [
          { questionId: 'overall', rating: 3 },
          { questionId: 'found', choiceIds: ['yes', 'no'] },
        ],
        'responses[1].choiceIds',
      ],
      [[...answer(3, 'yes'), { questionId: 'overall', rating: 2 }], 'responses[3].questionId'],
      [[...answer(3, 'yes'), { questionId: 'nope', rating: 2 }], 'responses[3].questionId'],
      [[...answer(3, 'yes', 'x'.repeat(201))], 'responses[3].text'],
      [
        [
          { questionId: 'overall', rating: 3, text: 'both' },
          { questionId: 'found', choiceIds: ['yes'] },
        ],
        'responses[0]',
      ],
    ];
    for (const [responses, field] of cases) {
      const outcome = await app.surveyAnswers.answer(bob, {
        surveyId: survey.id,
        clientAnswerId: `bad-${field}`,
        responses: responses as never,
        consentToShareText: true,
      });
      expect(outcome).toBeInstanceOf(InvalidInput);
      expect((outcome as InvalidInput).field).toBe(field);
    }
    // Alice is not linked to FreshMart: the survey does not exist for her.
    expect(
      await app.surveyAnswers.answer(asMember('mbr_alice'), {
        surveyId: survey.id,
        clientAnswerId: 'alice-1',
        responses: answer(3, 'yes'),
        consentToShareText: false,
      }),
    ).toEqual(new NotFound('survey', survey.id));
    expect(
      (await app.surveys.openSurveys(asMember('mbr_alice'), {})).items.map((s) => s.id),
    ).not.toContain(survey.id);
    ok(await app.surveys.close(freshmart, survey.id));
    expect(
      await app.surveyAnswers.answer(bob, {
        surveyId: survey.id,
        clientAnswerId: 'late',
        responses: answer(3, 'yes'),
        consentToShareText: false,
      }),
    ).toBeInstanceOf(SurveyClosed);
    const after = await surveyRows();
    expect({ ...after, audits: before!.audits }).toEqual(before);
    expect(after!.audits).toBe(before!.audits + 1n);
  });

  it('edits a survey until its first answer, and closes it afterwards', async () => {
    const survey = ok(await app.surveys.define(freshmart, definition({ reward: null })));
    const renamed = ok(
      await app.surveys.update(
        freshmart,
        survey.id,
        definition({ title: 'Renamed', reward: null }),
      ),
    );
    expect(renamed.title).toBe('Renamed');
    // Another partner cannot see it, let alone change it.
    expect(await app.surveys.update(app.asPartner('ptr_nordic'), survey.id, definition())).toEqual(
      new NotFound('survey', survey.id),
    );
    expect(await app.surveys.survey(app.asPartner('ptr_nordic'), survey.id)).toBeNull();
    const given = ok(
      await app.surveyAnswers.answer(asMember('mbr_bob'), {
        surveyId: survey.id,
        clientAnswerId: 'edit-1',
        responses: answer(2, 'no'),
        consentToShareText: false,
      }),
    );
    expect(given).toMatchObject({ rewardState: 'none', rewardPoints: null });
    expect(await app.surveys.update(freshmart, survey.id, definition({ reward: null }))).toEqual(
      new SurveyLocked(survey.id, 1n),
    );
    const closed = ok(await app.surveys.close(freshmart, survey.id));
    expect(closed.closesAt).toEqual(app.clock.now());
    expect(ok(await app.surveys.close(freshmart, survey.id))).toEqual(closed);
    // A retry of the accepted answer still gets it after the close (optional fields as null).
    const retried = await app.surveyAnswers.answer(asMember('mbr_bob'), {
      surveyId: survey.id,
      clientAnswerId: 'edit-1',
      responses: answer(2, 'no').map((response) => ({ rating: null, text: null, ...response })),
      consentToShareText: false,
    });
    expect(retried).toEqual(given);
    const audit = await app.db.query<{ action: string }>(
      `select action from audit_entry where entity_type = 'survey' and entity_id = $1 order by id`,
      [survey.id],
    );
    expect(audit.rows.map((row) => row.action)).toEqual(['create', 'update', 'close']);
  });

  it('counts results exactly and shows free text only with consent', async () => {
    const survey = ok(await app.surveys.define(freshmart, definition({ reward: null })));
    // Bob is FreshMart's only member in the demo: link two more to answer.
    await app.db.query(
      `insert into member_link (partner_id, external_id, member_id)
       values ('ptr_freshmart', 'FM-ALICE', 'mbr_alice'), ('ptr_freshmart', 'FM-CHLOE', 'mbr_chloe')`,
    );
    app.members.forgetLinks();
    const give = (
      memberId: string,
      rating: number,
      found: string,
      text: string,
      consent: boolean,
    ) =>
      app.surveyAnswers.answer(asMember(memberId), {
        surveyId: survey.id,
        clientAnswerId: `results-${memberId}`,
        responses: answer(rating, found, text),
        consentToShareText: consent,
      });
    ok(await give('mbr_bob', 5, 'yes', 'Lovely strawberries', true));
    ok(await give('mbr_alice', 4, 'no', 'Secret: the milk was sour', false));
    ok(await give('mbr_chloe', 4, 'yes', 'Fast checkout', true));
    const results = ok(await app.surveyResults.results(freshmart, survey.id));
    expect(results.answersCount).toBe(3n);
    const [overall, found, liked, comment] = results.questions;
    expect(overall).toMatchObject({
      answersCount: 3n,
      ratingSum: 13n,
      ratingAverage: '4.33',
      ratingCounts: [
        { rating: 1, count: 0n },
        { rating: 2, count: 0n },
        { rating: 3, count: 0n },
        { rating: 4, count: 2n },
        { rating: 5, count: 1n },
      ],
    });
    expect(found!.choiceCounts).toEqual([
      { choiceId: 'yes', label: 'Yes', count: 2n },
      { choiceId: 'no', label: 'No', count: 1n },
    ]);
    expect(liked!.choiceCounts.map((c) => c.count)).toEqual([3n, 0n, 3n]);
    expect(comment).toMatchObject({ answersCount: 3n, consentedTextCount: 2n, ratingSum: null });
    const texts = ok(await app.surveyResults.textAnswers(freshmart, survey.id, { first: 1 }));
    expect(texts.items.map((t) => t.text)).toEqual(['Fast checkout']);
    const rest = ok(
      await app.surveyResults.textAnswers(freshmart, survey.id, { after: texts.nextCursor }),
    );
    expect(rest).toEqual({
      items: [expect.objectContaining({ text: 'Lovely strawberries', questionId: 'comment' })],
      nextCursor: null,
    });
    expect(JSON.stringify(rest)).not.toContain('mbr_');
    expect(await app.surveyResults.results(app.asPartner('ptr_nordic'), survey.id)).toEqual(
      new NotFound('survey', survey.id),
    );
    expect(
      await app.surveyResults.textAnswers(freshmart, survey.id, { questionId: 'overall' }),
    ).toBeInstanceOf(InvalidInput);
    // Erasing Bob keeps his answer counted and removes his words.
    ok(await app.dataRights.erase(asMember('mbr_bob'), { confirm: true }));
    const afterErasure = ok(await app.surveyResults.textAnswers(freshmart, survey.id, {}));
    expect(afterErasure.items.map((t) => t.text)).toEqual(['Fast checkout']);
    expect(ok(await app.surveyResults.results(freshmart, survey.id)).answersCount).toBe(3n);
  });
});
