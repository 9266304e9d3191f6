import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Surveys and analytics over HTTP (issue 18, items 3 and 5): who may call what (a partner never
 * sees another's surveys, answers or analytics), typed errors that change nothing, one answer
 * and one reward under ten concurrent submissions, free text hidden without consent, and the
 * CSV export (GraphQL and GET /analytics/export.csv).
 */
let t: TestGateway;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  t = await createTestGateway();
  tokens.freshmart = await t.token('partner', 'ptr_freshmart');
  tokens.nordic = await t.token('partner', 'ptr_nordic');
  tokens.fuelco = await t.token('partner', 'ptr_fuelco');
  tokens.skyair = await t.token('partner', 'ptr_skyair');
  tokens.bob = await t.token('member', 'mbr_bob');
  tokens.alice = await t.token('member', 'mbr_alice');
  tokens.financeFuelco = await t.token('finance', 'fin_fuelco', 'ptr_fuelco');
  tokens.financeAll = await t.token('finance', 'fin_ops');
  tokens.operator = await t.token('operator', 'ops-1');
});
afterAll(() => t.close());

const dayMs = 86_400_000;
const defineSurvey = `mutation Define($input: SurveyInput!) {
  defineSurvey(input: $input) {
    __typename
    ... on SurveySuccess { survey { id partnerId answersCount reward { eventType currency }
      questions { id kind scaleMax choices { id label } } } }
    ... on ErrorResult { code }
    ... on InvalidInputError { field }
  }
}`;
const answerSurvey = `mutation Answer($input: AnswerSurveyInput!) {
  answerSurvey(input: $input) {
    __typename
    ... on SurveyAnswerSuccess { answer { id rewardState rewardPoints rewardTransferId consentToShareText } }
    ... on SurveyAlreadyAnsweredError { answerId }
    ... on ErrorResult { code }
    ... on InvalidInputError { field }
  }
}`;
const results = `query Results($id: ID!) {
  surveyResults(surveyId: $id) {
    __typename
    ... on SurveyResults { answersCount questions { questionId answersCount ratingAverage
      ratingCounts { rating count } choiceCounts { choiceId count } consentedTextCount } }
    ... on ErrorResult { code }
  }
}`;
const texts = `query Texts($id: ID!) {
  surveyTextAnswers(surveyId: $id) {
    __typename
    ... on SurveyTextAnswersPage { nodes { questionId text } pageInfo { hasNextPage } }
    ... on ErrorResult { code }
  }
}`;

function surveyInput(overrides: object = {}) {
  const now = t.app.clock.now().getTime();
  return {
    title: 'Your last visit',
    questions: [
      { id: 'overall', kind: 'RATING', prompt: 'How was it?', scaleMax: 5 },
      {
        id: 'found',
        kind: 'SINGLE_CHOICE',
        prompt: 'Found everything?',
        choices: [
          { id: 'yes', label: 'Yes' },
          { id: 'no', label: 'No' },
        ],
      },
      { id: 'comment', kind: 'TEXT', prompt: 'Tell us more', required: false },
    ],
    opensAt: new Date(now - 1000).toISOString(),
    closesAt: new Date(now + 7 * dayMs).toISOString(),
    ...overrides,
  };
}

const responses = (rating: number, comment?: string) => [
  { questionId: 'overall', rating },
  { questionId: 'found', choiceIds: ['yes'] },
  ...(comment ? [{ questionId: 'comment', text: comment }] : []),
];

async function counts() {
  const rows = await t.app.db.query<{ surveys: string; answers: string; transfers: string }>(
    `select (select count(*) from survey)::text as surveys, (select count(*) from survey_answer)::text as answers,
            (select count(*) from transfer)::text as transfers`,
  );
  return rows.rows[0];
}

describe('surveys through the API', () => {
  let surveyId: string;

  it('lets a partner define a rewarded survey, refusing bad input with typed errors', async () => {
    const rule = await t.graphql(
      tokens.freshmart!,
      `mutation Rule($input: CreateEarnRuleInput!) { createEarnRule(input: $input) { __typename } }`,
      {
        input: {
          currency: 'HTL',
          definition: {
            name: 'Thanks for your feedback',
            conditions: [{ eventTypes: ['survey_submitted'] }],
            effects: [{ bonusPoints: '25' }],
          },
        },
      },
    );
    expect(rule.body.data.createEarnRule.__typename).toBe('EarnRuleSuccess');
    const before = await counts();
    const bad: [object, string, string][] = [
      [{ title: '' }, 'INVALID_INPUT', 'title'],
      [
        { questions: [{ id: 'Q 1', kind: 'RATING', prompt: 'x' }] },
        'INVALID_INPUT',
        'questions[0].id',
      ],
      [{ rewardEventType: 'survey_submitted' }, 'INVALID_INPUT', 'rewardEventType'],
      [{ rewardCurrency: 'SKY' }, 'CURRENCY_NOT_SUPPORTED', ''],
    ];
    for (const [overrides, code, field] of bad) {
      const refused = await t.graphql(tokens.freshmart!, defineSurvey, {
        input: surveyInput(overrides),
      });
      expect(refused.body.data.defineSurvey.code).toBe(code);
      if (field) expect(refused.body.data.defineSurvey.field).toBe(field);
    }
    for (const caller of ['bob', 'financeAll', 'operator']) {
      const denied = await t.graphql(tokens[caller], defineSurvey, { input: surveyInput() });
      expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(
      (await t.graphql(undefined, defineSurvey, { input: surveyInput() })).body.errors?.[0]
        ?.extensions?.code,
    ).toBe('UNAUTHENTICATED');
    expect(await counts()).toEqual(before);
    const defined = await t.graphql(tokens.freshmart!, defineSurvey, {
      input: surveyInput({ rewardCurrency: 'HTL' }),
    });
    expect(defined.body.data.defineSurvey).toMatchObject({
      __typename: 'SurveySuccess',
      survey: {
        partnerId: 'ptr_freshmart',
        answersCount: '0',
        reward: { eventType: 'survey_submitted', currency: 'HTL' },
      },
    });
    surveyId = defined.body.data.defineSurvey.survey.id;
  });

  it('shows the survey to linked members only, and to no other partner', async () => {
    const open = '{ openSurveys { nodes { id partnerId rewarded answerId } } }';
    expect((await t.graphql(tokens.bob, open)).body.data.openSurveys.nodes).toEqual([
      { id: surveyId, partnerId: 'ptr_freshmart', rewarded: true, answerId: null },
    ]);
    // Alice has no card at FreshMart.
    expect((await t.graphql(tokens.alice, open)).body.data.openSurveys.nodes).toEqual([]);
    const one = 'query ($id: ID!) { survey(surveyId: $id) { id } }';
    expect((await t.graphql(tokens.nordic, one, { id: surveyId })).body.data.survey).toBeNull();
    expect((await t.graphql(tokens.operator, one, { id: surveyId })).body.data.survey).toEqual({
      id: surveyId,
    });
    const list = '{ surveys { nodes { id } } }';
    expect((await t.graphql(tokens.nordic, list)).body.data.surveys.nodes).toEqual([]);
    expect((await t.graphql(tokens.freshmart, list)).body.data.surveys.nodes).toEqual([
      { id: surveyId },
    ]);
    for (const query of [results, texts]) {
      const denied = await t.graphql(tokens.nordic, query, { id: surveyId });
      expect(Object.values(denied.body.data)[0]).toEqual({
        __typename: 'NotFoundError',
        code: 'NOT_FOUND',
      });
      for (const caller of ['bob', 'financeFuelco']) {
        expect(
          (await t.graphql(tokens[caller], query, { id: surveyId })).body.errors?.[0]?.extensions
            ?.code,
        ).toBe('FORBIDDEN');
      }
    }
    const update = `mutation ($id: ID!, $input: SurveyInput!) { updateSurvey(surveyId: $id, input: $input) { __typename } }`;
    expect(
      (await t.graphql(tokens.nordic, update, { id: surveyId, input: surveyInput() })).body.data
        .updateSurvey.__typename,
    ).toBe('NotFoundError');
    const close = `mutation ($id: ID!) { closeSurvey(surveyId: $id) { __typename } }`;
    expect((await t.graphql(tokens.nordic, close, { id: surveyId })).body.data.closeSurvey).toEqual(
      {
        __typename: 'NotFoundError',
      },
    );
    const alice = await t.graphql(tokens.alice, answerSurvey, {
      input: { surveyId, clientAnswerId: 'alice-1', responses: responses(5) },
    });
    expect(alice.body.data.answerSurvey).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
    });
  });

  it('takes one answer and gives one reward under 10 concurrent submissions', async () => {
    const before = await counts();
    const bad = await t.graphql(tokens.bob, answerSurvey, {
      input: { surveyId, clientAnswerId: 'bob-bad', responses: responses(9) },
    });
    expect(bad.body.data.answerSurvey).toEqual({
      __typename: 'InvalidInputError',
      code: 'INVALID_INPUT',
      field: 'responses[0].rating',
    });
    expect(await counts()).toEqual(before);
    const submissions = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        t.graphql(tokens.bob, answerSurvey, {
          input: {
            surveyId,
            clientAnswerId: `bob-${index}`,
            responses: responses(4, 'The queue was long'),
            consentToShareText: false,
          },
        }),
      ),
    );
    const outcomes = submissions.map((s) => s.body.data.answerSurvey);
    const answered = outcomes.filter((o) => o.__typename === 'SurveyAnswerSuccess');
    expect(answered).toHaveLength(1);
    const answer = answered[0].answer;
    expect(answer).toMatchObject({
      rewardState: 'RECORDED',
      rewardPoints: '25',
      consentToShareText: false,
    });
    expect(outcomes.filter((o) => o.__typename === 'SurveyAlreadyAnsweredError')).toEqual(
      Array.from({ length: 9 }, () => ({
        __typename: 'SurveyAlreadyAnsweredError',
        answerId: answer.id,
        code: 'SURVEY_ALREADY_ANSWERED',
      })),
    );
    const rewards = await t.app.db.query<{ id: string }>(
      "select id from transfer where member_id = 'mbr_bob' and external_id like 'event:ans_%'",
    );
    expect(rewards.rows).toEqual([{ id: answer.rewardTransferId }]);
    const again = await t.graphql(tokens.bob, answerSurvey, {
      input: {
        surveyId,
        clientAnswerId: 'bob-0',
        responses: responses(4, 'The queue was long'),
        consentToShareText: false,
      },
    });
    const retried = again.body.data.answerSurvey;
    // bob-0 either was the answer (the same answer again) or was refused (still refused).
    if (answer.id === retried.answer?.id) expect(retried.answer).toEqual(answer);
    else expect(retried.__typename).toBe('SurveyAlreadyAnsweredError');
    const open = await t.graphql(tokens.bob, '{ openSurveys { nodes { answerId } } }');
    expect(open.body.data.openSurveys.nodes).toEqual([{ answerId: answer.id }]);
  });

  it('shows results, and free text only of members who consented', async () => {
    // Nordic asks Alice and Bob (both linked there); only Alice lets Nordic read her words.
    const defined = await t.graphql(tokens.nordic, defineSurvey, { input: surveyInput() });
    const nordicSurvey = defined.body.data.defineSurvey.survey.id;
    for (const [member, rating, text, consent] of [
      ['alice', 5, 'Great breakfast', true],
      ['bob', 2, 'My private complaint', false],
    ] as const) {
      const given = await t.graphql(tokens[member], answerSurvey, {
        input: {
          surveyId: nordicSurvey,
          clientAnswerId: `${member}-nordic`,
          responses: responses(rating, text),
          consentToShareText: consent,
        },
      });
      expect(given.body.data.answerSurvey).toMatchObject({
        __typename: 'SurveyAnswerSuccess',
        answer: { rewardState: 'NONE', rewardPoints: null },
      });
    }
    const read = await t.graphql(tokens.nordic, results, { id: nordicSurvey });
    expect(read.body.data.surveyResults).toEqual({
      __typename: 'SurveyResults',
      answersCount: '2',
      questions: [
        {
          questionId: 'overall',
          answersCount: '2',
          ratingAverage: '3.50',
          ratingCounts: [1, 2, 3, 4, 5].map((rating) => ({
            rating,
            count: rating === 2 || rating === 5 ? '1' : '0',
          })),
          choiceCounts: [],
          consentedTextCount: '0',
        },
        {
          questionId: 'found',
          answersCount: '2',
          ratingAverage: null,
          ratingCounts: [],
          choiceCounts: [
            { choiceId: 'yes', count: '2' },
            { choiceId: 'no', count: '0' },
          ],
          consentedTextCount: '0',
        },
        {
          questionId: 'comment',
          answersCount: '2',
          ratingAverage: null,
          ratingCounts: [],
          choiceCounts: [],
          consentedTextCount: '1',
        },
      ],
    });
    const shown = await t.graphql(tokens.nordic, texts, { id: nordicSurvey });
    expect(shown.body.data.surveyTextAnswers).toEqual({
      __typename: 'SurveyTextAnswersPage',
      nodes: [{ questionId: 'comment', text: 'Great breakfast' }],
      pageInfo: { hasNextPage: false },
    });
    expect(JSON.stringify(shown.body)).not.toContain('private');
    // FreshMart's only answer did not consent: no text at all.
    const none = await t.graphql(tokens.freshmart, texts, { id: surveyId });
    expect(none.body.data.surveyTextAnswers.nodes).toEqual([]);
    // Answered, the survey is locked for edits; closing still works.
    const update = `mutation ($id: ID!, $input: SurveyInput!) { updateSurvey(surveyId: $id, input: $input) {
      __typename ... on SurveyLockedError { answersCount } } }`;
    expect(
      (await t.graphql(tokens.nordic, update, { id: nordicSurvey, input: surveyInput() })).body.data
        .updateSurvey,
    ).toEqual({ __typename: 'SurveyLockedError', answersCount: '2' });
  });
});

const analytics = `query Analytics($input: AnalyticsInput!) {
  analytics(input: $input) {
    __typename
    ... on AnalyticsReport { scope { partnerId currency } days { day currency earnedPoints burnedPoints }
      activeMembers liabilities { currency outstandingPoints liability { amount currency } }
      breakage { currency issuedPoints expiredPoints rateBasisPoints } }
    ... on ErrorResult { code }
    ... on InvalidInputError { field }
  }
}`;

describe('analytics through the API', () => {
  const range = { from: '2026-11-01', to: '2026-11-30' };

  it('gives each partner its own activity only, and the operator any', async () => {
    const fuelco = await t.graphql(tokens.fuelco, analytics, { input: range });
    expect(fuelco.body.data.analytics).toMatchObject({
      __typename: 'AnalyticsReport',
      scope: { partnerId: 'ptr_fuelco', currency: null },
      // The demo: Alice earned 50 SKY and Chloe 80 at FuelCo.
      days: [{ day: '2026-11-26', currency: 'SKY', earnedPoints: '130', burnedPoints: '0' }],
      activeMembers: '2',
      liabilities: [],
    });
    const finance = await t.graphql(tokens.financeFuelco, analytics, { input: range });
    expect(finance.body.data.analytics).toEqual(fuelco.body.data.analytics);
    for (const input of [
      { ...range, partnerId: 'ptr_skyair' },
      { ...range, currency: 'SKY' },
    ]) {
      for (const caller of ['fuelco', 'financeFuelco']) {
        const denied = await t.graphql(tokens[caller], analytics, { input });
        expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
    }
    expect(
      (await t.graphql(tokens.bob, analytics, { input: range })).body.errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    const program = await t.graphql(tokens.skyair, analytics, {
      input: { ...range, currency: 'SKY' },
    });
    expect(program.body.data.analytics.liabilities).toEqual([
      expect.objectContaining({
        currency: 'SKY',
        liability: expect.objectContaining({ currency: 'EUR' }),
      }),
    ]);
    for (const caller of ['operator', 'financeAll']) {
      const any = await t.graphql(tokens[caller], analytics, {
        input: { ...range, partnerId: 'ptr_fuelco' },
      });
      expect(any.body.data.analytics).toEqual(fuelco.body.data.analytics);
    }
    const bad = await t.graphql(tokens.operator, analytics, {
      input: { from: '2026-11-31', to: '2026-12-01' },
    });
    expect(bad.body.data.analytics).toEqual({
      __typename: 'InvalidInputError',
      code: 'INVALID_INPUT',
      field: 'from',
    });
  });

  it('exports the report as CSV, through GraphQL and GET /analytics/export.csv', async () => {
    const csv = await t.graphql(
      tokens.fuelco,
      `query ($input: AnalyticsInput!) { analyticsCsv(input: $input, table: DAILY) {
        __typename ... on AnalyticsCsv { table text } } }`,
      { input: range },
    );
    const daily =
      'scope_partner_id,scope_currency,day,currency,earned_points,earn_reversed_points,burned_points,burn_reversed_points\r\n' +
      'ptr_fuelco,,2026-11-26,SKY,130,30,0,0\r\n';
    expect(csv.body.data.analyticsCsv).toEqual({
      __typename: 'AnalyticsCsv',
      table: 'DAILY',
      text: daily,
    });
    const get = (token: string | undefined, query: string) => {
      let call = request(t.server).get(`/analytics/export.csv?${query}`);
      if (token) call = call.set('authorization', `Bearer ${token}`);
      return call;
    };
    const streamed = await get(tokens.fuelco, 'table=daily&from=2026-11-01&to=2026-11-30');
    expect(streamed.status).toBe(200);
    expect(streamed.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(streamed.text).toBe(daily);
    const summary = await get(
      tokens.operator,
      'table=summary&from=2026-11-01&to=2026-11-30&currency=SKY',
    );
    expect(summary.text.split('\r\n')[1]).toMatch(/^,SKY,2026-11-01,2026-11-30,2,/);
    expect(
      (await get(tokens.fuelco, 'from=2026-11-01&to=2026-11-30&partnerId=ptr_skyair')).status,
    ).toBe(403);
    expect((await get(undefined, 'from=2026-11-01&to=2026-11-30')).status).toBe(401);
    expect((await get(tokens.operator, 'from=2026-11-01&to=2028-11-30')).body).toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect((await get(tokens.operator, 'table=nope&from=2026-11-01&to=2026-11-30')).status).toBe(
      400,
    );
  });
});
