import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Earning rules through the API (issue 14): FreshMart's product multipliers (x2 on toys, x3 for
 * its Gold members, stopping the rest), an online bonus, and the operator's coalition campaign
 * funded half by the partner; bad input and authorization; replays and previews.
 */
let t: TestGateway;
let freshmart: string;
let skyair: string;
let nordic: string;
let bob: string;
let operator: string;
beforeAll(async () => {
  t = await createTestGateway();
  freshmart = await t.token('partner', 'ptr_freshmart');
  skyair = await t.token('partner', 'ptr_skyair');
  nordic = await t.token('partner', 'ptr_nordic');
  bob = await t.token('member', 'mbr_bob');
  operator = await t.token('operator', 'ops-1');
});
afterAll(() => t.close());

const createRule = `mutation Create($input: CreateEarnRuleInput!) {
  createEarnRule(input: $input) {
    __typename
    ... on EarnRuleSuccess { rule { id version name ownerPartnerId partnerSharePercent stacking
      conditions { kind categories memberTiers channels amountAtLeast { amount currency } }
      effects { kind multiplier categories bonusPoints } } }
    ... on ErrorResult { code }
    ... on InvalidInputError { field reason }
  }
}`;

const award = `mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { transferId points lines { kind points description ruleId } tier { code } }
    ... on ErrorResult { code }
    ... on InvalidInputError { field reason }
  }
}`;

const preview = `query Preview($input: AwardPointsInput!) {
  previewAward(input: $input) {
    __typename
    ... on PreviewAwardSuccess { points lines { kind points description ruleId } tierCode }
    ... on ErrorResult { code }
  }
}`;

const rules = '{ earnRules { nodes { id name ownerPartnerId } pageInfo { hasNextPage } } }';

const toys = (euros: number) => ({
  sku: 'TOY-1',
  category: 'toys',
  quantity: euros / 25,
  unitPrice: '25.00',
});
const food = (euros: number) => ({
  sku: 'FOOD-1',
  category: 'food',
  quantity: 1,
  unitPrice: `${euros}.00`,
});

function purchaseAt(transactionId: string, lines: object[], total: number, channel: string) {
  return {
    input: {
      member: { externalId: 'FM-42' },
      transactionId,
      currency: 'HTL',
      purchase: { amount: `${total}.00`, currency: 'EUR' },
      basket: lines,
      channel,
    },
  };
}

const definition = (overrides: object) => ({
  name: 'A rule',
  effects: [{ bonusPoints: '10' }],
  ...overrides,
});

describe('earning rules through the API', () => {
  const ids: Record<string, string> = {};

  it('refuses bad definitions and foreign rules with typed errors, writing nothing', async () => {
    const cases: [object, string][] = [
      [
        definition({ effects: [{ multiplyPoints: { multiplier: '1' } }] }),
        'effects[0].multiplyPoints.multiplier',
      ],
      [
        definition({ effects: [{ multiplyPoints: { multiplier: '-2' } }] }),
        'effects[0].multiplyPoints.multiplier',
      ],
      [
        definition({ effects: [{ bonusPoints: '10', multiplyPoints: { multiplier: '2' } }] }),
        'effects[0]',
      ],
      [definition({ effects: [] }), 'effects'],
      [
        definition({ startsAt: '2026-12-10T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' }),
        'window.endsAt',
      ],
      [
        definition({ conditions: [{ channels: ['ONLINE'], memberTiers: ['GOLD'] }] }),
        'conditions[0]',
      ],
      [definition({ conditions: [{ lines: { quantityAtLeast: 2 } }] }), 'conditions[0].lines'],
      [definition({ timeZone: 'Mars/Olympus' }), 'window.timeZone'],
      [definition({ partnerSharePercent: 50 }), 'partnerSharePercent'],
    ];
    for (const [bad, field] of cases) {
      const answer = await t.graphql(freshmart, createRule, {
        input: { currency: 'HTL', definition: bad },
      });
      expect({ field, answer: answer.body.data?.createEarnRule }).toMatchObject({
        field,
        answer: { __typename: 'InvalidInputError', field },
      });
    }
    const unknownField = await t.graphql(freshmart, createRule, {
      input: { currency: 'HTL', definition: definition({ conditions: [{ weather: 'sunny' }] }) },
    });
    expect(unknownField.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // FreshMart does not award SKY; members create nothing.
    const notItsCurrency = await t.graphql(freshmart, createRule, {
      input: { currency: 'SKY', definition: definition({}) },
    });
    expect(notItsCurrency.body.data.createEarnRule).toMatchObject({ field: 'currency' });
    const member = await t.graphql(bob, createRule, {
      input: { currency: 'HTL', definition: definition({}) },
    });
    expect(member.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.graphql(freshmart, rules)).body.data.earnRules.nodes).toEqual([]);
    const written = await t.app.db.query('select count(*)::int as n from earn_rule_version');
    expect(written.rows[0]).toEqual({ n: 0 });
  });

  it('defines FreshMart’s campaigns and the operator’s, each seen only by who may', async () => {
    const ladder = await t.graphql(
      nordic,
      `mutation { defineTierLadder(input: { currency: "HTL", metric: POINTS, window: CALENDAR_YEAR, tiers: [
        { code: "BASIC", name: "Basic", threshold: "0", multiplier: "1" },
        { code: "GOLD", name: "Gold", threshold: "150", multiplier: "1.5" }] }) { __typename } }`,
    );
    expect(ladder.body.data.defineTierLadder.__typename).toBe('TierLadderVersion');
    const created = async (token: string, name: string, def: object) => {
      const answer = await t.graphql(token, createRule, {
        input: { currency: 'HTL', definition: { name, ...def } },
      });
      expect(answer.body.data.createEarnRule.__typename).toBe('EarnRuleSuccess');
      ids[name] = answer.body.data.createEarnRule.rule.id;
      return answer.body.data.createEarnRule.rule;
    };
    await created(freshmart, 'Toys x2', {
      priority: 10,
      conditions: [{ lines: { categories: ['toys'] } }],
      effects: [{ multiplyPoints: { multiplier: '2', categories: ['toys'] } }],
    });
    const gold = await created(freshmart, 'Toys x3 for Gold', {
      priority: 20,
      stacking: 'STOP',
      conditions: [{ memberTiers: ['GOLD'] }, { lines: { categories: ['toys'] } }],
      effects: [{ multiplyPoints: { multiplier: '3', categories: ['toys'] } }],
    });
    expect(gold).toMatchObject({
      version: 1,
      ownerPartnerId: 'ptr_freshmart',
      partnerSharePercent: 100,
      stacking: 'STOP',
      conditions: [
        { kind: 'memberTier', memberTiers: ['GOLD'] },
        { kind: 'lines', categories: ['toys'] },
      ],
      effects: [{ kind: 'multiply', multiplier: '3', categories: ['toys'] }],
    });
    await created(freshmart, 'Online +50', {
      conditions: [{ channels: ['ONLINE'] }],
      effects: [{ bonusPoints: '50' }],
    });
    const campaign = await created(operator, 'Big basket +30', {
      priority: 5,
      conditions: [{ basketTotalAtLeast: { amount: '150', currency: 'EUR' } }],
      effects: [{ bonusPoints: '30' }],
      partnerSharePercent: 50,
    });
    expect(campaign).toMatchObject({ ownerPartnerId: null, partnerSharePercent: 50 });

    // A partner sees its own rules and the coalition campaigns; not another partner's.
    const seenBySkyair = (await t.graphql(skyair, rules)).body.data.earnRules.nodes;
    expect(seenBySkyair.map((rule: { name: string }) => rule.name)).toEqual(['Big basket +30']);
    const seenByFreshmart = (await t.graphql(freshmart, rules)).body.data.earnRules.nodes;
    expect(seenByFreshmart).toHaveLength(4);
    const foreign = await t.graphql(
      skyair,
      `mutation($id: ID!) { endEarnRule(ruleId: $id) { __typename ... on NotFoundError { entity } } }`,
      { id: ids['Toys x2'] },
    );
    expect(foreign.body.data.endEarnRule).toEqual({
      __typename: 'NotFoundError',
      entity: 'earnRule',
    });
  });

  it('prices each purchase by the rules, at the member’s tier, and explains every point', async () => {
    const lines = (...items: [string, string, string][]) =>
      items.map(([kind, points, description]) => ({
        kind,
        points,
        description,
        ruleId: kind === 'rule' ? ids[description.split(':')[0]!] : null,
      }));

    // Not adding up: a typed error, nothing posted.
    const short = await t.graphql(
      freshmart,
      award,
      purchaseAt('FM-R-0', [toys(50)], 100, 'ONLINE'),
    );
    expect(short.body.data.awardPoints).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'basket',
    });

    // Bob's first purchase enrols him at Basic: toys x2 (100 EUR, 50 of them toys: 200 base,
    // the toys' share 100), the online bonus; 200 base points qualify him for Gold.
    const first = await t.graphql(
      freshmart,
      award,
      purchaseAt('FM-R-1', [toys(50), food(50)], 100, 'ONLINE'),
    );
    expect(first.body.data.awardPoints).toMatchObject({
      __typename: 'AwardPointsSuccess',
      points: '350',
      lines: lines(
        ['base', '200', '2 per 100 minor units of EUR'],
        ['rule', '100', 'Toys x2: x2 on toys'],
        ['rule', '50', 'Online +50: +50'],
      ),
      tier: { code: 'BASIC' },
    });

    // At Gold: toys x3 stops every later rule; the tier multiplier applies to the base only.
    const goldInput = purchaseAt('FM-R-2', [toys(100), food(100)], 200, 'ONLINE');
    const expected = {
      points: '1000',
      lines: lines(
        ['base', '400', '2 per 100 minor units of EUR'],
        ['rule', '400', 'Toys x3 for Gold: x3 on toys'],
        ['tier', '200', 'Gold x1.5'],
      ),
    };
    const previewed = await t.graphql(freshmart, preview, {
      input: { ...goldInput.input, transactionId: 'FM-R-2-preview' },
    });
    expect(previewed.body.data.previewAward).toEqual({
      __typename: 'PreviewAwardSuccess',
      tierCode: 'GOLD',
      ...expected,
    });
    const second = await t.graphql(freshmart, award, goldInput);
    expect(second.body.data.awardPoints).toMatchObject({ ...expected, tier: { code: 'GOLD' } });
    // A retry answers the same receipt and posts nothing more.
    const replay = await t.graphql(freshmart, award, goldInput);
    expect(replay.body.data.awardPoints).toEqual(second.body.data.awardPoints);

    // In store, no toys: only the operator's campaign (half funded by FreshMart).
    const third = await t.graphql(
      freshmart,
      award,
      purchaseAt('FM-R-3', [food(200)], 200, 'STORE'),
    );
    expect(third.body.data.awardPoints).toMatchObject({
      points: '630',
      lines: lines(
        ['base', '400', '2 per 100 minor units of EUR'],
        ['rule', '30', 'Big basket +30: +30'],
        ['tier', '200', 'Gold x1.5'],
      ),
    });

    // Ended: the online bonus no longer applies (Basic-like purchase: no toys, online).
    const ended = await t.graphql(
      freshmart,
      `mutation($id: ID!) { endEarnRule(ruleId: $id) { __typename ... on EarnRuleSuccess { rule { endedAt } } } }`,
      { id: ids['Online +50'] },
    );
    expect(ended.body.data.endEarnRule.rule.endedAt).not.toBeNull();
    const fourth = await t.graphql(
      freshmart,
      award,
      purchaseAt('FM-R-4', [food(10)], 10, 'ONLINE'),
    );
    expect(fourth.body.data.awardPoints).toMatchObject({
      points: '30',
      lines: lines(['base', '20', '2 per 100 minor units of EUR'], ['tier', '10', 'Gold x1.5']),
    });

    // The grants are what the receipts say, and the postings carry them.
    const grants = await t.app.db.query<{
      rule_id: string;
      points: string;
      partner_funded_points: string;
    }>(
      `select g ->> 'r' as rule_id, g ->> 'p' as points, g ->> 'f' as partner_funded_points
       from transfer t cross join lateral jsonb_array_elements(t.rule_grants) g
       order by (g ->> 'p')::bigint desc`,
    );
    expect(grants.rows).toEqual([
      { rule_id: ids['Toys x3 for Gold'], points: '400', partner_funded_points: '400' },
      { rule_id: ids['Toys x2'], points: '100', partner_funded_points: '100' },
      { rule_id: ids['Online +50'], points: '50', partner_funded_points: '50' },
      { rule_id: ids['Big basket +30'], points: '30', partner_funded_points: '15' },
    ]);
    const posted = await t.app.db.query<{ points: string }>(
      `select sum(p.amount_points)::text as points from posting p join transfer t on t.id = p.transfer_id
       where t.partner_id = 'ptr_freshmart' and t.external_id like 'FM-R-%'`,
    );
    expect(posted.rows[0]).toEqual({ points: String(350 + 1000 + 630 + 30) });
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
  it('rewards member events by their rules, once when the rule says so, idempotently', async () => {
    const event = `mutation Event($input: RecordMemberEventInput!) {
      recordMemberEvent(input: $input) {
        __typename
        ... on MemberEventSuccess { type points transferId lines { kind points description } }
        ... on ErrorResult { code }
        ... on InvalidInputError { field }
      }
    }`;
    const record = (eventId: string, type = 'profile_completed') =>
      t.graphql(freshmart, event, {
        input: { member: { externalId: 'FM-42' }, currency: 'HTL', type, eventId },
      });
    const multiply = await t.graphql(freshmart, createRule, {
      input: {
        currency: 'HTL',
        definition: definition({
          conditions: [{ eventTypes: ['profile_completed'] }],
          effects: [{ multiplyPoints: { multiplier: '2' } }],
        }),
      },
    });
    expect(multiply.body.data.createEarnRule).toMatchObject({ field: 'effects' });
    const created = await t.graphql(freshmart, createRule, {
      input: {
        currency: 'HTL',
        definition: {
          name: 'Profile bonus',
          conditions: [{ eventTypes: ['profile_completed'] }],
          effects: [{ bonusPoints: '200' }],
          limits: { perMemberUses: 1, perMemberPeriod: 'EVER' },
        },
      },
    });
    expect(created.body.data.createEarnRule.rule.conditions).toEqual([
      expect.objectContaining({ kind: 'event' }),
    ]);

    const first = await record('EV-1');
    expect(first.body.data.recordMemberEvent).toMatchObject({
      __typename: 'MemberEventSuccess',
      points: '200',
      lines: [{ kind: 'rule', points: '200', description: 'Profile bonus: +200' }],
    });
    expect(first.body.data.recordMemberEvent.transferId).toMatch(/^trf_/);
    // Once per member: a second profile completion is recorded and gives nothing.
    const second = await record('EV-2');
    expect(second.body.data.recordMemberEvent).toMatchObject({
      points: '0',
      lines: [],
      transferId: null,
    });
    // No rule for this type; purchase rules never fire on events.
    expect((await record('EV-3', 'app_installed')).body.data.recordMemberEvent).toMatchObject({
      points: '0',
      transferId: null,
    });
    // A retry answers the same; a bad type is a typed error.
    expect((await record('EV-1')).body.data.recordMemberEvent).toEqual(
      first.body.data.recordMemberEvent,
    );
    expect((await record('EV-4', 'Profile Completed')).body.data.recordMemberEvent).toEqual({
      __typename: 'InvalidInputError',
      code: 'INVALID_INPUT',
      field: 'type',
    });
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
});
