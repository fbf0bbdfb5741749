import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

const apiTarget = process.env.QD_API_URL ?? `http://127.0.0.1:${process.env.QD_API_PORT ?? '3002'}`;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue()],
  resolve: { alias: { '@domain': fileURLToPath(new URL('../domain', import.meta.url)) } },
  server: {
    port: Number(process.env.QD_WEB_PORT ?? 3001),
    strictPort: true,
    proxy: { '/v1': apiTarget, '/health': apiTarget, '/socket.io': { target: apiTarget, ws: true } },
  },
  preview: { port: Number(process.env.QD_WEB_PORT ?? 3001), strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true },
});
