import type { ReactNode } from 'react';
import { type Locale, locales, useI18n } from './i18n';

/** A failure, announced and shown: never a blank page. */
export function ErrorNotice({ message }: { message: string | undefined }) {
  const { t } = useI18n();
  if (!message) return null;
  return (
    <div className="notice error" role="alert">
      <strong>{t('error.title')}</strong> {message}
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="muted" role="status">
      {t('common.loading')}
    </p>
  );
}

export function LanguageSelect() {
  const { t, locale, setLocale } = useI18n();
  return (
    <span className="language">
      <label htmlFor="language">{t('common.language')}</label>
      <select
        id="language"
        value={locale}
        onChange={(event) => setLocale(event.target.value as Locale)}
      >
        {locales.map((option) => (
          <option key={option.code} value={option.code} lang={option.code}>
            {option.name}
          </option>
        ))}
      </select>
    </span>
  );
}

export interface NavItem {
  route: string;
  label: string;
}

/** The page frame: a header with the app's name, the pages, the language and who is signed in. */
export function Shell(props: {
  title: string;
  nav: NavItem[];
  route: string;
  userName?: string;
  onSignOut?: () => void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <>
      <a className="skip" href="#main">
        {t('common.skipToContent')}
      </a>
      <header className="top">
        <span className="brand">{props.title}</span>
        <div className="top-actions">
          <LanguageSelect />
          {props.onSignOut && (
            <button type="button" className="link" onClick={props.onSignOut}>
              {t('common.signOut', { name: props.userName ?? '' })}
            </button>
          )}
        </div>
      </header>
      {props.nav.length > 0 && (
        <nav aria-label={t('common.pages')} className="tabs">
          {props.nav.map((item) => (
            <a
              key={item.route}
              href={`#/${item.route}`}
              aria-current={props.route === item.route ? 'page' : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
      )}
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
