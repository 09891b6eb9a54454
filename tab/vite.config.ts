import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The tabs build to static files in `dist/tab`, which the server serves at `/`. File names carry a
 * content hash under `assets/`, so the server can cache them forever and `index.html` not at all.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/tab', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `vite` during development: the API is the Portier server on its usual port.
    proxy: { '/graph': 'http://127.0.0.1:3978', '/api': 'http://127.0.0.1:3978' },
  },
});
