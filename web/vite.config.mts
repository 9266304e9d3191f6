import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two pages, one build: the member wallet at / and the finance console at /finance/. The gateway
// serves web/dist itself (gateway/http/web.ts), so there is no second server in production;
// `npm run web:dev` proxies /graphql and /auth to a running gateway for quick edits.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        wallet: resolve(import.meta.dirname, 'index.html'),
        finance: resolve(import.meta.dirname, 'finance/index.html'),
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/graphql': 'http://127.0.0.1:4000', '/auth': 'http://127.0.0.1:4000' },
  },
});
