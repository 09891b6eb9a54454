import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import type { OutputBundle, OutputChunk } from 'rollup';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * `main.tsx` starts sign-in and the first page's requests, then imports the app (`app/start.tsx`:
 * React, Fluent, the pages). Vite would ask for that code only when the import runs: index.html
 * preloads it (`modulepreload`: fetched and compiled beside the entry), and on a direct link to a
 * package (`#/access-packages/…`, known only in the browser) a small inline script preloads the
 * package page's code too.
 */
function preloadApp(): Plugin {
  const appModule = /\/src\/app\/start\.tsx$/;
  const packagePageModule = /\/src\/myaccess\/PackagePage\.tsx$/;
  return {
    name: 'portier-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        const bundle = context.bundle as OutputBundle | undefined;
        if (!bundle) return [];
        const chunks = Object.values(bundle).filter((c): c is OutputChunk => c.type === 'chunk');
        const chunkOf = (module: RegExp) => {
          // Rollup names no facade module for some dynamic entries: their chunk is the one holding the module.
          const chunk = chunks.find((c) => c.isDynamicEntry && (c.facadeModuleId ? module.test(c.facadeModuleId) : c.moduleIds.some((id) => module.test(id))));
          if (!chunk) throw new Error(`no chunk of its own for ${module.source}: the preloads would miss it`);
          return chunk;
        };
        // A chunk and the chunks it imports, less those already there.
        const withImports = (chunk: OutputChunk, known: Set<string>) => {
          const files: string[] = [];
          const visit = (file: string) => {
            const c = bundle[file] as OutputChunk | undefined;
            if (!c || c.isEntry || known.has(file)) return;
            known.add(file);
            files.push(`/${file}`);
            c.imports.forEach(visit);
          };
          visit(chunk.fileName);
          return files;
        };
        const known = new Set<string>();
        const app = withImports(chunkOf(appModule), known);
        const packagePage = withImports(chunkOf(packagePageModule), known);
        const link = (href: string) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href }, injectTo: 'head' as const });
        const onDirectLink =
          `if (/^#\\/access-packages\\//.test(location.hash)) for (const href of ${JSON.stringify(packagePage)}) ` +
          `document.head.appendChild(Object.assign(document.createElement('link'), { rel: 'modulepreload', crossOrigin: '', href }));`;
        return [...app.map(link), { tag: 'script', children: onDirectLink, injectTo: 'head' as const }];
      },
    },
  };
}

/**
 * The tabs build to static files in `dist/tab`, which the server serves at `/`. File names carry a
 * content hash under `assets/`, so the server can cache them forever and `index.html` not at all.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react(), preloadApp()],
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
