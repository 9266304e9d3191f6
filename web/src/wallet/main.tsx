import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider, useI18n } from '../shared/i18n';
import { SessionGate } from '../shared/session';
import '../shared/styles.css';
import { WalletApp } from './App';

function Root() {
  const { t } = useI18n();
  return (
    <SessionGate app="wallet" kind="member" title={t('wallet.title')}>
      {(signedIn) => <WalletApp {...signedIn} />}
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
