import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * Two apps, one build: the member wallet (index.html, served at /) and the finance console
 * (finance/index.html, served at /finance). The gateway serves web/dist itself.
 */
const webDir = dirname(fileURLToPath(import.meta.url));

/**
 * Writes a gzip copy beside each hashed asset; the gateway sends it to browsers that accept
 * gzip, so the first load ships the compressed size without compressing per request.
 */
function precompress(): Plugin {
  return {
    name: 'precompress',
    apply: 'build',
    closeBundle() {
      const assets = join(webDir, 'dist', 'assets');
      for (const name of readdirSync(assets)) {
        if (!/\.(js|css)$/.test(name)) continue;
        const file = join(assets, name);
        writeFileSync(
          `${file}.gz`,
          gzipSync(readFileSync(file), { level: constants.Z_BEST_COMPRESSION }),
        );
      }
    },
  };
}

export default defineConfig({
  plugins: [precompress()],
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
