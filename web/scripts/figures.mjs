// `npm run web:figures`: what each app costs on first load. JavaScript shipped (gzip, the
// issue's target: under 300 KB) from web/dist, and time to interactive (the median of 5 cold
// loads until the sign-in page's first button can be clicked) against a running gateway:
// GATEWAY_URL, default http://127.0.0.1:4000 (`npm start` in another terminal).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const dist = new URL('../dist', import.meta.url).pathname;
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000';
const targetGzipBytes = 300 * 1024;
const loads = 5;
const apps = [
  { name: 'wallet', html: 'index.html', path: '/' },
  { name: 'finance', html: 'finance/index.html', path: '/finance' },
];

function firstLoadJavaScript(htmlFile) {
  const html = readFileSync(join(dist, htmlFile), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  return files.reduce(
    (sum, file) => {
      const bytes = readFileSync(join(dist, file));
      return { raw: sum.raw + bytes.length, gzip: sum.gzip + gzipSync(bytes, { level: 9 }).length };
    },
    { raw: 0, gzip: 0 },
  );
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
});
try {
  console.log('app      JS raw    JS gzip   target    TTI median (5 cold loads)');
  for (const app of apps) {
    const size = firstLoadJavaScript(app.html);
    const times = [];
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${gateway}${app.path}`, { waitUntil: 'commit' });
      await page.getByRole('button').first().waitFor({ timeout: 60_000 });
      times.push(await page.evaluate(() => performance.now()));
      await context.close();
    }
    times.sort((a, b) => a - b);
    const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`.padEnd(10);
    const verdict = size.gzip < targetGzipBytes ? 'under' : 'OVER';
    console.log(
      `${app.name.padEnd(9)}${kb(size.raw)}${kb(size.gzip)}${verdict} 300 KB  ${times[Math.floor(loads / 2)].toFixed(0)} ms`,
    );
  }
} finally {
  await browser.close();
}
