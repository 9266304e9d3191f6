/**
 * What the web apps need to sign people in with the coalition's identity provider (OpenID
 * Connect, authorization code with PKCE, a public client: no secret in the browser). The
 * provider's access tokens are verified like any other, with the keys in JWT_PUBLIC_JWKS.
 */
export interface OidcSettings {
  /** The provider's issuer URL; its discovery document is at `/.well-known/openid-configuration`. */
  issuer: string;
  /** The web apps' client id at the provider. */
  clientId: string;
  /** Scopes to ask for; `openid` always. */
  scopes: string;
  /** Sent as the `audience`/`resource` parameter when the provider needs it to pick the API. */
  audience: string | undefined;
}

/** OIDC_ISSUER and OIDC_CLIENT_ID turn it on; both or neither. */
export function loadOidcSettings(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = env.OIDC_ISSUER?.trim();
  const clientId = env.OIDC_CLIENT_ID?.trim();
  if (!issuer && !clientId) return undefined;
  if (!issuer || !clientId) throw new Error('OIDC_ISSUER and OIDC_CLIENT_ID go together');
  if (!/^https?:\/\//.test(issuer)) throw new Error('OIDC_ISSUER must be an http(s) URL');
  return {
    issuer: issuer.replace(/\/$/, ''),
    clientId,
    scopes: env.OIDC_SCOPES?.trim() || 'openid profile',
    audience: env.OIDC_AUDIENCE?.trim() || undefined,
  };
}
