import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../shared/i18n';
import '../shared/styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <main id="main">Finance console</main>
    </I18nProvider>
  </StrictMode>,
);
