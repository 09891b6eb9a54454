import type Restify from 'restify';

/**
 * restify, loaded without the deprecation warning (DEP0111) that its HTTP/2 dependency (spdy → http-deceiver)
 * triggers by reaching for `process.binding('http_parser')`: harmless, not ours to fix, and only noise for
 * someone starting Portier. Only that warning and only while restify loads; every other warning goes through.
 */
function loadRestify(): typeof Restify {
  const emitWarning = process.emitWarning;
  process.emitWarning = function withoutDep0111(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    // emitWarning(warning, type, code) or emitWarning(warning, { type, code })
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: unknown }).code : rest[1];
    if (code === 'DEP0111') return;
    (emitWarning as (this: NodeJS.Process, ...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return require('restify') as typeof Restify;
  } finally {
    process.emitWarning = emitWarning;
  }
}

export const restify = loadRestify();
