/// <reference lib="dom" />
// Functions passed to page.evaluate run in the browser.
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

const english = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 20 });
const walletQuery = `{ wallet { totalValue { amount } balances { currency available pending held expiringSoon value { amount } } } }`;

async function signedInWallet() {
  const page = await browser.page();
  await page.goto(`${origin}/`);
  return signedIn(page);
}

async function signedIn(page: Awaited<ReturnType<TestBrowser['page']>>, name = 'Alice Andersen') {
  await page.getByRole('button', { name: `Sign in as ${name}` }).click();
  await page
    .getByTestId('total-value')
    .waitFor()
    .catch(async (error: Error) => {
      // Say what the page showed instead: its text and the errors it logged.
      const shown = await page.locator('main').textContent();
      throw new Error(`${error.message}\npage: ${shown}\nproblems: ${page.problems.join('; ')}`);
    });
  return page;
}

describe('the member wallet in a browser', () => {
  it('signs a member in and shows the API’s values, accessibly', async () => {
    const page = await browser.page();
    await page.goto(`${origin}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'wallet-sign-in');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    await signedIn(page);
    await page.getByTestId('history-entry').first().waitFor();
    const { body } = await t.graphql(await t.token('member', 'mbr_alice'), walletQuery);
    const wallet = body.data.wallet;
    expect(await page.getByTestId('total-value').textContent()).toContain(
      english.format(wallet.totalValue.amount),
    );
    for (const balance of wallet.balances) {
      const { currency } = balance;
      expect(await page.getByTestId(`available-${currency}`).textContent()).toBe(
        english.format(balance.available),
      );
      expect(await page.getByTestId(`pending-${currency}`).textContent()).toBe(
        english.format(balance.pending),
      );
      expect(await page.getByTestId(`held-${currency}`).textContent()).toBe(
        english.format(balance.held),
      );
      expect(await page.getByTestId(`expiring-${currency}`).textContent()).toBe(
        english.format(balance.expiringSoon),
      );
      if (balance.value) {
        expect(await page.getByTestId(`value-${currency}`).textContent()).toContain(
          english.format(balance.value.amount),
        );
      }
    }
    await screenshot(page, 'wallet');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(page.problems).toEqual([]);
  });

  it('says what converting would make affordable', async () => {
    const page = await signedInWallet();
    await page.locator('[data-testid^="afford-"]').first().waitFor();
    const texts = await page.locator('[data-testid^="afford-"]').allTextContents();
    expect(texts).toContainEqual(expect.stringMatching(/^Affordable by converting [\d,]+ HTL$/));
  });

  it('redeems a partner’s reward and shows the new history line', async () => {
    const page = await signedInWallet();
    const reward = page.getByTestId('reward-nh_osl_1n');
    const before = await page.getByTestId('history-entry').first().getAttribute('data-code');
    expect(before).not.toBe('post');
    await reward.getByRole('button', { name: /^Redeem/ }).click();
    await reward.getByRole('status').waitFor();
    expect(await reward.getByRole('status').textContent()).toMatch(/^Redeemed: NH-BKG-\d+$/);
    await page.locator('[data-testid="history-entry"]').first().waitFor();
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="history-entry"]')?.getAttribute('data-code') ===
        'post',
    );
    await screenshot(page, 'wallet-redeemed');
    expect(page.problems).toEqual([]);
  });

  it('converts with a quote whose expiry counts down, and shows the conversion in the history', async () => {
    const page = await signedInWallet();
    await page.getByLabel('From', { exact: true }).selectOption('SKY');
    await page.getByLabel('To', { exact: true }).selectOption('HTL');
    await page.getByLabel('Points to convert').fill('100');
    await page.getByRole('button', { name: 'Get a quote' }).click();
    await page.getByTestId('quote').waitFor();
    expect(await page.getByTestId('quote').textContent()).toMatch(/100 SKY .* give \d+ HTL/);
    expect(await page.getByTestId('quote-countdown').textContent()).toMatch(/Firm for \d+ s/);
    await screenshot(page, 'wallet-quote');
    await page.getByRole('button', { name: 'Convert', exact: true }).click();
    await page.getByTestId('converted').waitFor();
    await page.locator('[data-testid="history-entry"][data-code="convert"]').first().waitFor();
    expect(page.problems).toEqual([]);
  });

  it('renders right to left with Persian digits and dates', async () => {
    const page = await signedInWallet();
    await page.getByLabel('Language').selectOption('fa');
    await page.waitForFunction(() => document.documentElement.dir === 'rtl');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fa');
    expect(await page.getByTestId('available-SKY').textContent()).toMatch(/^[۰-۹٬]+$/);
    expect(await page.locator('.history time').first().textContent()).toMatch(/[۰-۹]/);
    await screenshot(page, 'wallet-persian');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(page.problems).toEqual([]);
  });

  it('shows a partner’s offer for the member and activates it', async () => {
    const now = t.app.clock.now();
    const offer = await t.app.offers.create(t.app.asPartner('ptr_freshmart'), {
      currency: 'HTL',
      name: 'Come back: +300 points',
      description: 'On your next purchase at FreshMart.',
      effects: [{ kind: 'bonus', points: 300n }],
      targetSegmentIds: [],
      targetMemberIds: ['mbr_bob'],
      startsAt: now,
      endsAt: new Date(now.getTime() + 7 * 86_400_000),
      pointsBudget: null,
      usesMax: null,
      perMemberUses: 1,
    });
    if (!('ruleId' in offer)) throw new Error(`offer not created: ${offer.message}`);
    const page = await browser.page();
    await page.goto(`${origin}/`);
    await signedIn(page, 'Bob Berg');
    const card = page.getByTestId(`offer-${offer.id}`);
    await card.waitFor();
    expect(await card.textContent()).toContain('On your next purchase at FreshMart.');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Activate: Come back: +300 points' }).click();
    await card.getByRole('status').waitFor();
    expect(await card.getByRole('status').textContent()).toBe(
      'Activated: it applies at your next purchase',
    );
    await screenshot(page, 'wallet-offer');
    const activated = await t.app.db.query(
      'select member_id from offer_activation where offer_id = $1',
      [offer.id],
    );
    expect(activated.rows).toEqual([{ member_id: 'mbr_bob' }]);
    expect(page.problems).toEqual([]);
  });
});
