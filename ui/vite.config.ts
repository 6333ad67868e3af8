import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `npm run dev` proxies /api to a running `coffer serve` (COFFER_DEV_API, default
// http://127.0.0.1:8421), so the browser transport works same-origin.
const api = process.env.COFFER_DEV_API ?? 'http://127.0.0.1:8421';
const proxy = { '/api': { target: api, changeOrigin: false } };
// The desktop app's CSP: `vite preview` sends it, so a build is tried under it.
const csp =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
  "connect-src 'self' ipc: http://ipc.localhost";

export default defineConfig({
  base: './',
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    proxy,
  },
  preview: {
    port: 4173,
    strictPort: true,
    proxy,
    headers: { 'Content-Security-Policy': csp },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The CSP forbids inline scripts: keep every asset a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
