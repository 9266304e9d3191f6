import fc from 'fast-check';
import { noLimits, type RuleDefinition } from '../../gateway/rules/rule-definition';
import {
  applyStacking,
  byEvaluationOrder,
  compileRule,
  type EarnFacts,
  localDayAndHour,
  periodKey,
  priceRules,
  worldCandidates,
} from '../../gateway/rules/rule-engine';

/** The rule engine alone: pure functions of the rules, the request's facts and the tier. */
const always: RuleDefinition['window'] = {
  startsAt: new Date('2026-01-01T00:00:00Z'),
  endsAt: null,
  daysOfWeek: [],
  hours: null,
  timeZone: 'UTC',
};

function rule(id: string, overrides: Partial<RuleDefinition>) {
  return compileRule({
    id,
    version: 1,
    ownerPartnerId: 'ptr_freshmart',
    definition: {
      name: id,
      window: always,
      priority: 0,
      stacking: 'stackable',
      match: 'all',
      conditions: [],
      effects: [{ kind: 'bonus', points: 10n }],
      partnerShareBp: 10_000,
      limits: noLimits,
      ...overrides,
    },
  });
}

const facts: EarnFacts = {
  at: new Date('2026-12-04T10:00:00Z'),
  channel: 'online',
  purchase: { amountMinor: 10_000n, currency: 'EUR' },
  basket: [
    { sku: 'TOY-1', category: 'toys', quantity: 2, unitPriceMinor: 2_500n, amountMinor: 5_000n },
    { sku: 'FOOD-1', category: 'food', quantity: 1, unitPriceMinor: 5_000n, amountMinor: 5_000n },
  ],
  basePoints: 200n,
  event: null,
};

const toys = { skus: [], categories: ['toys'] };

function granted(rules: ReturnType<typeof rule>[], tiers: (string | null)[] = [null]) {
  const priced = priceRules([...rules].sort(byEvaluationOrder), facts, tiers);
  return priced?.worlds.map((_, index) =>
    applyStacking(worldCandidates(priced, index)).map(
      (candidate) => `${candidate.ruleId} ${candidate.points}`,
    ),
  );
}

describe('the rule engine', () => {
  it('multiplies the matching lines’ share of the base, and adds bonuses', () => {
    expect(
      granted([
        rule('x2', { effects: [{ kind: 'multiply', multiplierBp: 20_000, filter: toys }] }),
        rule('x1.5-all', {
          effects: [
            { kind: 'multiply', multiplierBp: 15_000, filter: { skus: [], categories: [] } },
          ],
        }),
        rule('plus', {}),
      ]),
    ).toEqual([['plus 10', 'x1.5-all 100', 'x2 100']]);
  });

  it('stacks by priority: stop ends the list, exclusive applies only alone', () => {
    const stop = rule('stop', { priority: 5, stacking: 'stop' });
    const exclusive = rule('exclusive', { priority: 3, stacking: 'exclusive' });
    const low = rule('low', { priority: 1 });
    const high = rule('high', { priority: 9 });
    expect(granted([stop, low, high])).toEqual([['high 10', 'stop 10']]);
    expect(granted([exclusive, low, high])).toEqual([['high 10', 'low 10']]);
    expect(granted([exclusive, low])).toEqual([['exclusive 10']]);
  });

  it('prices each tier world, and only when a rule names a tier', () => {
    const gold = rule('gold', { conditions: [{ kind: 'memberTier', tiers: ['GOLD'] }] });
    expect(granted([gold], [null, 'BASIC', 'GOLD'])).toEqual([[], [], ['gold 10']]);
    expect(granted([rule('any', {})], [null, 'BASIC', 'GOLD'])).toEqual([['any 10']]);
    expect(granted([gold], [null, 'BASIC'])).toBeUndefined();
  });

  it('matches conditions: channel, lines with quantity and amount, basket total, any/all', () => {
    const cases: [RuleDefinition['conditions'], 'all' | 'any', boolean][] = [
      [[{ kind: 'channel', channels: ['online'] }], 'all', true],
      [[{ kind: 'channel', channels: ['store'] }], 'all', false],
      [[{ kind: 'lines', filter: toys, quantityMin: 2, amountMin: null }], 'all', true],
      [[{ kind: 'lines', filter: toys, quantityMin: 3, amountMin: null }], 'all', false],
      [
        [
          {
            kind: 'lines',
            filter: toys,
            quantityMin: 1,
            amountMin: { currency: 'EUR', amountMinor: 5_000n },
          },
        ],
        'all',
        true,
      ],
      [
        [
          {
            kind: 'lines',
            filter: toys,
            quantityMin: 1,
            amountMin: { currency: 'USD', amountMinor: 1n },
          },
        ],
        'all',
        false,
      ],
      [[{ kind: 'basketTotal', currency: 'EUR', amountMinorMin: 10_000n }], 'all', true],
      [[{ kind: 'basketTotal', currency: 'EUR', amountMinorMin: 10_001n }], 'all', false],
      [
        [
          { kind: 'channel', channels: ['store'] },
          { kind: 'basketTotal', currency: 'EUR', amountMinorMin: 1n },
        ],
        'any',
        true,
      ],
      [
        [
          { kind: 'channel', channels: ['store'] },
          { kind: 'basketTotal', currency: 'EUR', amountMinorMin: 1n },
        ],
        'all',
        false,
      ],
    ];
    for (const [conditions, match, holds] of cases) {
      expect({ conditions, holds: rule('r', { conditions, match }).holds(facts, null) }).toEqual({
        conditions,
        holds,
      });
    }
  });

  it('decides the request part once and the tier part per world, as holds does', () => {
    const conditionSets: RuleDefinition['conditions'][] = [
      [],
      [{ kind: 'memberTier', tiers: ['GOLD'] }],
      [
        { kind: 'memberTier', tiers: ['GOLD'] },
        { kind: 'channel', channels: ['online'] },
      ],
      [
        { kind: 'memberTier', tiers: ['GOLD'] },
        { kind: 'channel', channels: ['store'] },
      ],
      [{ kind: 'channel', channels: ['store'] }],
    ];
    for (const conditions of conditionSets) {
      for (const match of ['all', 'any'] as const) {
        const compiled = rule('r', { conditions, match });
        for (const tier of [null, 'BASIC', 'GOLD']) {
          const byRequest = compiled.holdsForRequest(facts);
          const split = byRequest === 'tier' ? compiled.holdsForTier(tier) : byRequest;
          expect({ conditions, match, tier, split }).toEqual({
            conditions,
            match,
            tier,
            split: compiled.holds(facts, tier),
          });
        }
      }
    }
  });

  it('numbers per-member periods by the day or month in the rule’s time zone', () => {
    const lateFriday = new Date('2026-12-31T22:30:00Z');
    expect(periodKey('day', lateFriday, 'UTC')).toBe('d:2026-12-31');
    expect(periodKey('day', lateFriday, 'Europe/Helsinki')).toBe('d:2027-01-01');
    expect(periodKey('month', lateFriday, 'Europe/Helsinki')).toBe('m:2027-01');
    expect(periodKey('ever', lateFriday, 'UTC')).toBe('ever');
  });

  it('keeps to its window: dates, days and hours in its time zone', () => {
    // 2026-12-04 is a Friday; 10:00 UTC is 12:00 in Helsinki.
    expect(localDayAndHour(facts.at, 'Europe/Helsinki')).toEqual({ day: 5, hour: 12 });
    const inWindow = (window: Partial<RuleDefinition['window']>) =>
      rule('w', { window: { ...always, ...window } }).inForceAt(facts.at);
    expect(inWindow({})).toBe(true);
    expect(inWindow({ startsAt: new Date('2026-12-05T00:00:00Z') })).toBe(false);
    expect(inWindow({ endsAt: facts.at })).toBe(false);
    expect(inWindow({ daysOfWeek: [5], timeZone: 'Europe/Helsinki' })).toBe(true);
    expect(inWindow({ daysOfWeek: [6, 7] })).toBe(false);
    expect(inWindow({ hours: { from: 12, to: 13 }, timeZone: 'Europe/Helsinki' })).toBe(true);
    expect(inWindow({ hours: { from: 12, to: 13 }, timeZone: 'UTC' })).toBe(false);
  });

  it('never grants a negative or fractional point, and funds every point (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            multiplierBp: fc.integer({ min: 10_001, max: 100_000 }),
            shareBp: fc.integer({ min: 0, max: 10_000 }),
            priority: fc.integer({ min: -5, max: 5 }),
            stacking: fc.constantFrom('stackable' as const, 'stop' as const, 'exclusive' as const),
          }),
          { maxLength: 8 },
        ),
        fc.bigInt({ min: 1n, max: 1_000_000n }),
        (specs, basePoints) => {
          const rules = specs.map((spec, index) =>
            rule(`r${index}`, {
              priority: spec.priority,
              stacking: spec.stacking,
              partnerShareBp: spec.shareBp,
              effects: [{ kind: 'multiply', multiplierBp: spec.multiplierBp, filter: toys }],
            }),
          );
          const priced = priceRules(rules.sort(byEvaluationOrder), { ...facts, basePoints }, [
            null,
          ]);
          for (const world of (priced?.worlds ?? []).map((_, index) =>
            worldCandidates(priced!, index),
          )) {
            for (const candidate of world) {
              expect(candidate.points).toBeGreaterThan(0n);
              expect(candidate.partnerFundedPoints).toBeGreaterThanOrEqual(0n);
              expect(candidate.partnerFundedPoints).toBeLessThanOrEqual(candidate.points);
            }
            // Whatever is allowed, at most one non-stackable rule applies, and it is the last;
            // exclusive only alone.
            for (const allowed of [world, world.filter((_, index) => index % 2 === 0)]) {
              const kinds = applyStacking(allowed).map((candidate) => candidate.stacking);
              expect(kinds.slice(0, -1).every((kind) => kind === 'stackable')).toBe(true);
              if (kinds.includes('exclusive')) expect(kinds).toEqual(['exclusive']);
            }
          }
        },
      ),
    );
  });
});
