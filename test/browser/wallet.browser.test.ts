import type { Browser, Page } from 'playwright-core';
import { createTestFederation, type TestFederation } from '../helpers/test-federation';
import {
  capture,
  closeBrowser,
  digitsOf,
  ensureWebBuilt,
  launchBrowser,
  openPage,
  type WatchedPage,
  webDistDir,
} from './browser';

/**
 * The member wallet in Chromium against the whole federated graph (gateway and the demo
 * partner services): Alice signs in, sees what the API says, redeems a reward, converts with a
 * quote, sees the new history lines; then the same wallet in Persian, right to left.
 */
let t: TestFederation;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let baseUrl: string;
const violations: Record<string, string[]> = {};

beforeAll(async () => {
  ensureWebBuilt();
  t = await createTestFederation({ web: { webDistDir } });
  baseUrl = t.url.replace(/\/graphql$/, '');
  browser = await launchBrowser();
  watched = await openPage(browser, baseUrl);
  page = watched.page;
});
afterAll(async () => {
  await watched?.close();
  await closeBrowser(browser);
  await t?.close();
});

async function apiWallet() {
  const alice = await t.token('member', 'mbr_alice');
  const { body } = await t.graphql(
    alice,
    '{ wallet { totalValue { amount } balances { currency available pending held expiringSoon value { amount } } } }',
  );
  return body.data.wallet as {
    totalValue: { amount: string };
    balances: {
      currency: string;
      available: string;
      pending: string;
      held: string;
      expiringSoon: string;
      value: { amount: string } | null;
    }[];
  };
}

async function expectWalletMatchesApi() {
  const wallet = await apiWallet();
  await page.getByTestId('balance-HTL').waitFor();
  expect(digitsOf(await page.getByTestId('total-value').innerText())).toBe(
    digitsOf(wallet.totalValue.amount),
  );
  for (const balance of wallet.balances) {
    const card = page.getByTestId(`balance-${balance.currency}`);
    expect(digitsOf(await card.getByTestId('available').innerText())).toBe(balance.available);
    expect(digitsOf(await card.getByTestId('pending').innerText())).toBe(balance.pending);
    expect(digitsOf(await card.getByTestId('held').innerText())).toBe(balance.held);
    expect(digitsOf(await card.getByTestId('expiring').innerText())).toBe(balance.expiringSoon);
    expect(digitsOf(await card.getByTestId('value').innerText())).toBe(
      digitsOf(balance.value!.amount),
    );
  }
}

it('signs a demo member in and shows the wallet the API shows', async () => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign in as Alice Andersen' }).waitFor();
  violations['wallet-sign-in'] = await capture(page, 'wallet-sign-in');
  await page.getByRole('button', { name: 'Sign in as Alice Andersen' }).click();
  await expectWalletMatchesApi();
  await page.locator('figure.chart svg polyline').first().waitFor();
  violations['wallet-overview'] = await capture(page, 'wallet-overview');
});

it('shows what is affordable, by converting too, and redeems a reward in two phases', async () => {
  await page.getByRole('link', { name: 'Rewards' }).click();
  const flight = page.getByTestId('reward-awd_osl_lhr_0312');
  // 1,000 SKY with 550 held: 450 missing, 2,250 HTL at 5:1, in multiples of 1,000.
  await expect(flight.getByTestId('affordability').innerText()).resolves.toBe(
    'Affordable by converting 3,000 HTL',
  );
  violations['wallet-rewards'] = await capture(page, 'wallet-rewards');
  const night = page.getByTestId('reward-nh_osl_1n');
  await night.getByRole('button', { name: 'Redeem' }).click();
  const outcome = night.getByRole('status');
  await outcome.waitFor();
  expect(await outcome.innerText()).toMatch(/^Redeemed: booking \S+$/);
  const wallet = await apiWallet();
  expect(wallet.balances.find((balance) => balance.currency === 'HTL')!.available).toBe('500');
});

it('converts with a quote whose expiry counts down', async () => {
  await page.getByRole('link', { name: 'Convert', exact: true }).click();
  await page.getByLabel('Convert', { exact: true }).selectOption('SKY>HTL');
  await page.getByLabel('Points of SKY').fill('100');
  await page.getByRole('button', { name: 'Get a quote' }).click();
  const quote = page.getByTestId('quote');
  // 1 SKY = 4 HTL, with a 1% fee on top (1 SKY).
  await expect(quote.getByTestId('quote-target').innerText()).resolves.toBe('400 HTL');
  const expiry = quote.getByTestId('quote-expiry');
  const secondsAt = async () => Number(digitsOf(await expiry.innerText()));
  const first = await secondsAt();
  expect(await expiry.innerText()).toMatch(/^Valid for \d+ more seconds$/);
  // It counts down: wait for the next second's text.
  await page.waitForFunction(
    `Number(document.querySelector('[data-testid="quote-expiry"]').textContent.replace(/\\D/g, '')) < ${first}`,
  );
  violations['wallet-convert'] = await capture(page, 'wallet-convert');
  await quote.getByRole('button', { name: 'Convert now' }).click();
  await expect(page.getByTestId('converted').innerText()).resolves.toBe(
    'Converted 100 SKY into 400 HTL.',
  );
  const wallet = await apiWallet();
  expect(wallet.balances.map((balance) => [balance.currency, balance.available])).toEqual([
    ['HTL', '900'],
    ['SKY', '449'],
  ]);
});

it('lists the new lines in the history, each with why it happened', async () => {
  await page.getByRole('link', { name: 'History' }).click();
  const entries = page.getByTestId('history-entry');
  await entries.first().waitFor();
  // The four newest: the conversion and its fee, the redemption's hold and its confirmation.
  const newest = (await entries.allInnerTexts())
    .slice(0, 4)
    .map((text) => text.replace(/\s+/g, ' '));
  expect(newest).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^Converted .*Conversion −100 SKY \+400 HTL$/),
      expect.stringMatching(/^Exchange fee: 1 SKY .*Fee −1 SKY$/),
      expect.stringMatching(/−2,500 HTL/),
      expect.stringMatching(/^Redemption confirmed by the partner .*−2,500 HTL held$/),
    ]),
  );
  violations['wallet-history'] = await capture(page, 'wallet-history');
  await page.getByRole('link', { name: 'Wallet' }).click();
  await expectWalletMatchesApi();
});

it('renders right to left in Persian, with Persian digits', async () => {
  await page.getByLabel('Language').selectOption('fa-IR');
  await expect(page.locator('html').getAttribute('dir')).resolves.toBe('rtl');
  await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fa-IR');
  const available = await page.getByTestId('balance-SKY').getByTestId('available').innerText();
  expect(available).toBe('۴۴۹');
  await expectWalletMatchesApi();
  violations['wallet-overview-fa'] = await capture(page, 'wallet-overview-fa');
  await page.getByRole('link', { name: 'تاریخچه' }).click();
  await page.getByTestId('history-entry').first().waitFor();
  violations['wallet-history-fa'] = await capture(page, 'wallet-history-fa');
});

it('is usable by keyboard: skip to the content, reach a page by its link', async () => {
  await page.getByLabel('زبان').selectOption('en');
  await page.goto('/#/overview');
  await page.getByTestId('balance-HTL').waitFor();
  await page.keyboard.press('Tab');
  await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe(
    'Skip to content',
  );
  // Past the skip link, the language and sign-out controls, to the first page link.
  for (let presses = 0; presses < 10; presses++) {
    if ((await page.evaluate('document.activeElement.textContent')) === 'Rewards') break;
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Enter');
  await page.getByTestId('reward-nh_osl_1n').waitFor();
  expect(new URL(page.url()).hash).toBe('#/rewards');
});

it('had no serious or critical accessibility violation and no console error on any page', () => {
  expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((name) => [name, []])));
  expect(watched.errors).toEqual([]);
});
