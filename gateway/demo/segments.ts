import type { App } from '../app';
import { asPartner, must } from './seed';

/**
 * The demo coalition's segments and offers (issue 18, items 1 and 2), seeded after its rules:
 * every segment computed as of now; FreshMart's custom segment "Regulars" (two purchases or more
 * at FreshMart in the last 60 days); and FreshMart's win-back offer for its lapsed members,
 * +200 FreshMart Club points on the next purchase once activated, for 90 days, within a budget
 * of 100,000 points.
 */
export async function seedDemoSegments(app: App): Promise<void> {
  const freshmart = asPartner(app, 'ptr_freshmart');
  const now = app.clock.now();
  await app.segments.refreshAll(now);
  must(
    await app.segments.create(freshmart, {
      name: 'Regulars',
      conditions: [{ kind: 'visits', min: 2, max: null, days: 60 }],
    }),
  );
  must(
    await app.offers.create(freshmart, {
      currency: 'FRM',
      name: 'We miss you: +200 points on your next purchase',
      description: 'Activate it, then shop at FreshMart within 90 days.',
      effects: [{ kind: 'bonus', points: 200n }],
      targetSegmentIds: ['seg_lapsed_ptr_freshmart'],
      targetMemberIds: [],
      startsAt: now,
      endsAt: new Date(now.getTime() + 90 * 86_400_000),
      pointsBudget: 100_000n,
      usesMax: null,
      perMemberUses: 1,
    }),
  );
}
