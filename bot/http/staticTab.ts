import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Serves the built tabs (`dist/tab`, made by `vite build`) at `/`. Vite names every asset by its
 * content hash, so `/assets/*` is cached for a year as immutable; `index.html` must be revalidated
 * each time (`no-cache` + ETag) so a deployment is picked up at once. Any other page path gets
 * `index.html` (the tabs route by hash, but Teams and people may add a path). Compressible files
 * are gzipped once and kept in memory: the bundle is small and fixed for the process's life.
 */
export interface StaticTab {
  /** Answers a GET/HEAD for `path` (without query); false when the request is not for the tab. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** Whether a built tab was found. */
  readonly available: boolean;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const compressible = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

interface CachedFile {
  body: Buffer;
  gzip?: Buffer;
  etag: string;
  type: string;
}

/** The tab directory next to the compiled server (`dist/bot` → `dist/tab`) or the source's (`bot` → `dist/tab`). */
export function defaultTabDirectory(serverDir: string): string {
  // Never `<project>/tab` itself: that is the source, whose index.html points at .tsx files.
  const project = dirname(serverDir);
  return basename(project) === 'dist' ? join(project, 'tab') : join(project, 'dist', 'tab');
}

export function staticTab(directory: string): StaticTab {
  const root = resolve(directory);
  const cache = new Map<string, CachedFile | null>();

  const load = (file: string): CachedFile | null => {
    if (cache.has(file)) return cache.get(file) ?? null;
    let entry: CachedFile | null = null;
    try {
      if (statSync(file).isFile()) {
        const body = readFileSync(file);
        const ext = extname(file);
        entry = {
          body,
          gzip: compressible.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined,
          etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
          type: contentTypes[ext] ?? 'application/octet-stream',
        };
      }
    } catch {
      entry = null;
    }
    cache.set(file, entry);
    return entry;
  };

  const reply = (req: IncomingMessage, res: ServerResponse, file: CachedFile, cacheControl: string) => {
    res.setHeader('Content-Type', file.type);
    res.setHeader('Cache-Control', cacheControl);
    res.setHeader('ETag', file.etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === file.etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    const gzip = file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? (file.gzip as Buffer) : file.body;
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', body.length);
    res.statusCode = 200;
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return {
    get available() {
      return load(join(root, 'index.html')) !== null;
    },
    serve(req, res, path) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        return false;
      }
      const target = normalize(join(root, decoded));
      if (target !== root && !target.startsWith(root + sep)) return false;
      const isAsset = decoded.startsWith('/assets/');
      const file = decoded === '/' || decoded === '/index.html' ? null : load(target);
      if (file) {
        reply(req, res, file, isAsset ? 'public, max-age=31536000, immutable' : 'no-cache');
        return true;
      }
      // A missing hashed asset is a 404, never index.html: a browser would run HTML as a script.
      if (isAsset || extname(decoded) !== '') return false;
      const index = load(join(root, 'index.html'));
      if (!index) return false;
      reply(req, res, index, 'no-cache');
      return true;
    },
  };
}
