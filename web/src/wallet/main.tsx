import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../shared/i18n';
import { AppShell } from '../shared/shell';
import '../shared/styles.css';
import { WalletApp } from './WalletApp';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <AppShell app="member" title="walletTitle">
        <WalletApp />
      </AppShell>
    </I18nProvider>
  </StrictMode>,
);
