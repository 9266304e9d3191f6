import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../shared/i18n';
import { AppShell } from '../shared/shell';
import '../shared/styles.css';
import { FinanceApp } from './FinanceApp';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <AppShell app="finance" title="financeTitle">
        <FinanceApp />
      </AppShell>
    </I18nProvider>
  </StrictMode>,
);
