import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const API = process.env.ANANA_API_URL ?? 'http://127.0.0.1:4000';

/** Dev: `npm run dev:web` proxies the API (HTTP, SSE and WebSocket) to the server, so the console runs on one origin as in production. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1_000,
  },
  server: {
    port: 5173,
    proxy: { '/graphql': { target: API, ws: true } },
  },
  preview: {
    proxy: { '/graphql': { target: API, ws: true } },
  },
});
