import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Provider } from 'urql';
import {
  type AppName,
  type AuthConfig,
  type DevUser,
  devSignIn,
  finishOidcSignIn,
  loadAuthConfig,
  renewInMs,
  renewSession,
  type Session,
  startOidcSignIn,
  storedSession,
  storeSession,
} from './auth';
import { createGraphQLClient } from './client';
import { ErrorNotice, Loading, Shell } from './components';
import { useI18n } from './i18n';

export interface SignedIn {
  session: Session;
  signOut(): void;
}

/**
 * Signs the person in (or shows how), keeps the session renewed, and gives the app a GraphQL
 * client with its token. `kind` is who this app is for: members or finance users.
 */
export function SessionGate(props: {
  app: AppName;
  kind: DevUser['kind'];
  title: string;
  children: (signedIn: SignedIn) => ReactNode;
}) {
  const { t } = useI18n();
  const [config, setConfig] = useState<AuthConfig>();
  const [session, setSession] = useState<Session | undefined>(() => storedSession(props.app));
  const [error, setError] = useState<string>();
  const tokenRef = useRef(session?.token ?? '');
  tokenRef.current = session?.token ?? '';

  const update = useCallback(
    (next: Session | undefined) => {
      storeSession(props.app, next);
      setSession(next);
    },
    [props.app],
  );

  useEffect(() => {
    loadAuthConfig()
      .then(async (loaded) => {
        setConfig(loaded);
        const callback = /\/callback$/.test(location.pathname);
        if (callback && loaded.mode === 'oidc') update(await finishOidcSignIn(props.app, loaded));
      })
      .catch((failure: Error) => setError(failure.message));
  }, [props.app, update]);

  // Renew before the token expires; a failed renewal signs out (the next call would get 401).
  useEffect(() => {
    if (!session || !config) return;
    const timer = setTimeout(() => {
      renewSession(config, session)
        .then(update)
        .catch(() => update(undefined));
    }, renewInMs(session));
    return () => clearTimeout(timer);
  }, [config, session, update]);

  const signOut = useCallback(() => update(undefined), [update]);
  // A new client per person (nothing cached for one is shown to the next), kept across renewals.
  const person = session ? `${session.user.kind}:${session.user.id}` : undefined;
  const client = useMemo(
    () => (person ? createGraphQLClient(() => tokenRef.current, signOut) : undefined),
    [person, signOut],
  );

  if (session && client) {
    return <Provider value={client}>{props.children({ session, signOut })}</Provider>;
  }
  return (
    <Shell title={props.title} nav={[]} route="">
      <h1>{t('signIn.title')}</h1>
      <ErrorNotice message={error} />
      {!config && !error && <Loading />}
      {config && (
        <SignInChoices
          app={props.app}
          kind={props.kind}
          config={config}
          onSignedIn={update}
          onError={setError}
        />
      )}
    </Shell>
  );
}

function SignInChoices(props: {
  app: AppName;
  kind: DevUser['kind'];
  config: AuthConfig;
  onSignedIn(session: Session): void;
  onError(message: string): void;
}) {
  const { t } = useI18n();
  const { config } = props;
  if (config.mode === 'oidc') {
    return (
      <button
        type="button"
        className="primary"
        onClick={() =>
          startOidcSignIn(props.app, config).catch((e: Error) => props.onError(e.message))
        }
      >
        {t('signIn.withProvider')}
      </button>
    );
  }
  if (config.mode === 'none') return <p>{t('signIn.notConfigured')}</p>;
  const users = config.users.filter((user) => user.kind === props.kind);
  return (
    <section aria-labelledby="dev-users">
      <h2 id="dev-users">{t('signIn.development')}</h2>
      <p className="muted">{t('signIn.developmentHint')}</p>
      <ul className="choices">
        {users.map((user) => (
          <li key={user.id}>
            <button
              type="button"
              onClick={() =>
                devSignIn(user)
                  .then(props.onSignedIn)
                  .catch((e: Error) => props.onError(e.message))
              }
            >
              {t('signIn.as', { name: user.name })}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
