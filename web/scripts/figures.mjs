#!/usr/bin/env node
/**
 * `npm run web:figures`: what each app costs on first load, against issue 15's target.
 * - JavaScript shipped on first load, gzip: the entry script and every chunk it preloads, as
 *   the gateway sends them (the build's .gz copies). Target: under 300 KB.
 * - Time to interactive, median of `--runs` (default 7) cold loads in Debian's Chromium against
 *   a local gateway started here (dist/gateway/main.js on a free port, its own embedded
 *   PostgreSQL, demo data): from navigation start until the signed-in page's main content is
 *   rendered and the main thread is idle (requestIdleCallback). No network throttling.
 * Everything it starts (the gateway and its database, the browser) is stopped before it exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'web', 'dist');
const runsIndex = process.argv.indexOf('--runs');
const runs = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 7;
const targetJsGzipBytes = 300 * 1024;

const apps = [
  {
    name: 'wallet',
    html: 'index.html',
    path: '/',
    user: { kind: 'member', id: 'mbr_alice', name: 'Alice Andersen' },
    ready: '[data-testid="balance-HTL"]',
  },
  {
    name: 'finance',
    html: 'finance/index.html',
    path: '/finance',
    user: { kind: 'finance', id: 'operator', name: 'Coalition finance (operator)' },
    ready: 'main table, main h1 + p',
  },
];

/** The scripts a page loads first: its module entry and the chunks it preloads. */
function firstLoadScripts(htmlFile) {
  const html = readFileSync(join(dist, htmlFile), 'utf8');
  const sources = [
    ...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g),
  ].map((match) => match[1]);
  return [...new Set(sources)];
}

function bytesOf(source) {
  const file = join(dist, source);
  return { raw: statSync(file).size, gzip: statSync(`${file}.gz`).size };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startGateway(dataDir) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--max-old-space-size=256', 'dist/gateway/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      COALITION_DATA_DIR: dataDir,
      DEMO_PARTNERS: 'off',
      SWEEP_INTERVAL_MS: '0',
      EXIT_WITH_PARENT: '1',
      DATABASE_URL: '',
      NODE_ENV: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { child, url };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stopGateway(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function timeToInteractive(browser, url, app) {
  const signIn = await fetch(`${url}/auth/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: app.user.kind, id: app.user.id }),
  });
  const { token, expiresInSeconds } = await signIn.json();
  const session = { token, expiresAt: Date.now() + expiresInSeconds * 1000, user: app.user };
  const times = [];
  for (let run = 0; run < runs; run++) {
    // A fresh context each time: no HTTP cache, a cold first load.
    const context = await browser.newContext({ viewport: { width: 414, height: 860 } });
    await context.addInitScript(
      ([key, value]) => sessionStorage.setItem(key, value),
      [`coalition.session.${app.name}`, JSON.stringify(session)],
    );
    const page = await context.newPage();
    await page.goto(`${url}${app.path}`, { waitUntil: 'commit' });
    await page.locator(app.ready).first().waitFor({ timeout: 60_000 });
    times.push(
      await page.evaluate(
        () => new Promise((resolve) => requestIdleCallback(() => resolve(performance.now()))),
      ),
    );
    await context.close();
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times.at(-1) };
}

async function main() {
  if (!existsSync(join(dist, 'index.html')))
    throw new Error('web/dist is missing: npm run web:build');
  if (!existsSync(join(root, 'dist', 'gateway', 'main.js'))) throw new Error('npm run build first');
  const sizes = apps.map((app) => {
    const scripts = firstLoadScripts(app.html).map((source) => ({ source, ...bytesOf(source) }));
    return {
      app: app.name,
      scripts,
      raw: scripts.reduce((sum, script) => sum + script.raw, 0),
      gzip: scripts.reduce((sum, script) => sum + script.gzip, 0),
    };
  });
  const folder = mkdtempSync(join(tmpdir(), 'web-figures-'));
  // PostgreSQL runs as the postgres user when this runs as root: it must reach the folder.
  chmodSync(folder, 0o755);
  let gateway;
  let browser;
  const timings = {};
  try {
    gateway = await startGateway(join(folder, 'data'));
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
    for (const app of apps) timings[app.name] = await timeToInteractive(browser, gateway.url, app);
  } finally {
    await browser?.close();
    if (gateway) await stopGateway(gateway.child);
    spawnSync('chmod', ['-R', 'u+rwX', folder]);
    rmSync(folder, { recursive: true, force: true });
  }
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(`\nWeb apps, first load (${runs} cold loads each, local gateway, no throttling)\n`);
  console.log('app      JS gzip    (raw)       target <300 KB   TTI median (min-max)');
  for (const size of sizes) {
    const timing = timings[size.app];
    console.log(
      `${size.app.padEnd(8)} ${kb(size.gzip).padEnd(10)} (${kb(size.raw).padEnd(9)})  ${
        size.gzip < targetJsGzipBytes ? 'met' : 'MISSED'
      }              ${timing.median.toFixed(0)} ms (${timing.min.toFixed(0)}-${timing.max.toFixed(0)})`,
    );
    for (const script of size.scripts) {
      console.log(`           ${script.source}: ${kb(script.gzip)} gzip, ${kb(script.raw)} raw`);
    }
  }
  if (sizes.some((size) => size.gzip >= targetJsGzipBytes)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
