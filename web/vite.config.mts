import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Two apps, one build: the member wallet (index.html, served at /) and the finance console
 * (finance/index.html, served at /finance). The gateway serves web/dist itself.
 */
const webDir = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: webDir,
  base: '/',
  build: {
    outDir: resolve(webDir, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        wallet: resolve(webDir, 'index.html'),
        finance: resolve(webDir, 'finance/index.html'),
      },
    },
  },
  logLevel: 'warn',
});
