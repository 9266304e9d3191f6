import { noLimits, type RuleDefinition } from '../../gateway/rules/rule-definition';
import type { RequestContext } from '../../gateway/shared/context';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

/**
 * Segments and offers through the services (issue 18, items 1 and 2): bad input is a typed
 * error that writes nothing; the activatedOffer condition belongs to offers only; an operator's
 * coalition offer applies at any partner; an ended offer no longer applies though activated; a
 * rule's segment condition follows membership as refreshed.
 */
let app: TestApp;
let operator: RequestContext;
const dayMs = 86_400_000;
beforeAll(async () => {
  app = await createTestApp();
  operator = { ...app.systemContext('test'), caller: { kind: 'operator', userId: 'ops-1' } };
});
afterAll(() => app.close());

const eur = (euros: number) => ({ amountMinor: BigInt(euros * 100), currency: 'EUR' });

const rule = (overrides: Partial<RuleDefinition>): RuleDefinition => ({
  name: 'A rule',
  window: { startsAt: app.clock.now(), endsAt: null, daysOfWeek: [], hours: null, timeZone: 'UTC' },
  priority: 0,
  stacking: 'stackable',
  match: 'all',
  conditions: [],
  effects: [{ kind: 'bonus', points: 5n }],
  partnerShareBp: 10_000,
  limits: noLimits,
  ...overrides,
});

async function counts() {
  const rows = await app.db.query<{ segments: bigint; offers: bigint; rules: bigint }>(
    `select (select count(*) from segment) as segments, (select count(*) from offer) as offers,
            (select count(*) from earn_rule) as rules`,
  );
  return rows.rows[0];
}

describe('bad input', () => {
  it('refuses bad segments, offers and rule conditions with typed errors, writing nothing', async () => {
    const freshmart = app.asPartner('ptr_freshmart');
    // Listing creates the partner's built-in segments (the demo partners came after 0070).
    expect((await app.segments.segments(freshmart, {})).items).toHaveLength(5);
    const before = await counts();
    const segmentCases: [Parameters<typeof app.segments.create>[1], string][] = [
      [{ name: 'None', conditions: [] }, 'conditions'],
      [
        { name: 'Bad', conditions: [{ kind: 'visits', min: null, max: null, days: 30 }] },
        'conditions[0].visits',
      ],
      [
        {
          name: 'Bad',
          conditions: [
            { kind: 'spend', currency: 'EUR', minMinor: 500n, belowMinor: 100n, days: 30 },
          ],
        },
        'conditions[0].spend.below',
      ],
      [
        { name: 'Bad', conditions: [{ kind: 'birthdayMonth', months: [13] }] },
        'conditions[0].birthdayMonths',
      ],
      [
        {
          name: 'Bad',
          conditions: [{ kind: 'lastActivity', withinDays: 10, olderThanDays: 20 }],
        },
        'conditions[0].lastActivity',
      ],
    ];
    for (const [input, field] of segmentCases) {
      expect(failure(await app.segments.create(freshmart, input))).toMatchObject({
        code: 'INVALID_INPUT',
        field,
      });
    }
    expect(
      failure(
        await app.segments.create(freshmart, {
          name: 'Ghost program',
          conditions: [{ kind: 'program', currency: 'NOPE' }],
        }),
      ),
    ).toMatchObject({ code: 'NOT_FOUND', entity: 'currency' });
    // FreshMart has no part in SkyAir miles: it cannot segment its members by them.
    expect(
      failure(
        await app.segments.create(freshmart, {
          name: 'SkyAir Gold',
          conditions: [{ kind: 'tier', currency: 'SKY', tiers: ['GOLD'] }],
        }),
      ),
    ).toMatchObject({ code: 'NOT_FOUND', entity: 'currency' });
    expect(
      failure(
        await app.segments.update(freshmart, 'seg_lapsed_ptr_freshmart', {
          name: 'Mine now',
          conditions: [{ kind: 'program', currency: 'HTL' }],
        }),
      ),
    ).toMatchObject({ code: 'INVALID_INPUT', field: 'segmentId' });

    const offer = {
      currency: 'HTL',
      name: 'An offer',
      description: '',
      effects: [{ kind: 'bonus' as const, points: 10n }],
      targetSegmentIds: ['seg_lapsed_ptr_freshmart'],
      targetMemberIds: [],
      startsAt: app.clock.now(),
      endsAt: new Date(app.clock.now().getTime() + dayMs),
      pointsBudget: null,
      usesMax: null,
      perMemberUses: 1,
    };
    const offerCases: [object, string][] = [
      [{ targetSegmentIds: [] }, 'targetSegmentIds'],
      [{ endsAt: offer.startsAt }, 'endsAt'],
      [{ perMemberUses: 0 }, 'perMemberUses'],
      [{ effects: [] }, 'effects'],
      [{ currency: 'SKY' }, 'currency'],
    ];
    for (const [change, field] of offerCases) {
      expect(failure(await app.offers.create(freshmart, { ...offer, ...change }))).toMatchObject({
        code: 'INVALID_INPUT',
        field,
      });
    }
    expect(
      failure(await app.offers.create(freshmart, { ...offer, targetSegmentIds: ['seg_lapsed'] })),
    ).toMatchObject({ code: 'NOT_FOUND', entity: 'segment' });

    // activatedOffer is an offer's own condition; segment conditions need match ALL.
    expect(
      failure(
        await app.rules.createRule(freshmart, {
          currency: 'HTL',
          definition: rule({
            conditions: [{ kind: 'activatedOffer', offerId: 'ofr_0000000000000000000000000a' }],
          }),
        }),
      ),
    ).toMatchObject({ code: 'INVALID_INPUT', field: 'conditions' });
    expect(
      failure(
        await app.rules.createRule(freshmart, {
          currency: 'HTL',
          definition: rule({
            match: 'any',
            conditions: [
              { kind: 'segment', segmentId: 'seg_active_ptr_freshmart' },
              { kind: 'channel', channels: ['app'] },
            ],
          }),
        }),
      ),
    ).toMatchObject({ code: 'INVALID_INPUT', field: 'match' });
    expect(await counts()).toEqual(before);
  });
});

describe('offers and segment rules in the earn batch', () => {
  it('applies the operator’s coalition offer at any partner, once, and an ended one never', async () => {
    await app.segments.refreshAll(app.clock.now());
    const alice = {
      ...app.systemContext('test'),
      caller: { kind: 'member', memberId: 'mbr_alice' },
    };
    const created = ok(
      await app.offers.create(operator, {
        currency: 'SKY',
        name: 'Coalition welcome back',
        description: 'Double miles on your next purchase',
        effects: [{ kind: 'multiply', multiplierBp: 20_000, filter: { skus: [], categories: [] } }],
        targetSegmentIds: [],
        targetMemberIds: ['mbr_alice'],
        startsAt: app.clock.now(),
        endsAt: new Date(app.clock.now().getTime() + 10 * dayMs),
        pointsBudget: null,
        usesMax: 100,
        perMemberUses: 1,
      }),
    );
    expect(created).toMatchObject({ partnerId: null, targetMembersCount: 1n, usesMax: 100 });
    ok(await app.offers.activate(alice as RequestContext, created.id));
    // FuelCo earns 1 SKY per EUR: 40 EUR is 40 base miles, doubled by the offer.
    const fuel = ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: { externalId: 'FC-0001' },
        transactionId: 'OFFER-FUEL-1',
        currency: 'SKY',
        purchase: eur(40),
      }),
    );
    expect(fuel.lines.filter((line) => line.ruleId === created.ruleId)).toMatchObject([
      { points: 40n },
    ]);
    const again = ok(
      await app.purchases.award(app.asPartner('ptr_skyair'), {
        member: { externalId: 'SK-100001' },
        transactionId: 'OFFER-SKY-1',
        currency: 'SKY',
        purchase: eur(40),
      }),
    );
    expect(again.lines.filter((line) => line.ruleId === created.ruleId)).toEqual([]);

    // An ended offer does not apply, though activated and unused.
    const second = ok(
      await app.offers.create(operator, {
        ...created,
        name: 'Ended at once',
        description: '',
        targetMemberIds: ['mbr_alice'],
        pointsBudget: null,
        usesMax: null,
      }),
    );
    ok(await app.offers.activate(alice as RequestContext, second.id));
    expect(ok(await app.offers.end(operator, second.id)).endedAt).not.toBeNull();
    const afterEnd = ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: { externalId: 'FC-0001' },
        transactionId: 'OFFER-FUEL-2',
        currency: 'SKY',
        purchase: eur(40),
      }),
    );
    expect(afterEnd.lines.filter((line) => line.kind === 'rule')).toEqual([]);
    expect(failure(await app.offers.activate(alice as RequestContext, second.id))).toMatchObject({
      code: 'OFFER_NOT_AVAILABLE',
      reason: 'ended',
    });
    // Its rule cannot be edited into a general rule.
    expect(
      failure(await app.rules.updateRule(operator, created.ruleId, rule({ partnerShareBp: 0 }))),
    ).toMatchObject({ code: 'INVALID_INPUT', field: 'ruleId' });
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('gives a segment rule by membership as last refreshed', async () => {
    const nordic = app.asPartner('ptr_nordic');
    const vip = ok(
      await app.segments.create(nordic, {
        name: 'Big spenders',
        conditions: [
          { kind: 'spend', currency: 'EUR', minMinor: 100_000n, belowMinor: null, days: 365 },
        ],
      }),
    );
    const created = ok(
      await app.rules.createRule(nordic, {
        currency: 'HTL',
        definition: rule({
          name: 'Big spender bonus',
          conditions: [{ kind: 'segment', segmentId: vip.id }],
        }),
      }),
    );
    const buy = (transactionId: string, euros: number) =>
      app.purchases.award(nordic, {
        member: { externalId: 'NH-5502' },
        transactionId,
        currency: 'HTL',
        purchase: eur(euros),
      });
    const bonus = (receipt: Awaited<ReturnType<typeof buy>>) =>
      ok(receipt).lines.filter((line) => line.ruleId === created.id);
    // Bob spends 1,500 EUR at Nordic: not in the segment until it is refreshed.
    expect(bonus(await buy('SEG-NORDIC-1', 1_500))).toEqual([]);
    await app.segments.refreshScope('ptr_nordic', app.clock.now());
    const members = ok(await app.segments.members(nordic, vip.id, {}));
    expect(members.items).toContainEqual({ memberId: 'mbr_bob', externalId: 'NH-5502' });
    expect(bonus(await buy('SEG-NORDIC-2', 10))).toMatchObject([{ points: 5n }]);
  });

  it('computes custom conditions on programs, tiers, birthdays and last activity', async () => {
    ok(
      await app.tiers.defineLadder(operator, {
        currency: 'SKY',
        metric: 'points',
        window: 'calendar_year',
        tiers: [
          { code: 'BASIC', name: 'Basic', threshold: 0n, multiplier: '1' },
          { code: 'GOLD', name: 'Gold', threshold: 1_000_000n, multiplier: '2' },
        ],
      }),
    );
    // Alice (born in March) earns SkyAir miles: she joins the ladder at BASIC.
    ok(
      await app.purchases.award(app.asPartner('ptr_skyair'), {
        member: { externalId: 'SK-100001' },
        transactionId: 'SEG-TIER-1',
        currency: 'SKY',
        purchase: eur(10),
      }),
    );
    const define = async (conditions: Parameters<typeof app.segments.create>[1]['conditions']) => {
      const segment = ok(await app.segments.create(operator, { name: 'Custom', conditions }));
      return ok(await app.segments.members(operator, segment.id, {})).items.map((m) => m.memberId);
    };
    expect(
      await define([
        { kind: 'program', currency: 'SKY' },
        { kind: 'birthdayMonth', months: [3] },
        { kind: 'tier', currency: 'SKY', tiers: ['BASIC'] },
        { kind: 'lastActivity', withinDays: 1, olderThanDays: null },
      ]),
    ).toEqual(['mbr_alice']);
    expect(await define([{ kind: 'tier', currency: 'SKY', tiers: ['GOLD'] }])).toEqual([]);
    expect(
      await define([{ kind: 'lastActivity', withinDays: null, olderThanDays: 1 }]),
    ).not.toContain('mbr_alice');
  });

  it('applies an activated offer once to one member’s concurrent purchases', async () => {
    const chloe = {
      ...app.systemContext('test'),
      caller: { kind: 'member', memberId: 'mbr_chloe' },
    };
    const offer = ok(
      await app.offers.create(app.asPartner('ptr_skyair'), {
        currency: 'SKY',
        name: 'Once only',
        description: '',
        effects: [{ kind: 'bonus', points: 300n }],
        targetSegmentIds: [],
        targetMemberIds: ['mbr_chloe'],
        startsAt: app.clock.now(),
        endsAt: new Date(app.clock.now().getTime() + dayMs),
        pointsBudget: null,
        usesMax: null,
        perMemberUses: 1,
      }),
    );
    ok(await app.offers.activate(chloe as RequestContext, offer.id));
    const receipts = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        app.purchases.award(app.asPartner('ptr_skyair'), {
          member: { externalId: 'SK-100002' },
          transactionId: `ONCE-${n}`,
          currency: 'SKY',
          purchase: eur(20),
        }),
      ),
    );
    const granted = receipts
      .map(ok)
      .flatMap((receipt) => receipt.lines.filter((line) => line.ruleId === offer.ruleId));
    expect(granted.map((line) => line.points)).toEqual([300n]);
    expect(await app.offers.myOffers(chloe as RequestContext)).toEqual([]);
    expect(await ledgerViolations(app.db)).toEqual([]);
  });
});
