import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider, useI18n } from '../shared/i18n';
import { SessionGate } from '../shared/session';
import '../shared/styles.css';
import { FinanceApp } from './App';

function Root() {
  const { t } = useI18n();
  return (
    <SessionGate app="finance" kind="finance" title={t('finance.title')}>
      {(signedIn) => <FinanceApp {...signedIn} />}
    </SessionGate>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <Root />
    </I18nProvider>
  </StrictMode>,
);
