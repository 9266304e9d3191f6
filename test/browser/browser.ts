import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../../gateway/config';

/**
 * Browser tests drive Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it)
 * through playwright-core, headless, against a gateway serving the built apps. Screenshots of
 * every page go to test/browser/screenshots/ (git-ignored).
 */
export const webDistDir = join(projectRoot, 'web', 'dist');
export const screenshotDir = join(projectRoot, 'test', 'browser', 'screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Generous: a shared CI machine may be slow; nothing here measures speed. */
export const actionTimeoutMs = Number(process.env.BROWSER_TIMEOUT_MS ?? 60_000);

/** Builds web/dist when a targeted run finds it missing (`npm test` builds it first). */
export function ensureWebBuilt(): void {
  if (existsSync(join(webDistDir, 'index.html'))) return;
  execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.mts'], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: actionTimeoutMs,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Closes the browser; kills its process if closing hangs, so no test leaves Chromium behind. */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  const process = (
    browser as Browser & { process?: () => { kill(signal: string): void } }
  ).process?.();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    browser.close(),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        process?.kill('SIGKILL');
        resolve();
      }, 10_000);
    }),
  ]);
  clearTimeout(timer);
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh context (no storage shared with other tests) and page, watching for console errors. */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: options.viewport ?? { width: 414, height: 860 },
    acceptDownloads: true,
    // Only so axe-core can be injected; the apps themselves run under the gateway's CSP.
    bypassCSP: true,
  });
  context.setDefaultTimeout(actionTimeoutMs);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors, close: () => context.close() };
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis)))
    await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  return (violations as AxeViolation[])
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes
          .map((node) => node.target.join(' '))
          .join(', ')}`,
    );
}

/** A full-page screenshot named for the page, and its accessibility check. */
export async function capture(page: Page, name: string): Promise<string[]> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  return seriousViolations(page);
}

/** Digits only, Latin: "3,000" and "۳٬۰۰۰" both give "3000". */
export function digitsOf(text: string): string {
  return text
    .replace(/[۰-۹]/g, (digit) => String(digit.charCodeAt(0) - 0x06f0))
    .replace(/[^0-9]/g, '');
}
