import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { DevSignIn } from '../auth/dev-sign-in';
import type { OidcSettings } from '../auth/oidc-settings';
import { projectRoot } from '../config';
import { sendJson } from './send-json';

/** Where `npm run web:build` writes the apps. */
export const webDistDir = join(projectRoot, 'web', 'dist');
/** The apps' documents by hash, written by `npm run web:codegen` (committed). */
export const trustedDocumentsFile = join(
  projectRoot,
  'web',
  'src',
  'generated',
  'trusted-documents.json',
);

/** The built apps (web/dist) and their sign-in routes, served by the gateway itself. */
export interface WebOptions {
  /** The folder `vite build` wrote (web/dist); a missing folder is answered with a hint. */
  distDir: string;
  /** Development sign-in; undefined in production. */
  devSignIn: DevSignIn | undefined;
  /** Production sign-in with the identity provider. */
  oidc: OidcSettings | undefined;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const signInBodyBytesMax = 1024;

/**
 * Answers the web routes; false when the path is none of them (the caller sends 404):
 * - `GET /auth/config`: how to sign in (the development users, or the OIDC settings);
 * - `POST /auth/dev/token`: a development token (404 when there is no development sign-in);
 * - `GET /assets/...`: hashed build files, cached for a year;
 * - `GET /finance[/...]`: the finance console; any other GET of a page: the member wallet.
 */
export async function handleWeb(
  web: WebOptions,
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
): Promise<boolean> {
  if (pathname === '/auth/config' && request.method === 'GET') {
    sendJson(response, 200, authConfig(web));
    return true;
  }
  if (pathname === '/auth/dev/token' && web.devSignIn) {
    await devToken(web.devSignIn, request, response);
    return true;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (pathname.startsWith('/assets/')) return sendFile(web.distDir, pathname, response, true);
  if (pathname === '/finance' || pathname.startsWith('/finance/')) {
    return sendFile(web.distDir, '/finance/index.html', response, false);
  }
  if (pathname === '/' || pathname === '/index.html' || pathname === '/callback') {
    return sendFile(web.distDir, '/index.html', response, false);
  }
  return false;
}

function authConfig(web: WebOptions) {
  if (web.devSignIn) return { mode: 'development', users: web.devSignIn.users };
  if (web.oidc) return { mode: 'oidc', ...web.oidc };
  return { mode: 'none' };
}

async function devToken(signIn: DevSignIn, request: IncomingMessage, response: ServerResponse) {
  // JSON only: an HTML form cannot send it, so another site cannot sign a browser in.
  if (
    request.method !== 'POST' ||
    !/^application\/json/i.test(request.headers['content-type'] ?? '')
  ) {
    return sendJson(response, 400, { error: 'POST a JSON body { kind, id }' });
  }
  let body: { kind?: unknown; id?: unknown };
  try {
    body = JSON.parse(await readSmallBody(request));
  } catch {
    return sendJson(response, 400, { error: 'Malformed JSON body' });
  }
  const issued = await signIn.issue(body.kind, body.id);
  if (!issued) return sendJson(response, 403, { error: 'Not a development user' });
  response.setHeader('cache-control', 'no-store');
  sendJson(response, 200, issued);
}

function readSmallBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > signInBodyBytesMax) request.destroy(new Error('body too large'));
    });
    request.on('end', () => resolvePromise(text));
    request.on('error', reject);
  });
}

function sendFile(distDir: string, path: string, response: ServerResponse, immutable: boolean) {
  const root = resolve(distDir);
  const file = normalize(join(root, decodeURIComponent(path)));
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
    if (immutable) return false;
    response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('The web apps are not built: run `npm run web:build`.\n');
    return true;
  }
  response.writeHead(200, {
    'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
    'content-length': statSync(file).size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'content-security-policy':
      "default-src 'self'; connect-src 'self' https:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self' https:",
    'referrer-policy': 'no-referrer',
  });
  createReadStream(file).pipe(response);
  return true;
}
