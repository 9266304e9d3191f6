import request from 'supertest';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { ok } from '../helpers/test-app';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Segments and personalised offers through the API (issue 18, items 1 and 2): FreshMart's
 * members who lapse (no purchase for 90 days) are in its "lapsed" segment once refreshed;
 * FreshMart targets a win-back offer (+500 HTL on the next purchase, a budget of 1,500 points)
 * at that segment. A lapsed member sees it, activates it (twice: the same activation) and gets
 * it at the next purchase, exactly once; an active member does not see it and cannot activate it
 * (a typed error); three members' concurrent purchases share what is left of the budget, which
 * is never exceeded. A rule's segment condition gives only to the segment's members. Another
 * partner sees none of FreshMart's segments, members or offers.
 */
let t: TestGateway;
let freshmart: string;
let skyair: string;
let operator: string;
const dayMs = 86_400_000;
/** Members linked to FreshMart only: L1-L5 lapse, A1 stays active. */
const names = ['L1', 'L2', 'L3', 'L4', 'L5', 'A1'] as const;
const members: Record<string, { id: string; token: string }> = {};
let offerId: string;
let offerRuleId: string;
let segmentRuleId: string;

beforeAll(async () => {
  t = await createTestGateway();
  freshmart = await t.token('partner', 'ptr_freshmart');
  skyair = await t.token('partner', 'ptr_skyair');
  operator = await t.token('operator', 'ops-1');
  const system = t.app.systemContext('test');
  for (const name of names) {
    const member = ok(await t.app.members.createMember(system, { displayName: `Member ${name}` }));
    ok(
      await t.app.members.linkMember(system, {
        partnerId: 'ptr_freshmart',
        externalId: `FM-${name}`,
        memberId: member.id,
      }),
    );
    members[name] = { id: member.id, token: await t.token('member', member.id) };
  }
});
afterAll(() => t.close());

const award = `mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { transferId points lines { kind points description ruleId } }
    ... on ErrorResult { code }
  }
}`;

let purchaseNumber = 0;
async function buy(name: string, euros: number) {
  const answer = await t.graphql(freshmart, award, {
    input: {
      member: { externalId: `FM-${name}` },
      transactionId: `SEG-${++purchaseNumber}`,
      currency: 'HTL',
      purchase: { amount: `${euros}.00`, currency: 'EUR' },
    },
  });
  expect(answer.body.errors).toBeUndefined();
  expect(answer.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
  return answer.body.data.awardPoints as {
    points: string;
    lines: { kind: string; points: string; ruleId: string | null }[];
  };
}

const ruleLine = (receipt: Awaited<ReturnType<typeof buy>>, ruleId: string) =>
  receipt.lines.filter((line) => line.ruleId === ruleId);

const segmentsQuery = `query Segments($partnerId: ID) {
  segments(partnerId: $partnerId) { nodes { id partnerId kind name memberCount asOf } pageInfo { hasNextPage } }
}`;
const membersQuery = `query Members($segmentId: ID!, $first: Int, $after: String) {
  segmentMembers(segmentId: $segmentId, first: $first, after: $after) {
    __typename
    ... on SegmentMembersPage { nodes { memberId externalId } pageInfo { endCursor hasNextPage } }
    ... on ErrorResult { code }
  }
}`;
const myOffers = '{ myOffers { id name activatedAt usesLeft effects { kind bonusPoints } } }';
const activate = `mutation Activate($offerId: ID!) {
  activateOffer(offerId: $offerId) {
    __typename
    ... on ActivateOfferSuccess { offer { id activatedAt usesLeft } }
    ... on ErrorResult { code message }
    ... on OfferNotAvailableError { reason }
  }
}`;

describe('segments', () => {
  it('puts members who stopped buying in the lapsed segment once refreshed, and pages them', async () => {
    for (const name of names) await buy(name, 20);
    t.app.clock.advance(100 * dayMs);
    await buy('A1', 30);
    const refreshed = await t.graphql(
      freshmart,
      'mutation { refreshSegments { id kind memberCount asOf } }',
    );
    expect(refreshed.body.errors).toBeUndefined();
    const byKind = new Map(
      refreshed.body.data.refreshSegments.map((segment: { kind: string }) => [
        segment.kind,
        segment,
      ]),
    );
    expect(byKind.get('LAPSED')).toMatchObject({
      id: 'seg_lapsed_ptr_freshmart',
      asOf: t.app.clock.now().toISOString(),
    });
    const lapsed: { memberId: string; externalId: string }[] = [];
    let after: string | null = null;
    do {
      const page = await t.graphql(freshmart, membersQuery, {
        segmentId: 'seg_lapsed_ptr_freshmart',
        first: 2,
        after,
      });
      expect(page.body.data.segmentMembers.__typename).toBe('SegmentMembersPage');
      lapsed.push(...page.body.data.segmentMembers.nodes);
      after = page.body.data.segmentMembers.pageInfo.hasNextPage
        ? page.body.data.segmentMembers.pageInfo.endCursor
        : null;
    } while (after);
    const ids = lapsed.map((member) => member.memberId);
    for (const name of ['L1', 'L2', 'L3', 'L4', 'L5']) expect(ids).toContain(members[name]!.id);
    expect(ids).not.toContain(members.A1!.id);
    expect(lapsed.find((member) => member.memberId === members.L1!.id)?.externalId).toBe('FM-L1');
    expect(byKind.get('LAPSED')).toMatchObject({ memberCount: String(lapsed.length) });
  });

  it('reports members by segment in the partner’s analytics, and as CSV', async () => {
    const counts = await t.app.db.query<{ id: string; member_count: bigint }>(
      "select id, member_count from segment where partner_id = 'ptr_freshmart' order by id",
    );
    const day = t.app.clock.now().toISOString().slice(0, 10);
    const report = await t.graphql(
      freshmart,
      `query ($input: AnalyticsInput!) { analytics(input: $input) {
        ... on AnalyticsReport { membersBySegment { segmentId kind members asOf } } } }`,
      { input: { from: day, to: day } },
    );
    expect(
      report.body.data.analytics.membersBySegment.map(
        (segment: { segmentId: string; members: string }) => [segment.segmentId, segment.members],
      ),
    ).toEqual(counts.rows.map((row) => [row.id, String(row.member_count)]));
    const csv = await request(t.server)
      .get(`/analytics/export.csv?table=segments&from=${day}&to=${day}`)
      .set('authorization', `Bearer ${freshmart}`);
    expect(csv.status).toBe(200);
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toBe(
      'scope_partner_id,scope_currency,segment_id,segment_kind,segment_name,members,as_of',
    );
    const lapsed = counts.rows.find((row) => row.id === 'seg_lapsed_ptr_freshmart')!;
    expect(lines).toContainEqual(
      `ptr_freshmart,,seg_lapsed_ptr_freshmart,lapsed,Lapsed members,${lapsed.member_count},${t.app.clock.now().toISOString()}`,
    );
  });

  it('gives a rule with a segment condition to that segment’s members only', async () => {
    const created = await t.graphql(
      freshmart,
      `mutation Create($input: CreateEarnRuleInput!) {
        createEarnRule(input: $input) {
          __typename
          ... on EarnRuleSuccess { rule { id conditions { kind segmentId } } }
          ... on ErrorResult { code }
        }
      }`,
      {
        input: {
          currency: 'HTL',
          definition: {
            name: 'Thanks for staying',
            conditions: [{ inSegment: 'seg_active_ptr_freshmart' }],
            effects: [{ bonusPoints: '7' }],
          },
        },
      },
    );
    expect(created.body.data.createEarnRule.__typename).toBe('EarnRuleSuccess');
    expect(created.body.data.createEarnRule.rule.conditions).toEqual([
      { kind: 'segment', segmentId: 'seg_active_ptr_freshmart' },
    ]);
    segmentRuleId = created.body.data.createEarnRule.rule.id;
    expect(ruleLine(await buy('A1', 10), segmentRuleId)).toEqual([
      { kind: 'rule', points: '7', description: 'Thanks for staying: +7', ruleId: segmentRuleId },
    ]);
    expect(ruleLine(await buy('L5', 10), segmentRuleId)).toEqual([]);
  });
});

describe('an offer for lapsed members', () => {
  it('is created by FreshMart for its lapsed segment, with a budget', async () => {
    const created = await t.graphql(
      freshmart,
      `mutation Create($input: OfferInput!) {
        createOffer(input: $input) {
          __typename
          ... on OfferSuccess { offer { id ruleId partnerId targetSegmentIds perMemberUses pointsBudget pointsLeft effects { kind bonusPoints } } }
          ... on ErrorResult { code }
        }
      }`,
      {
        input: {
          currency: 'HTL',
          name: 'We miss you: +500 points',
          effects: [{ bonusPoints: '500' }],
          targetSegmentIds: ['seg_lapsed_ptr_freshmart'],
          endsAt: new Date(t.app.clock.now().getTime() + 30 * dayMs).toISOString(),
          pointsBudget: '1500',
        },
      },
    );
    expect(created.body.data.createOffer).toMatchObject({
      __typename: 'OfferSuccess',
      offer: {
        partnerId: 'ptr_freshmart',
        targetSegmentIds: ['seg_lapsed_ptr_freshmart'],
        perMemberUses: 1,
        pointsBudget: '1500',
        pointsLeft: '1500',
        effects: [{ kind: 'bonus', bonusPoints: '500' }],
      },
    });
    offerId = created.body.data.createOffer.offer.id;
    offerRuleId = created.body.data.createOffer.offer.ruleId;
  });

  it('is seen by a lapsed member only; an active member cannot activate it', async () => {
    const seen = await t.graphql(members.L1!.token, myOffers);
    expect(seen.body.data.myOffers).toEqual([
      {
        id: offerId,
        name: 'We miss you: +500 points',
        activatedAt: null,
        usesLeft: 1,
        effects: [{ kind: 'bonus', bonusPoints: '500' }],
      },
    ]);
    expect((await t.graphql(members.A1!.token, myOffers)).body.data.myOffers).toEqual([]);
    const refused = await t.graphql(members.A1!.token, activate, { offerId });
    expect(refused.body.data.activateOffer).toMatchObject({
      __typename: 'OfferNotTargetedError',
      code: 'OFFER_NOT_TARGETED',
    });
    const activations = await t.app.db.query(
      'select member_id from offer_activation where offer_id = $1',
      [offerId],
    );
    expect(activations.rows).toEqual([]);
  });

  it('does nothing before activation, and applies exactly once after it', async () => {
    expect(ruleLine(await buy('L1', 10), offerRuleId)).toEqual([]);
    const first = await t.graphql(members.L1!.token, activate, { offerId });
    expect(first.body.data.activateOffer.__typename).toBe('ActivateOfferSuccess');
    const again = await t.graphql(members.L1!.token, activate, { offerId });
    expect(again.body.data.activateOffer).toEqual(first.body.data.activateOffer);
    expect(first.body.data.activateOffer.offer).toMatchObject({ id: offerId, usesLeft: 1 });

    const preview = await t.graphql(
      freshmart,
      `query Preview($input: AwardPointsInput!) {
        previewAward(input: $input) { ... on PreviewAwardSuccess { points lines { ruleId points } } }
      }`,
      {
        input: {
          member: { externalId: 'FM-L1' },
          transactionId: 'SEG-PREVIEW',
          currency: 'HTL',
          purchase: { amount: '10.00', currency: 'EUR' },
        },
      },
    );
    expect(preview.body.data.previewAward.lines).toContainEqual({
      ruleId: offerRuleId,
      points: '500',
    });
    const next = await buy('L1', 10);
    expect(ruleLine(next, offerRuleId)).toEqual([
      {
        kind: 'rule',
        points: '500',
        description: 'Offer: We miss you: +500 points: +500',
        ruleId: offerRuleId,
      },
    ]);
    expect(next.points).toBe('520');
    expect(ruleLine(await buy('L1', 10), offerRuleId)).toEqual([]);
    // Used: gone from the member's offers.
    expect((await t.graphql(members.L1!.token, myOffers)).body.data.myOffers).toEqual([]);
  });

  it('never exceeds its budget under concurrent purchases', async () => {
    // 1,000 points are left: two of these three members' concurrent purchases get the 500.
    for (const name of ['L2', 'L3', 'L4']) {
      const activated = await t.graphql(members[name]!.token, activate, { offerId });
      expect(activated.body.data.activateOffer.__typename).toBe('ActivateOfferSuccess');
    }
    const receipts = await Promise.all(['L2', 'L3', 'L4'].map((name) => buy(name, 10)));
    const granted = receipts.flatMap((receipt) => ruleLine(receipt, offerRuleId));
    expect(granted.map((line) => line.points)).toEqual(['500', '500']);
    const listed = await t.graphql(
      freshmart,
      '{ offers { nodes { id pointsLeft usesCount activationsCount } } }',
    );
    expect(listed.body.data.offers.nodes).toEqual([
      { id: offerId, pointsLeft: '0', usesCount: '3', activationsCount: '4' },
    ]);
    // Used up: a lapsed member who has not activated it can no longer.
    const late = await t.graphql(members.L5!.token, activate, { offerId });
    expect(late.body.data.activateOffer).toMatchObject({
      __typename: 'OfferNotAvailableError',
      reason: 'used_up',
    });
    expect((await t.graphql(members.L5!.token, myOffers)).body.data.myOffers).toEqual([]);
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
});

describe('authorization', () => {
  it('shows a partner only its own segments, members and offers', async () => {
    const own = await t.graphql(skyair, segmentsQuery);
    const ids = own.body.data.segments.nodes.map((segment: { id: string }) => segment.id);
    expect(ids.length).toBe(5);
    for (const id of ids) expect(id).toMatch(/_ptr_skyair$/);
    // Asking for another partner's is ignored: a partner sees its own.
    const asked = await t.graphql(skyair, segmentsQuery, { partnerId: 'ptr_freshmart' });
    expect(asked.body.data.segments.nodes.map((segment: { id: string }) => segment.id)).toEqual(
      ids,
    );
    const foreign = await t.graphql(skyair, membersQuery, {
      segmentId: 'seg_lapsed_ptr_freshmart',
    });
    expect(foreign.body.data.segmentMembers).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
    });
    const coalition = await t.graphql(skyair, membersQuery, { segmentId: 'seg_lapsed' });
    expect(coalition.body.data.segmentMembers.__typename).toBe('NotFoundError');
    expect((await t.graphql(skyair, '{ offers { nodes { id } } }')).body.data.offers.nodes).toEqual(
      [],
    );
    const ended = await t.graphql(
      skyair,
      `mutation { endOffer(offerId: "${offerId}") { __typename } }`,
    );
    expect(ended.body.data.endOffer.__typename).toBe('NotFoundError');
    const targeting = await t.graphql(
      skyair,
      `mutation Create($input: OfferInput!) { createOffer(input: $input) { __typename } }`,
      {
        input: {
          currency: 'SKY',
          name: 'Poaching',
          effects: [{ bonusPoints: '10' }],
          targetSegmentIds: ['seg_lapsed_ptr_freshmart'],
          endsAt: new Date(t.app.clock.now().getTime() + dayMs).toISOString(),
        },
      },
    );
    expect(targeting.body.data.createOffer.__typename).toBe('NotFoundError');
    const byMember = await t.graphql(
      skyair,
      `mutation Create($input: OfferInput!) { createOffer(input: $input) { __typename } }`,
      {
        input: {
          currency: 'SKY',
          name: 'Poaching',
          effects: [{ bonusPoints: '10' }],
          targetMemberIds: [members.L5!.id],
          endsAt: new Date(t.app.clock.now().getTime() + dayMs).toISOString(),
        },
      },
    );
    expect(byMember.body.data.createOffer.__typename).toBe('NotFoundError');
    const rule = await t.graphql(
      skyair,
      `mutation Create($input: CreateEarnRuleInput!) { createEarnRule(input: $input) { __typename } }`,
      {
        input: {
          currency: 'SKY',
          definition: {
            name: 'Poaching',
            conditions: [{ inSegment: 'seg_lapsed_ptr_freshmart' }],
            effects: [{ bonusPoints: '1' }],
          },
        },
      },
    );
    expect(rule.body.data.createEarnRule.__typename).toBe('NotFoundError');
  });

  it('shows the operator the coalition’s and any partner’s; members none', async () => {
    const coalition = await t.graphql(operator, segmentsQuery);
    expect(
      coalition.body.data.segments.nodes.map((segment: { id: string }) => segment.id).sort(),
    ).toEqual(['seg_active', 'seg_at_risk', 'seg_high_value', 'seg_lapsed', 'seg_new']);
    const partner = await t.graphql(operator, segmentsQuery, { partnerId: 'ptr_freshmart' });
    expect(partner.body.data.segments.nodes).toHaveLength(5);
    const pageOfMembers = await t.graphql(operator, membersQuery, {
      segmentId: 'seg_lapsed_ptr_freshmart',
    });
    expect(pageOfMembers.body.data.segmentMembers.__typename).toBe('SegmentMembersPage');
    const member = await t.graphql(members.L1!.token, segmentsQuery);
    expect(member.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const activateAsPartner = await t.graphql(freshmart, activate, { offerId });
    expect(activateAsPartner.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
