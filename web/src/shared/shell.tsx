import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Provider } from 'urql';
import {
  type AppKind,
  type AuthConfig,
  authConfig,
  beginOidcSignIn,
  completeOidcSignIn,
  devSignIn,
  renew,
  renewBeforeMs,
  type Session,
  storedSession,
  storeSession,
} from './auth';
import { graphqlClient } from './client';
import { ErrorMessage } from './errors';
import { LanguageSelect, type MessageKey, useI18n } from './i18n';

/**
 * What both apps share: sign-in (development users or the identity provider), the token's
 * renewal, the GraphQL client, the language switch and sign-out.
 */
export function AppShell({
  app,
  title,
  children,
}: {
  app: AppKind;
  title: MessageKey;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [session, setSession] = useState<Session | null>(() => storedSession(app));
  const [failure, setFailure] = useState<Error | null>(null);
  const tokenRef = useRef<string | null>(session?.token ?? null);
  tokenRef.current = session?.token ?? null;
  const client = useMemo(() => graphqlClient(() => tokenRef.current), []);

  const signedIn = useCallback(
    (next: Session | null) => {
      storeSession(app, next);
      setSession(next);
    },
    [app],
  );

  useEffect(() => {
    authConfig()
      .then(async (loaded) => {
        setConfig(loaded);
        const completed = await completeOidcSignIn(loaded);
        if (completed) signedIn(completed);
      })
      .catch(setFailure);
  }, [signedIn]);

  // Renew a minute before the token expires; sign out when it cannot be renewed.
  useEffect(() => {
    if (!session || !config) return;
    const timer = setTimeout(
      () => {
        renew(config, session)
          .then(signedIn)
          .catch(() => signedIn(null));
      },
      Math.max(0, session.expiresAtMs - Date.now() - renewBeforeMs),
    );
    return () => clearTimeout(timer);
  }, [session, config, signedIn]);

  return (
    <>
      <header className="top">
        <h1>{t(title)}</h1>
        <div className="top-actions">
          <LanguageSelect />
          {session && (
            <button type="button" onClick={() => signedIn(null)}>
              {t('signOut')} ({session.name})
            </button>
          )}
        </div>
      </header>
      <main>
        <ErrorMessage error={failure} />
        {session ? (
          <Provider value={client}>{children}</Provider>
        ) : config ? (
          <SignIn app={app} config={config} onSession={signedIn} onError={setFailure} />
        ) : (
          !failure && <p>{t('loading')}</p>
        )}
      </main>
    </>
  );
}

function SignIn({
  app,
  config,
  onSession,
  onError,
}: {
  app: AppKind;
  config: AuthConfig;
  onSession: (session: Session) => void;
  onError: (error: Error) => void;
}) {
  const { t } = useI18n();
  if (config.mode === 'oidc') {
    return (
      <section aria-labelledby="sign-in">
        <h2 id="sign-in">{t('signIn')}</h2>
        <button type="button" onClick={() => beginOidcSignIn(config).catch(onError)}>
          {t('signInWithProvider')}
        </button>
      </section>
    );
  }
  if (config.mode !== 'development') return <ErrorMessage error="No sign-in is configured" />;
  return (
    <section aria-labelledby="sign-in">
      <h2 id="sign-in">{t('signIn')}</h2>
      <p>{t('devSignInNote')}</p>
      <ul className="users">
        {config.users
          .filter((user) => user.kind === app)
          .map((user) => (
            <li key={user.id}>
              <button type="button" onClick={() => devSignIn(user).then(onSession).catch(onError)}>
                {t('signInAs')} {user.name}
              </button>
            </li>
          ))}
      </ul>
    </section>
  );
}
