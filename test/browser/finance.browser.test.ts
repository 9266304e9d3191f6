import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';
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
 * The finance console in Chromium: the operator's finance user closes a period, reads who pays
 * whom, opens FuelCo's statement and downloads its CSV, uploads it back with one amount changed,
 * and resolves that one exception with an adjustment; then the programs' liabilities.
 */
let t: TestGateway;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let periodId: string;
let operatorFinance: string;
const violations: Record<string, string[]> = {};

beforeAll(async () => {
  ensureWebBuilt();
  t = await createTestGateway({ web: { webDistDir } });
  operatorFinance = await t.token('finance', 'fin_ops');
  // A period around the demo's history (the test clock stands at 2026-11-26T10:00Z), ended.
  const opened = await t.graphql(
    operatorFinance,
    'mutation($input: OpenSettlementPeriodInput!) { openSettlementPeriod(input: $input) { ... on SettlementPeriod { id } } }',
    { input: { startsAt: '2026-11-01T00:00:00Z', endsAt: '2026-11-26T11:00:00Z' } },
  );
  periodId = opened.body.data.openSettlementPeriod.id;
  t.app.clock.set(new Date('2026-11-26T12:00:00Z'));
  const { port } = t.server.address() as { port: number };
  browser = await launchBrowser();
  watched = await openPage(browser, `http://127.0.0.1:${port}`, {
    viewport: { width: 1280, height: 900 },
  });
  page = watched.page;
});
afterAll(async () => {
  await watched?.close();
  await closeBrowser(browser);
  await t?.close();
});

it('signs the operator’s finance user in and closes the period', async () => {
  await page.goto('/finance');
  const signIn = page.getByRole('button', { name: 'Sign in as Coalition finance (operator)' });
  await signIn.waitFor();
  violations['finance-sign-in'] = await capture(page, 'finance-sign-in');
  await signIn.click();
  const row = page.getByTestId(`period-${periodId}`);
  await expect(row.getByTestId('status').innerText()).resolves.toBe('Open');
  violations['finance-periods-open'] = await capture(page, 'finance-periods-open');
  await row.getByRole('button', { name: /^Close the period ending/ }).click();
  await page.waitForFunction(
    `document.querySelector('[data-testid="period-${periodId}"] [data-testid="status"]')?.textContent === 'Closed'`,
  );
  violations['finance-periods'] = await capture(page, 'finance-periods');
  const api = await t.graphql(operatorFinance, '{ settlementPeriods { id status transferCount } }');
  expect(api.body.data.settlementPeriods).toEqual([
    { id: periodId, status: 'closed', transferCount: expect.any(String) },
  ]);
});

it('shows the net positions and who pays whom', async () => {
  await page.getByRole('link', { name: 'Settlement' }).click();
  const payments = page.getByTestId('payments').getByRole('listitem');
  await payments.first().waitFor();
  const api = await t.graphql(
    operatorFinance,
    'query($p: ID!) { periodSettlement(periodId: $p) { payments { payerId payeeId amount { amount } } } }',
    { p: periodId },
  );
  const expected = api.body.data.periodSettlement.payments as {
    payerId: string;
    payeeId: string;
    amount: { amount: string };
  }[];
  expect(expected.length).toBeGreaterThan(0);
  const shown = await payments.allInnerTexts();
  expect(shown).toEqual(
    expected.map(
      (payment) => `${payment.payerId} pays ${payment.payeeId} €${payment.amount.amount}`,
    ),
  );
  await page.locator('svg.diagram line').first().waitFor();
  violations['finance-settlement'] = await capture(page, 'finance-settlement');
});

let downloadedCsv: string;

it('opens a partner’s statement and downloads it as CSV', async () => {
  await page.getByRole('link', { name: 'Statements' }).click();
  await page.getByLabel('Partner', { exact: true }).selectOption('ptr_fuelco');
  await page.getByTestId('lines').locator('tbody tr').first().waitFor();
  violations['finance-statement'] = await capture(page, 'finance-statement');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`statement-${periodId}-ptr_fuelco.csv`);
  downloadedCsv = readFileSync(await download.path(), 'utf8');
  const api = await t.graphql(
    operatorFinance,
    'query($p: ID!) { statementCsv(periodId: $p, partnerId: "ptr_fuelco", first: 500) { text pageInfo { hasNextPage } } }',
    { p: periodId },
  );
  expect(api.body.data.statementCsv.pageInfo.hasNextPage).toBe(false);
  expect(downloadedCsv).toBe(api.body.data.statementCsv.text);
});

it('reconciles the partner’s file with one changed amount and resolves that exception', async () => {
  // FuelCo sends our file back with one line's amount a cent higher.
  const eol = downloadedCsv.includes('\r\n') ? '\r\n' : '\n';
  const rows = downloadedCsv.split(eol);
  const header = rows[0]!.split(',');
  const amountColumn = header.indexOf('amount');
  const lineIndex = rows.findIndex((row) => row.startsWith('line,'));
  const cells = rows[lineIndex]!.split(',');
  const referenceColumn = header.indexOf('reference');
  const reference = cells[referenceColumn]!;
  const cents = Math.round(Number(cells[amountColumn]) * 100) + 1;
  cells[amountColumn] = (cents / 100).toFixed(2);
  rows[lineIndex] = cells.join(',');
  await page.getByRole('link', { name: 'Reconciliation' }).click();
  await page.getByLabel('Partner', { exact: true }).selectOption('ptr_fuelco');
  await page.getByLabel('The partner’s CSV file').setInputFiles({
    name: 'fuelco.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(rows.join(eol)),
  });
  await page.getByRole('button', { name: 'Upload and reconcile' }).click();
  const exceptions = page.locator('[data-testid^="exception-"]');
  await exceptions.first().waitFor();
  expect(await exceptions.count()).toBe(1);
  const exception = page.getByTestId(`exception-${reference}`);
  expect(await exception.innerText()).toContain('Amount differs');
  violations['finance-reconciliation'] = await capture(page, 'finance-reconciliation');
  await exception.getByLabel('Note (optional)').fill('FuelCo rounded up');
  await exception.getByRole('button', { name: 'Resolve with an adjustment' }).click();
  await expect(exception.getByTestId('resolved').innerText()).resolves.toMatch(
    /^Resolved by adjustment trf_/,
  );
  violations['finance-reconciliation-resolved'] = await capture(
    page,
    'finance-reconciliation-resolved',
  );
});

it('shows each program’s liability as the API gives it, in English and in Persian', async () => {
  await page.getByRole('link', { name: 'Liabilities' }).click();
  const api = await t.graphql(
    operatorFinance,
    '{ programLiabilities { currency outstandingPoints value { amount } } }',
  );
  for (const row of api.body.data.programLiabilities) {
    const shown = page.getByTestId(`liability-${row.currency}`);
    expect(digitsOf(await shown.getByTestId('outstanding').innerText())).toBe(
      row.outstandingPoints,
    );
    expect(digitsOf(await shown.getByTestId('value').innerText())).toBe(digitsOf(row.value.amount));
  }
  violations['finance-liabilities'] = await capture(page, 'finance-liabilities');
  await page.getByLabel('Language').selectOption('fa-IR');
  await expect(page.locator('html').getAttribute('dir')).resolves.toBe('rtl');
  expect(await page.getByTestId('liability-SKY').getByTestId('outstanding').innerText()).toMatch(
    /^[۰-۹٬]+$/,
  );
  violations['finance-liabilities-fa'] = await capture(page, 'finance-liabilities-fa');
});

it('shows a partner’s finance user only its own statement and programs', async () => {
  await page.getByLabel('زبان').selectOption('en');
  await page.getByRole('button', { name: /^Sign out/ }).click();
  await page.getByRole('button', { name: 'Sign in as SkyAir finance' }).click();
  await page.getByRole('link', { name: 'Statements' }).click();
  await page.getByTestId('totals').waitFor();
  // No partner to pick, no settlement of the whole network, no close.
  expect(await page.getByLabel('Partner', { exact: true }).count()).toBe(0);
  expect(await page.getByRole('link', { name: 'Settlement' }).count()).toBe(0);
  violations['finance-statement-partner'] = await capture(page, 'finance-statement-partner');
  await page.getByRole('link', { name: 'Liabilities' }).click();
  await page.getByTestId('liability-SKY').waitFor();
  expect(await page.getByTestId('liability-HTL').count()).toBe(0);
  await page.getByRole('link', { name: 'Periods' }).click();
  await page.getByTestId(`period-${periodId}`).waitFor();
  expect(await page.getByRole('button', { name: /^Close the period/ }).count()).toBe(0);
});

it('had no serious or critical accessibility violation and no console error on any page', () => {
  expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((name) => [name, []])));
  expect(watched.errors).toEqual([]);
});
