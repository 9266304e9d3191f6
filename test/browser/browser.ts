/// <reference lib="dom" />
// Functions passed to page.evaluate run in the browser.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserServer, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../../gateway/config';

/** Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it when missing). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotsDir = join(projectRoot, 'test', 'browser', 'screenshots');
/** How long one browser step may hang before the test fails (a hang limit, not a speed limit). */
export const stepTimeoutMs = 30_000;

export interface TestBrowser {
  browser: Browser;
  /** A new page that records console errors and failed page scripts. */
  page(options?: { locale?: string }): Promise<Page & { problems: string[] }>;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium as a server whose process we hold, so close() can kill it by its
 * pid if a graceful close hangs: a test never leaves a browser behind, even when it fails.
 */
export async function startBrowser(): Promise<TestBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: apt-get install -y chromium`);
  }
  const server: BrowserServer = await chromium.launchServer({
    executablePath: chromiumPath,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      '--metrics-recording-only',
    ],
  });
  let browser: Browser;
  try {
    browser = await chromium.connect(server.wsEndpoint(), { timeout: 60_000 });
  } catch (error) {
    await server.kill();
    throw error;
  }
  return {
    browser,
    page: async (options = {}) => {
      const context = await browser.newContext({
        locale: options.locale ?? 'en-GB',
        viewport: { width: 420, height: 900 },
      });
      const page = (await context.newPage()) as Page & { problems: string[] };
      page.setDefaultTimeout(stepTimeoutMs);
      page.problems = [];
      page.on('console', (message) => {
        if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
      return page;
    },
    close: async () => {
      const closed = Promise.race([
        browser.close().then(() => server.close()),
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref()),
      ]).catch(() => 'failed');
      if ((await closed) !== undefined) await server.kill();
    },
  };
}

let axeSource: string | undefined;

/** Violations axe-core rates serious or critical on the page as it is now. */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) allows it.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes)`);
}
type Violation = { id: string; impact: string | null; nodes: unknown[] };

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });
}

/** The app's build, which `npm test` makes before jest runs. */
export function requireBuiltApps(): void {
  if (!existsSync(join(projectRoot, 'web', 'dist', 'index.html'))) {
    throw new Error('web/dist is missing: run `npm run web:build` (npm test does it first)');
  }
}
