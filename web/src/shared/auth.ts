/**
 * Signing in, for both apps. The gateway says how (`GET /auth/config`):
 * - development: a list of demo users; `POST /auth/dev/token` mints a token for one of them
 *   with the gateway's development key (the route does not exist in production);
 * - oidc: the coalition's identity provider, authorization code with PKCE (a public client:
 *   no secret in the browser); its access token goes to /graphql like any other.
 * The session lives in sessionStorage (gone with the tab) and is renewed before it expires:
 * a new development token, or the provider's refresh token.
 */

export type AppName = 'wallet' | 'finance';

export interface DevUser {
  kind: 'member' | 'finance';
  id: string;
  name: string;
}

export type AuthConfig =
  | { mode: 'development'; users: DevUser[] }
  | { mode: 'oidc'; issuer: string; clientId: string; scopes: string; audience?: string }
  | { mode: 'none' };

export interface Session {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** Who signed in: a development user, or the provider's subject. */
  user: { kind: string; id: string; name: string };
  /** The provider's refresh token (OIDC only). */
  refreshToken?: string;
}

const sessionKey = (app: AppName) => `coalition.session.${app}`;
const pkceKey = (app: AppName) => `coalition.pkce.${app}`;
/** Renew this long before the token expires. */
const renewBeforeMs = 60_000;

export async function loadAuthConfig(): Promise<AuthConfig> {
  const response = await fetch('/auth/config');
  if (!response.ok) throw new Error(`Sign-in settings unavailable (${response.status})`);
  return (await response.json()) as AuthConfig;
}

export function storedSession(app: AppName): Session | undefined {
  const text = sessionStorage.getItem(sessionKey(app));
  if (!text) return undefined;
  const session = JSON.parse(text) as Session;
  return session.expiresAt > Date.now() ? session : undefined;
}

export function storeSession(app: AppName, session: Session | undefined): void {
  if (session) sessionStorage.setItem(sessionKey(app), JSON.stringify(session));
  else sessionStorage.removeItem(sessionKey(app));
}

/** A development token for a demo user. */
export async function devSignIn(user: DevUser): Promise<Session> {
  const response = await fetch('/auth/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: user.kind, id: user.id }),
  });
  const body = (await response.json()) as {
    token?: string;
    expiresInSeconds?: number;
    error?: string;
  };
  if (!response.ok || !body.token || !body.expiresInSeconds) {
    throw new Error(body.error ?? `Sign-in refused (${response.status})`);
  }
  return {
    token: body.token,
    expiresAt: Date.now() + body.expiresInSeconds * 1000,
    user: { kind: user.kind, id: user.id, name: user.name },
  };
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`Identity provider unavailable (${response.status})`);
  return (await response.json()) as Discovery;
}

function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export function redirectUri(app: AppName): string {
  return `${location.origin}${app === 'finance' ? '/finance/callback' : '/callback'}`;
}

/** Sends the browser to the provider; it comes back to redirectUri with a code. */
export async function startOidcSignIn(
  app: AppName,
  config: Extract<AuthConfig, { mode: 'oidc' }>,
): Promise<void> {
  const discovery = await discover(config.issuer);
  const verifier = randomText();
  const state = randomText();
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(pkceKey(app), JSON.stringify({ verifier, state }));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(app),
    scope: config.scopes.includes('openid') ? config.scopes : `openid ${config.scopes}`,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(config.audience ? { audience: config.audience } : {}),
  }).toString();
  location.assign(url.toString());
}

interface TokenResponse {
  access_token: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
}

async function tokenRequest(
  config: Extract<AuthConfig, { mode: 'oidc' }>,
  parameters: Record<string, string>,
): Promise<TokenResponse> {
  const discovery = await discover(config.issuer);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.clientId, ...parameters }),
  });
  const body = (await response.json()) as TokenResponse & { error_description?: string };
  if (!response.ok) throw new Error(body.error_description ?? 'The identity provider refused');
  return body;
}

function sessionFrom(tokens: TokenResponse, previous?: Session): Session {
  const claims = JSON.parse(
    atob(
      (tokens.id_token ?? tokens.access_token).split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'),
    ),
  ) as { sub?: string; name?: string; email?: string };
  return {
    token: tokens.access_token,
    expiresAt: Date.now() + (tokens.expires_in ?? 300) * 1000,
    user: previous?.user ?? {
      kind: 'oidc',
      id: claims.sub ?? '',
      name: claims.name ?? claims.email ?? claims.sub ?? '',
    },
    refreshToken: tokens.refresh_token ?? previous?.refreshToken,
  };
}

/** Completes the provider's redirect: checks the state, trades the code for tokens. */
export async function finishOidcSignIn(
  app: AppName,
  config: Extract<AuthConfig, { mode: 'oidc' }>,
): Promise<Session> {
  const parameters = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(pkceKey(app)) ?? 'null') as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(pkceKey(app));
  const error = parameters.get('error');
  if (error) throw new Error(parameters.get('error_description') ?? error);
  if (!pending || parameters.get('state') !== pending.state) {
    throw new Error('The sign-in answer does not match this browser’s request; sign in again');
  }
  const tokens = await tokenRequest(config, {
    grant_type: 'authorization_code',
    code: parameters.get('code') ?? '',
    redirect_uri: redirectUri(app),
    code_verifier: pending.verifier,
  });
  history.replaceState(null, '', app === 'finance' ? '/finance' : '/');
  return sessionFrom(tokens);
}

/** A fresh session before this one expires; undefined when it cannot be renewed. */
export async function renewSession(
  config: AuthConfig,
  session: Session,
): Promise<Session | undefined> {
  if (config.mode === 'development') {
    const user = config.users.find(
      (candidate) => candidate.kind === session.user.kind && candidate.id === session.user.id,
    );
    return user ? devSignIn(user) : undefined;
  }
  if (config.mode === 'oidc' && session.refreshToken) {
    const tokens = await tokenRequest(config, {
      grant_type: 'refresh_token',
      refresh_token: session.refreshToken,
    });
    return sessionFrom(tokens, session);
  }
  return undefined;
}

/** Milliseconds until the session should be renewed. */
export function renewInMs(session: Session): number {
  return Math.max(0, session.expiresAt - Date.now() - renewBeforeMs);
}
