import { seedDemoTiers } from '../../gateway/demo/tiers';
import type { RequestContext } from '../../gateway/shared/context';
import { EnrolmentRefused } from '../../gateway/tiers/errors';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
const asMember = (memberId: string): RequestContext => ({
  ...app.systemContext(),
  caller: { kind: 'member', memberId },
});
beforeAll(async () => {
  app = await createTestApp();
  await seedDemoTiers(app);
});
afterAll(async () => {
  await app.close();
});

async function tierRows(memberId: string, currency: string) {
  const rows = await app.db.query(
    'select 1 from member_tier where member_id = $1 and currency_code = $2',
    [memberId, currency],
  );
  return rows.rowCount;
}

describe('the demo coalition’s tiers', () => {
  it('has members at several tiers, with the status match applied', async () => {
    expect((await app.tiers.memberStatus('mbr_alice', 'SKY'))!).toMatchObject({
      source: 'manual',
      tier: { code: 'GOLD' },
    });
    expect((await app.tiers.memberStatus('mbr_alice', 'HTL'))!).toMatchObject({
      source: 'match',
      tier: { code: 'SILVER' },
    });
    expect((await app.tiers.memberStatus('mbr_chloe', 'SKY'))!.tier.code).toBe('SILVER');
    expect((await app.tiers.memberStatus('mbr_bob', 'FRM'))!).toMatchObject({
      source: 'vip',
      tier: { code: 'VIP', discountBp: 1000 },
    });
  });
});

describe('a closed club', () => {
  it('refuses to enrol without an invitation, writing nothing', async () => {
    const error = failure(await app.memberships.join(asMember('mbr_alice'), 'FRM'));
    expect(error).toBeInstanceOf(EnrolmentRefused);
    expect((error as EnrolmentRefused).reason).toBe('INVITATION_REQUIRED');
    expect(await tierRows('mbr_alice', 'FRM')).toBe(0);
  });

  it('enrols with an invitation code once; the code used twice is refused', async () => {
    const { codes } = ok(
      await app.memberships.issueInvitations(
        app.asPartner('ptr_freshmart'),
        'FRM',
        1,
        new Date('2027-01-01T00:00:00Z'),
      ),
    );
    const joined = ok(await app.memberships.join(asMember('mbr_alice'), 'FRM', codes[0]));
    expect(joined.tier.code).toBe('MEMBER');
    const again = failure(await app.memberships.join(asMember('mbr_chloe'), 'FRM', codes[0]));
    expect((again as EnrolmentRefused).reason).toBe('INVITATION_INVALID');
    expect(await tierRows('mbr_chloe', 'FRM')).toBe(0);
  });

  it('says what is missing when closed by qualification', async () => {
    ok(
      await app.memberships.setProgram(app.asPartner('ptr_skyair'), {
        currency: 'SKY',
        enrolment: 'qualification',
        qualifyingPurchases: 3,
        qualifyingSpend: { amountMinor: 50_000n, currency: 'EUR' },
      }),
    );
    const error = failure(await app.memberships.join(asMember('mbr_bob'), 'SKY'));
    expect(error).toMatchObject({
      reason: 'QUALIFICATION_MISSING',
      missing: '3 more purchases at SkyAir, or 500.00 EUR more spend at SkyAir',
    });
    expect(await tierRows('mbr_bob', 'SKY')).toBe(0);
  });
});

describe('paid VIP', () => {
  it('applies its benefits at earn, keeps them to the term’s end when cancelled, then lapses', async () => {
    const freshmart = app.asPartner('ptr_freshmart');
    const receipt = ok(
      await app.purchases.award(freshmart, {
        member: { externalId: 'FM-42' },
        transactionId: 'FM-VIP-EARN-1',
        currency: 'FRM',
        purchase: { amountMinor: 2_550n, currency: 'EUR' },
      }),
    );
    // 25 base points at 1 per euro, x2 for VIP.
    expect(receipt.points).toBe(50n);
    expect(receipt.tier).toMatchObject({ code: 'VIP', discountBp: 1000 });
    const [subscription] = await app.memberships.mySubscriptions(asMember('mbr_bob'));
    expect(subscription).toMatchObject({ status: 'active', plan: 'yearly', tierCode: 'VIP' });
    expect(subscription!.payments).toEqual([
      expect.objectContaining({ fee: { amountMinor: 4_900n, currency: 'EUR' } }),
    ]);
    // The same payment reference again: no second term.
    const replay = ok(
      await app.memberships.subscribeVip(freshmart, {
        member: { externalId: 'FM-42' },
        currency: 'FRM',
        plan: 'yearly',
        paymentReference: 'FM-VIP-DEMO-1',
      }),
    );
    expect(replay.payments).toHaveLength(1);
    const cancelled = ok(await app.memberships.cancelVip(asMember('mbr_bob'), subscription!.id));
    expect(cancelled.status).toBe('cancelled');
    await app.tiers.reviewDue();
    expect((await app.tiers.memberStatus('mbr_bob', 'FRM'))!.tier.code).toBe('VIP');
    app.clock.set(new Date(subscription!.termEndsAt.getTime() + 1_000));
    await app.tiers.reviewDue();
    expect((await app.tiers.memberStatus('mbr_bob', 'FRM'))!.tier.code).toBe('MEMBER');
    expect((await app.memberships.subscription(subscription!.id))!.status).toBe('lapsed');
    app.clock.set(new Date('2026-11-26T10:00:00Z'));
  });
});
