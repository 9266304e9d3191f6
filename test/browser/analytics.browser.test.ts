/// <reference lib="dom" />
import { createTestFederation, type TestFederation } from '../helpers/test-federation';
import {
  requireBuiltApps,
  screenshot,
  seriousAccessibilityViolations,
  startBrowser,
  type TestBrowser,
} from './browser';

let t: TestFederation;
let browser: TestBrowser;
let origin: string;
beforeAll(async () => {
  requireBuiltApps();
  t = await createTestFederation();
  origin = new URL(t.url).origin;
  browser = await startBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the finance console’s analytics in a browser', () => {
  it('shows a partner’s earn and burn per day, active members, segments and breakage', async () => {
    await t.app.segments.refreshAll(t.app.clock.now());
    const page = await browser.page({ locale: 'en-GB' });
    page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${origin}/finance`);
    await page.getByRole('button', { name: 'Sign in as Coalition finance (operator)' }).click();
    const analytics = page.getByRole('region', { name: 'Analytics' });
    await analytics.waitFor();
    await analytics.getByLabel('Partner', { exact: true }).selectOption('ptr_fuelco');
    // The demo history is written on 26 November 2026 (the test clock); the range is explicit.
    await analytics.getByLabel('From (UTC day)').fill('2026-11-01');
    await analytics.getByLabel('To (UTC day, included)').fill('2026-11-30');
    await analytics.getByRole('button', { name: 'Show analytics' }).click();
    const day = analytics.getByTestId('day-2026-11-26-SKY');
    await day.waitFor();
    // FuelCo: Alice earned 50 SKY and Chloe 80; 30 of Chloe's were refunded.
    expect(await day.locator('td').allTextContents()).toEqual([
      '2026-11-26',
      'SKY',
      '130',
      '30',
      '0',
      '0',
    ]);
    expect(await analytics.getByTestId('active-members').textContent()).toBe('Active members: 2');
    // Its segments as refreshed: Alice and Chloe are its active members.
    expect(
      await analytics
        .getByTestId('analytics-segments')
        .getByRole('row', { name: 'Active members 2' })
        .count(),
    ).toBe(1);
    // An earn partner owns no program: no breakage rows.
    expect(await analytics.getByTestId('analytics-breakage').locator('tbody tr').count()).toBe(0);
    await analytics.getByLabel('Partner', { exact: true }).selectOption('');
    await analytics.getByRole('button', { name: 'Show analytics' }).click();
    await analytics.getByTestId('breakage-SKY').waitFor();
    await screenshot(page, 'finance-analytics');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(page.problems).toEqual([]);
  });
});
