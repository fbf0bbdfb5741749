import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

const apiTarget = process.env.QD_API_URL ?? `http://127.0.0.1:${process.env.QD_API_PORT ?? '3002'}`;
// The API behind the terminal's own origin, in development and in `vite preview` (docker-compose).
const proxy = { '/v1': apiTarget, '/health': apiTarget, '/socket.io': { target: apiTarget, ws: true } };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue()],
  resolve: {
    alias: {
      '@domain': fileURLToPath(new URL('../domain', import.meta.url)),
      '@solana-client': fileURLToPath(new URL('../solana', import.meta.url)),
    },
  },
  // web3.js and the order encoding use Node's Buffer; the browser gets the `buffer` package (src/main.ts).
  define: { global: 'globalThis' },
  server: {
    port: Number(process.env.QD_WEB_PORT ?? 3001),
    strictPort: true,
    proxy,
  },
  preview: { port: Number(process.env.QD_WEB_PORT ?? 3001), strictPort: true, proxy },
  build: { outDir: 'dist', emptyOutDir: true },
});
