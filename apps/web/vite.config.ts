import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard's build: `apps/web/dist`, served by `autonoma serve` at `/` (api/dashboard.ts). The
 * manifest lets bench/web/bundle-size.ts measure what a first load fetches. `npm run dev -w apps/web`
 * proxies `/v1` to a local `autonoma serve` (AUTONOMA_SERVER, default http://127.0.0.1:8080).
 */
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    // The server's CSP allows no inline script, so nothing may be inlined as a data: module either.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: { '/v1': { target: process.env['AUTONOMA_SERVER'] ?? 'http://127.0.0.1:8080', ws: true } },
  },
});
