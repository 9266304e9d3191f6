import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';
import {
  closeBrowser,
  ensureWebBuilt,
  launchBrowser,
  openPage,
  type WatchedPage,
  webDistDir,
} from './browser';

/**
 * Production sign-in: the wallet signs a member in with an identity provider (authorization
 * code with PKCE), here a small one in this test that issues tokens the gateway trusts. It
 * checks what a real provider checks: the client, the redirect URI and the code verifier.
 */
let t: TestGateway;
let provider: Server;
let providerUrl: string;
let browser: Browser;
let watched: WatchedPage;
const pending = new Map<string, { challenge: string; redirectUri: string }>();
const tokenRequests: Record<string, string>[] = [];

function base64Url(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function startProvider(): Promise<void> {
  provider = createServer((request, response) => {
    const url = new URL(request.url ?? '/', providerUrl);
    response.setHeader('access-control-allow-origin', '*');
    if (url.pathname === '/.well-known/openid-configuration') {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          issuer: providerUrl,
          authorization_endpoint: `${providerUrl}/authorize`,
          token_endpoint: `${providerUrl}/token`,
        }),
      );
      return;
    }
    if (url.pathname === '/authorize') {
      const ok =
        url.searchParams.get('client_id') === 'coalition-web' &&
        url.searchParams.get('response_type') === 'code' &&
        url.searchParams.get('code_challenge_method') === 'S256';
      if (!ok) {
        response.writeHead(400).end('bad authorization request');
        return;
      }
      // The person signs in here; this provider knows only Bob.
      const code = randomUUID();
      const redirectUri = url.searchParams.get('redirect_uri')!;
      pending.set(code, { challenge: url.searchParams.get('code_challenge')!, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      response.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', async () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        tokenRequests.push(form);
        response.setHeader('content-type', 'application/json');
        if (form.grant_type === 'refresh_token' && form.refresh_token === 'rt-1') {
          const accessToken = await t.issuer.issue({
            kind: 'member',
            subject: 'mbr_bob',
            lifetimeSeconds: 3000,
          });
          response.end(JSON.stringify({ access_token: accessToken, expires_in: 3000 }));
          return;
        }
        const grant = pending.get(form.code ?? '');
        const verified =
          grant &&
          form.grant_type === 'authorization_code' &&
          form.redirect_uri === grant.redirectUri &&
          base64Url(
            createHash('sha256')
              .update(form.code_verifier ?? '')
              .digest(),
          ) === grant.challenge;
        if (!verified) {
          response.writeHead(400).end(JSON.stringify({ error: 'invalid_grant' }));
          return;
        }
        pending.delete(form.code!);
        const accessToken = await t.token('member', 'mbr_bob');
        response.end(
          JSON.stringify({ access_token: accessToken, expires_in: 3600, refresh_token: 'rt-1' }),
        );
      });
      return;
    }
    response.writeHead(404).end();
  });
  provider.listen(0, '127.0.0.1');
  return once(provider, 'listening').then(() => {
    providerUrl = `http://127.0.0.1:${(provider.address() as { port: number }).port}`;
  });
}

beforeAll(async () => {
  ensureWebBuilt();
  await startProvider();
  t = await createTestGateway({
    production: true,
    web: { webDistDir, env: { OIDC_ISSUER: providerUrl, OIDC_CLIENT_ID: 'coalition-web' } },
  });
  browser = await launchBrowser();
  const { port } = t.server.address() as { port: number };
  watched = await openPage(browser, `http://127.0.0.1:${port}`);
});
afterAll(async () => {
  await watched?.close();
  await closeBrowser(browser);
  await t?.close();
  provider?.closeAllConnections();
  await new Promise((resolve) => provider?.close(resolve));
});

it('signs a member in through the identity provider with PKCE, and shows their wallet', async () => {
  const { page } = watched;
  await page.goto('/');
  // Production offers no demo users, only the provider.
  expect(await page.getByRole('button', { name: /^Sign in as/ }).count()).toBe(0);
  await page.getByRole('button', { name: 'Sign in with your coalition account' }).click();
  await page.getByTestId('balance-HTL').waitFor();
  expect(new URL(page.url()).pathname).toBe('/');
  expect(tokenRequests).toHaveLength(1);
  expect(tokenRequests[0]).toMatchObject({
    grant_type: 'authorization_code',
    client_id: 'coalition-web',
    redirect_uri: `${new URL(page.url()).origin}/callback`,
  });
  // Bob's wallet: HTL earned at Nordic (pending) and FreshMart.
  const pendingText = await page.getByTestId('balance-HTL').getByTestId('pending').innerText();
  expect(pendingText).toBe('4,800');
  expect(watched.errors).toEqual([]);
});

it('renews the session with the refresh token before the access token expires', async () => {
  const { page } = watched;
  // The stored session says it expires in a minute and a half second: renewal is due at once.
  const before = await page.evaluate<string>(`(() => {
    const stored = JSON.parse(sessionStorage.getItem('coalition.session.wallet'));
    stored.expiresAt = Date.now() + 60_500;
    sessionStorage.setItem('coalition.session.wallet', JSON.stringify(stored));
    return stored.token;
  })()`);
  await page.reload();
  await page.waitForFunction(
    `JSON.parse(sessionStorage.getItem('coalition.session.wallet')).token !== ${JSON.stringify(before)}`,
  );
  expect(tokenRequests.at(-1)).toEqual({
    client_id: 'coalition-web',
    grant_type: 'refresh_token',
    refresh_token: 'rt-1',
  });
  await page.getByTestId('balance-HTL').waitFor();
  expect(watched.errors).toEqual([]);
});
