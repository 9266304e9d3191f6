/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestFederation, type TestFederation } from '../helpers/test-federation';
import {
  requireBuiltApps,
  screenshot,
  screenshotsDir,
  seriousAccessibilityViolations,
  startBrowser,
  type TestBrowser,
} from './browser';

let t: TestFederation;
let browser: TestBrowser;
let origin: string;
let periodId: string;
beforeAll(async () => {
  requireBuiltApps();
  t = await createTestFederation();
  origin = new URL(t.url).origin;
  // The demo history was written at the test clock's start; a period around it, ended.
  const start = new Date(t.app.clock.now().getTime() - 3_600_000);
  const end = new Date(start.getTime() + 2 * 3_600_000);
  const finance = await t.issuer.issue({ kind: 'finance', subject: 'fin_ops' });
  const opened = await t.graphql(
    finance,
    `mutation($input: OpenSettlementPeriodInput!) {
       openSettlementPeriod(input: $input) { ... on SettlementPeriod { id } }
     }`,
    { input: { startsAt: start.toISOString(), endsAt: end.toISOString() } },
  );
  periodId = opened.body.data.openSettlementPeriod.id;
  t.app.clock.set(end);
  browser = await startBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** FuelCo's own records: two lines as ours, one amount differing (FC-POS-1002). */
const fuelcoCsv =
  'transaction_id,amount,currency\nFC-POS-1001,-0.60,EUR\nFC-POS-1002,-0.90,EUR\nFC-RF-1002-1,0.36,EUR\n';

describe('the finance console in a browser', () => {
  it('closes a period, opens a statement and its CSV, reconciles and resolves an exception', async () => {
    const page = await browser.page({ locale: 'en-GB' });
    page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${origin}/finance`);
    await page.getByRole('button', { name: 'Sign in as Coalition finance (operator)' }).click();
    const row = page.getByTestId(`period-${periodId}`);
    await row.waitFor();
    expect(await row.getByTestId('period-status').textContent()).toBe('Open');
    await screenshot(page, 'finance-periods');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    await row.getByRole('button', { name: `Close ${periodId}` }).click();
    await page.waitForFunction(
      (id) =>
        document.querySelector(`[data-testid="period-${id}"] [data-testid="period-status"]`)
          ?.textContent === 'Closed',
      periodId,
    );
    await page.getByRole('heading', { name: 'Net positions' }).waitFor();
    await page.getByTestId('payments').locator('li').first().waitFor();
    await screenshot(page, 'finance-settlement');

    const statement = page.getByRole('region', { name: 'Statement' });
    await statement.getByLabel('Partner', { exact: true }).selectOption('ptr_fuelco');
    await statement.getByRole('button', { name: 'Open statement' }).click();
    const lines = page.getByTestId('statement-lines');
    await lines.getByRole('cell', { name: 'FC-POS-1001' }).waitFor();
    expect(await lines.locator('tbody tr').count()).toBe(3);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      statement.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const saved = join(screenshotsDir, 'statement-fuelco.csv');
    await download.saveAs(saved);
    const csv = await readFile(saved, 'utf8');
    expect(csv).toContain('FC-POS-1001');
    expect(csv).toContain('FC-RF-1002-1');
    await screenshot(page, 'finance-statement');

    const reconciliation = page.getByRole('region', { name: 'Reconciliation' });
    await reconciliation.getByLabel('Partner', { exact: true }).selectOption('ptr_fuelco');
    await reconciliation.getByLabel('The partner’s CSV file').setInputFiles({
      name: 'fuelco.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(fuelcoCsv),
    });
    await reconciliation.getByRole('button', { name: 'Reconcile' }).click();
    const exception = page.getByTestId('exception-FC-POS-1002');
    await exception.waitFor().catch(async (error: Error) => {
      const shown = await reconciliation.textContent();
      throw new Error(`${error.message}\nshown: ${shown}\nproblems: ${page.problems.join('; ')}`);
    });
    expect(await page.getByTestId('exceptions').locator('li').count()).toBe(1);
    expect(await exception.textContent()).toContain('amount_differs');
    await exception.getByRole('button', { name: /^Resolve with an adjustment/ }).click();
    await exception.getByRole('status').waitFor();
    expect(await exception.getByRole('status').textContent()).toMatch(/^Resolved: trf_/);

    expect(await page.getByTestId('liability-SKY').textContent()).toContain('EUR');
    await screenshot(page, 'finance-reconciled');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(page.problems).toEqual([]);
  });
});
