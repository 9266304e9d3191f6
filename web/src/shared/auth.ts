/**
 * Sign-in for both apps. In development the gateway mints tokens for demo users
 * (`POST /auth/dev/token`); in production the coalition's identity provider does, through
 * OpenID Connect's authorization code flow with PKCE (a public client: the verifier, not a
 * secret, proves the code is ours). Tokens live in sessionStorage, per tab, and are renewed a
 * minute before they expire.
 */
export type AppKind = 'member' | 'finance';

export interface DevUser {
  kind: AppKind;
  id: string;
  name: string;
}

export type AuthConfig =
  | { mode: 'development'; users: DevUser[] }
  | { mode: 'oidc'; issuer: string; clientId: string; scopes: string; audience?: string }
  | { mode: 'none' };

export interface Session {
  token: string;
  expiresAtMs: number;
  /** Who signed in: a dev user's name, or the provider's subject. */
  name: string;
  renew: { kind: 'dev'; user: DevUser } | { kind: 'oidc'; refreshToken: string | null };
}

const sessionKey = (app: AppKind) => `coalition.session.${app}`;
const pkceKey = 'coalition.oidc.pending';
export const renewBeforeMs = 60_000;

export class SignInError extends Error {
  override readonly name = 'SignInError';
}

export async function authConfig(): Promise<AuthConfig> {
  const response = await fetch('/auth/config');
  if (!response.ok)
    throw new SignInError(`The gateway did not say how to sign in (${response.status})`);
  return (await response.json()) as AuthConfig;
}

export function storedSession(app: AppKind): Session | null {
  const text = sessionStorage.getItem(sessionKey(app));
  if (!text) return null;
  const session = JSON.parse(text) as Session;
  return session.expiresAtMs > Date.now() ? session : null;
}

export function storeSession(app: AppKind, session: Session | null): void {
  if (session) sessionStorage.setItem(sessionKey(app), JSON.stringify(session));
  else sessionStorage.removeItem(sessionKey(app));
}

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
  if (!response.ok || !body.token)
    throw new SignInError(body.error ?? `Sign-in refused (${response.status})`);
  return {
    token: body.token,
    expiresAtMs: Date.now() + (body.expiresInSeconds ?? 3600) * 1000,
    name: user.name,
    renew: { kind: 'dev', user },
  };
}

/** A fresh token for the same person, or null when they must sign in again. */
export async function renew(config: AuthConfig, session: Session): Promise<Session | null> {
  if (session.renew.kind === 'dev') return devSignIn(session.renew.user);
  if (config.mode !== 'oidc' || !session.renew.refreshToken) return null;
  const endpoints = await discover(config.issuer);
  return tokenRequest(endpoints.token_endpoint, {
    grant_type: 'refresh_token',
    refresh_token: session.renew.refreshToken,
    client_id: config.clientId,
  });
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok)
    throw new SignInError(`The identity provider is unreachable (${response.status})`);
  return (await response.json()) as Discovery;
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function redirectUri(): string {
  return `${location.origin}${location.pathname}`;
}

/** Sends the browser to the provider; it comes back to this page with `code` and `state`. */
export async function beginOidcSignIn(
  config: Extract<AuthConfig, { mode: 'oidc' }>,
): Promise<void> {
  const endpoints = await discover(config.issuer);
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(pkceKey, JSON.stringify({ verifier, state }));
  const url = new URL(endpoints.authorization_endpoint);
  const parameters: Record<string, string> = {
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scopes.includes('openid') ? config.scopes : `openid ${config.scopes}`,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  if (config.audience) parameters.audience = config.audience;
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  location.assign(url.toString());
}

/** Completes a sign-in when the page was opened by the provider's redirect; null otherwise. */
export async function completeOidcSignIn(config: AuthConfig): Promise<Session | null> {
  const parameters = new URLSearchParams(location.search);
  const code = parameters.get('code');
  if (config.mode !== 'oidc' || !code) return null;
  const pending = JSON.parse(sessionStorage.getItem(pkceKey) ?? 'null') as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(pkceKey);
  history.replaceState(null, '', location.pathname);
  if (!pending || pending.state !== parameters.get('state')) {
    throw new SignInError('The sign-in answer does not match the request: sign in again');
  }
  const endpoints = await discover(config.issuer);
  return tokenRequest(endpoints.token_endpoint, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri(),
    client_id: config.clientId,
    code_verifier: pending.verifier,
  });
}

async function tokenRequest(endpoint: string, form: Record<string, string>): Promise<Session> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const body = (await response.json()) as {
    access_token?: string;
    expires_in?: number;
    refresh_token?: string;
    error_description?: string;
  };
  if (!response.ok || !body.access_token) {
    throw new SignInError(
      body.error_description ?? `The identity provider refused (${response.status})`,
    );
  }
  const claims = JSON.parse(
    atob(body.access_token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')),
  ) as {
    sub?: string;
  };
  return {
    token: body.access_token,
    expiresAtMs: Date.now() + (body.expires_in ?? 300) * 1000,
    name: claims.sub ?? '',
    renew: { kind: 'oidc', refreshToken: body.refresh_token ?? null },
  };
}
