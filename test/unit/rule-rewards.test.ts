import fc from 'fast-check';
import { seedDemoRules } from '../../gateway/demo/rules';
import { seedDemoTiers } from '../../gateway/demo/tiers';
import type { EarnReceipt } from '../../gateway/ledger/earn';
import type { AwardInput } from '../../gateway/purchases/purchase-service';
import { noLimits } from '../../gateway/rules/rule-definition';
import { memberDayDistance } from '../../gateway/rules/rule-engine';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

/**
 * Earning rules' rewards beyond points and conditions on the member (issue 14, migration 0033):
 * the demo's step-by-step vouchers and big-basket discount, a voucher's life (redeemed once,
 * restored and voided by refunds, expired), an event rule that gives only a voucher, SkyAir's
 * birthday month, and the day arithmetic the batch and previews share.
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
  await seedDemoTiers(app);
  await seedDemoRules(app);
});
afterAll(() => app.close());

const eur = (euros: number) => ({ amountMinor: BigInt(euros * 100), currency: 'EUR' });
const food = (euros: number) => [
  { sku: 'FOOD-1', category: 'food', quantity: 1, unitPriceMinor: BigInt(euros * 100) },
];

function award(input: Partial<AwardInput> & { transactionId: string }) {
  return app.purchases.award(app.asPartner('ptr_freshmart'), {
    member: { externalId: 'FM-42' },
    currency: 'FRM',
    ...input,
  });
}

const voucherOf = (receipt: EarnReceipt) =>
  receipt.lines.find((line) => line.voucher)?.voucher ?? null;

describe('rule rewards', () => {
  it('issues vouchers that are redeemed once, restored and voided by full refunds, and expire', async () => {
    const freshmart = app.asPartner('ptr_freshmart');
    // Bob's 2nd purchase at FreshMart gives the gift bag; the 3rd, 10% off (and, at 200 EUR,
    // 20% off at the till).
    const giftBag = voucherOf(ok(await award({ transactionId: 'V-1', purchase: eur(20) })))!;
    const third = ok(await award({ transactionId: 'V-2', purchase: eur(200), basket: food(200) }));
    expect(third.lines.map((line) => line.description)).toContain(
      'Big basket: 20% off: -40.00 EUR',
    );
    const tenOff = voucherOf(third)!;
    expect(tenOff).toMatchObject({ reward: 'percent_off', percentBp: 1_000 });
    expect(tenOff.code).toMatch(/^[A-Z0-9]{12}$/);
    expect(tenOff.expiresAt).toEqual(new Date(app.clock.now().getTime() + 60 * 86_400_000));

    // Bob sees both; SkyAir does not see FreshMart's.
    const bob = {
      ...app.systemContext('test'),
      caller: { kind: 'member' as const, memberId: 'mbr_bob' },
    };
    const mine = await app.vouchers.memberVouchers(bob, {});
    expect(mine.vouchers.map((voucher) => voucher.code).sort()).toEqual(
      [giftBag.code, tenOff.code].sort(),
    );
    expect(await app.vouchers.voucher(app.asPartner('ptr_skyair'), tenOff.code)).toBeNull();
    expect(
      failure(
        await app.vouchers.redeem(app.asPartner('ptr_skyair'), {
          code: tenOff.code,
          transactionId: 'S-1',
        }),
      ).code,
    ).toBe('NOT_FOUND');

    // Redeemed once, on purchase V-3; again on V-3 answers the same; on another, refused.
    ok(await award({ transactionId: 'V-3', purchase: eur(30) }));
    const redeemed = ok(
      await app.vouchers.redeem(freshmart, {
        code: tenOff.code.toLowerCase(),
        transactionId: 'V-3',
      }),
    );
    expect(redeemed).toMatchObject({ state: 'redeemed', redeemedTransactionId: 'V-3' });
    expect(
      ok(await app.vouchers.redeem(freshmart, { code: tenOff.code, transactionId: 'V-3' })),
    ).toEqual(redeemed);
    expect(
      failure(await app.vouchers.redeem(freshmart, { code: tenOff.code, transactionId: 'V-4' })),
    ).toMatchObject({ code: 'VOUCHER_NOT_REDEEMABLE', state: 'redeemed' });
    // Concurrent redemptions on different transactions: exactly one wins.
    const [a, b] = await Promise.all([
      app.vouchers.redeem(freshmart, { code: giftBag.code, transactionId: 'V-5' }),
      app.vouchers.redeem(freshmart, { code: giftBag.code, transactionId: 'V-6' }),
    ]);
    expect([a, b].filter((outcome) => !(outcome instanceof Error))).toHaveLength(1);
    const giftBagOn = ok([a, b].find((outcome) => !(outcome instanceof Error))!)
      .redeemedTransactionId!;

    // A partial refund of V-3 restores nothing; the rest of it restores the voucher.
    ok(
      await app.purchases.refundPurchase(freshmart, {
        transactionId: 'V-3',
        refundId: 'R-V3-PART',
        amount: eur(10),
      }),
    );
    expect((await app.vouchers.voucher(freshmart, tenOff.code))?.state).toBe('redeemed');
    ok(await app.purchases.refundPurchase(freshmart, { transactionId: 'V-3', refundId: 'R-V3' }));
    expect((await app.vouchers.voucher(freshmart, tenOff.code))?.state).toBe('available');

    // The full refund of V-1, which gave the gift bag (already redeemed): it stays redeemed.
    // The full refund of V-2 voids its unused 10% voucher.
    ok(await app.purchases.refundPurchase(freshmart, { transactionId: 'V-1', refundId: 'R-V1' }));
    expect(await app.vouchers.voucher(freshmart, giftBag.code)).toMatchObject({
      state: 'redeemed',
      redeemedTransactionId: giftBagOn,
    });
    ok(await app.purchases.refundPurchase(freshmart, { transactionId: 'V-2', refundId: 'R-V2' }));
    expect((await app.vouchers.voucher(freshmart, tenOff.code))?.state).toBe('void');
    expect(
      failure(await app.vouchers.redeem(freshmart, { code: tenOff.code, transactionId: 'V-7' })),
    ).toMatchObject({ code: 'VOUCHER_NOT_REDEEMABLE', state: 'void' });
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('gives a voucher for a member event, once per member, and replays it', async () => {
    const freshmart = app.asPartner('ptr_freshmart');
    ok(
      await app.rules.createRule(freshmart, {
        currency: 'FRM',
        definition: {
          name: 'App welcome',
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
          conditions: [{ kind: 'event', types: ['app_installed'] }],
          effects: [
            { kind: 'voucher', reward: 'free_delivery', sku: null, percentBp: null, validDays: 30 },
          ],
          partnerShareBp: 10_000,
          limits: { ...noLimits, perMember: { uses: 1, period: 'ever' } },
        },
      }),
    );
    const event = (eventId: string) =>
      app.purchases.recordEvent(freshmart, {
        member: { externalId: 'FM-42' },
        currency: 'FRM',
        type: 'app_installed',
        eventId,
      });
    const first = ok(await event('APP-1'));
    expect(first.points).toBe(0n);
    expect(first.transferId).toBeNull();
    expect(first.lines).toHaveLength(1);
    expect(first.lines[0]!.voucher).toMatchObject({ reward: 'free_delivery' });
    expect(ok(await event('APP-1'))).toEqual(first);
    const second = ok(await event('APP-2'));
    expect(second.lines).toEqual([]);
    const row = await app.db.query(
      'select count(*)::integer as n from reward_voucher where rule_id = $1',
      [first.lines[0]!.ruleId],
    );
    expect(row.rows[0]).toEqual({ n: 1 });
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('lets the operator record coalition-wide events for any member, rewarded by coalition campaigns only', async () => {
    const operator = {
      ...app.systemContext('test'),
      caller: { kind: 'operator' as const, userId: 'ops-1' },
    };
    const window = {
      startsAt: app.clock.now(),
      endsAt: null,
      daysOfWeek: [],
      hours: null,
      timeZone: 'UTC',
    };
    const onProfile = (partnerShareBp: number, points: bigint) => ({
      name: `Profile completed ${points}`,
      window,
      priority: 0,
      stacking: 'stackable' as const,
      match: 'all' as const,
      conditions: [{ kind: 'event' as const, types: ['profile_completed'] }],
      effects: [{ kind: 'bonus' as const, points }],
      partnerShareBp,
      limits: { ...noLimits, perMember: { uses: 1, period: 'ever' as const } },
    });
    ok(await app.rules.createRule(operator, { currency: 'SKY', definition: onProfile(0, 250n) }));
    // SkyAir's own event rule does not reward the operator's events.
    ok(
      await app.rules.createRule(app.asPartner('ptr_skyair'), {
        currency: 'SKY',
        definition: onProfile(10_000, 99n),
      }),
    );
    const record = (member: { memberId?: string; externalId?: string }, eventId: string) =>
      app.purchases.recordEvent(operator, {
        member,
        currency: 'SKY',
        type: 'profile_completed',
        eventId,
      });
    // Bob has no SkyAir card: the operator rewards him all the same, in SkyAir's name.
    const first = ok(await record({ memberId: 'mbr_bob' }, 'PROFILE-BOB'));
    expect(first.lines.map((line) => `${line.points} ${line.description}`)).toEqual([
      '250 Profile completed 250: +250',
    ]);
    expect(ok(await record({ memberId: 'mbr_bob' }, 'PROFILE-BOB'))).toEqual(first);
    expect(ok(await record({ memberId: 'mbr_bob' }, 'PROFILE-BOB-2')).points).toBe(0n);
    const transfer = await app.db.query(
      'select partner_id, member_id, external_id from transfer where id = $1',
      [first.transferId],
    );
    expect(transfer.rows[0]).toEqual({
      partner_id: 'ptr_skyair',
      member_id: 'mbr_bob',
      external_id: 'event:operator:PROFILE-BOB',
    });
    expect(failure(await record({ externalId: 'SK-100001' }, 'PROFILE-X'))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'member',
    });
    expect(failure(await record({ memberId: 'mbr_nobody' }, 'PROFILE-Y')).code).toBe('NOT_FOUND');
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('gives SkyAir’s birthday-month bonus once in the birthday month only', async () => {
    const skyair = app.asPartner('ptr_skyair');
    const miles = (transactionId: string) =>
      app.purchases.award(skyair, {
        member: { externalId: 'SK-100001' },
        currency: 'SKY',
        points: 100n,
        transactionId,
      });
    const birthdayRule = (receipt: EarnReceipt) =>
      receipt.lines.filter((line) => line.description.startsWith('Birthday month'));
    // Alice's birthday is 14 March (the demo's); a Wednesday in March, then again, then April.
    app.clock.set(new Date('2027-03-03T10:00:00Z'));
    expect(birthdayRule(ok(await miles('B-1'))).map((line) => line.points)).toEqual([1_000n]);
    expect(birthdayRule(ok(await miles('B-2')))).toEqual([]);
    app.clock.set(new Date('2027-04-07T10:00:00Z'));
    expect(birthdayRule(ok(await miles('B-3')))).toEqual([]);
    // A preview in her birthday month shows it (previews do not check per-member limits).
    app.clock.set(new Date('2027-03-10T10:00:00Z'));
    const preview = ok(
      await app.purchases.previewAward(skyair, {
        member: { externalId: 'SK-100001' },
        currency: 'SKY',
        points: 100n,
        transactionId: 'B-PREVIEW',
      }),
    );
    expect(birthdayRule(preview as unknown as EarnReceipt)).toHaveLength(1);
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('counts days to a birthday as the batch does, 29 February included', async () => {
    const dates = fc.record({
      on: fc.date({
        min: new Date('2000-01-01'),
        max: new Date('2099-12-31'),
        noInvalidDate: true,
      }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
    });
    const samples = fc.sample(dates, 300).filter(({ month, day }) => {
      const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
      return day <= days;
    });
    const on = samples.map((sample) => sample.on.toISOString().slice(0, 10));
    const rows = await app.db.query<{ distance: number }>(
      `select member_day_distance(d, m, dd) as distance
       from unnest($1::date[], $2::integer[], $3::integer[]) with ordinality as s(d, m, dd, i)
       order by i`,
      [on, samples.map((sample) => sample.month), samples.map((sample) => sample.day)],
    );
    expect(rows.rows.map((row) => row.distance)).toEqual(
      samples.map((sample, index) => memberDayDistance(on[index]!, sample.month, sample.day)),
    );
    expect(memberDayDistance('2027-03-01', 2, 29)).toBe(1);
    expect(memberDayDistance('2028-02-29', 2, 29)).toBe(0);
    expect(memberDayDistance('2027-01-02', 12, 30)).toBe(3);
  });
});
