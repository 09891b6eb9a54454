import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../domain/errors';
import { assertStorableText } from './text';

export const maxBodyBytes = 1024 * 1024;

const malformed = () => new ValidationError('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', undefined, 'BadRequest');

/**
 * Where a request made inside this process (the bot's calls to the embedded Graph, `graph/inProcess.ts`) carries
 * its body: already bytes in memory, read without a stream.
 */
export const bodyInMemory = Symbol('bodyInMemory');

// One decoder for every body: `decode` without `stream` keeps no state between calls.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON request body, refusing more than 1 MB (413) before buffering it all; a body that is
 * not `application/json` (415), not UTF-8, not JSON, with a key twice in one object (JSON.parse
 * would keep the last one silently, so two readers could see different bodies), or with text no
 * database can store (400). An empty body is `undefined`.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const inMemory = (req as IncomingMessage & { [bodyInMemory]?: Buffer })[bodyInMemory];
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBodyBytes || (inMemory && inMemory.length > maxBodyBytes)) {
    if (!inMemory) req.resume();
    throw new PayloadTooLargeError(`The request body is larger than ${maxBodyBytes} bytes.`);
  }
  const bytes = inMemory ?? (await readAll(req));
  if (isBlank(bytes)) return undefined;
  checkContentType(req.headers['content-type']);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ValidationError('The request body is not valid UTF-8.', undefined, 'BadRequest');
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw malformed();
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) throw new ValidationError(`The request body names property '${duplicate}' more than once in one object.`, duplicate, 'BadRequest');
  // Strict UTF-8 holds no unpaired surrogate, and JSON allows no raw NUL in a string: without a `\u` escape in the
  // text, no string or key of the value can hold either, and walking them all would find nothing.
  if (text.includes('\\u')) assertStorableText(value, 'request body');
  return value;
}

/**
 * The whole body, by the stream's events (an async iterator costs more per request than the small bodies here); past
 * 1 MB the request is destroyed and refused (413), as leaving a `for await` over it would.
 */
function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on('data', (chunk: Buffer | string) => {
      if (settled) return;
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > maxBodyBytes) {
        fail(new PayloadTooLargeError(`The request body is larger than ${maxBodyBytes} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(buffer);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', fail);
    // Closed before its end (the caller went away): an error, as a `for await` over it would throw.
    req.on('close', () => fail(new Error('the request closed before its body ended')));
  });
}

/** Only whitespace as `String.prototype.trim` sees it in Latin-1 (tab, line breaks, space, no-break space), or nothing. */
function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (!(byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0)) return false;
  return true;
}

/** `application/json`, optionally with parameters (`charset` must then be UTF-8), as Graph expects. */
function checkContentType(header: string | undefined): void {
  const [mediaType, ...parameters] = String(header ?? '').split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') {
    throw new UnsupportedMediaTypeError(`Content-Type '${header ?? ''}' is not supported; send application/json.`);
  }
  for (const parameter of parameters) {
    const [name, raw] = parameter.split('=');
    const value = (raw ?? '').trim().replace(/^"|"$/g, '').toLowerCase();
    if (name.trim().toLowerCase() === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      throw new UnsupportedMediaTypeError(`Charset '${value}' is not supported; send UTF-8.`);
    }
  }
}

/**
 * The first key that appears twice in one object of `text` (valid JSON), or null. One pass over the
 * text: a string followed by `:` is a key of the innermost open object.
 */
export function findDuplicateKey(text: string): string | null {
  const scopes: Array<Set<string> | null> = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */) {
      scopes.push(new Set());
      i++;
    } else if (ch === 0x5b /* [ */) {
      scopes.push(null);
      i++;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      scopes.pop();
      i++;
    } else if (ch === 0x22 /* " */) {
      // The closing quote: the next one not escaped (preceded by an even number of backslashes).
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      const start = i;
      i = end + 1;
      while (i < length) {
        const c = text.charCodeAt(i);
        if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
        i++;
      }
      const scope = scopes.at(-1);
      if (text.charCodeAt(i) === 0x3a /* : */ && scope) {
        const raw = text.slice(start + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
        if (scope.has(key)) return key;
        scope.add(key);
      }
    } else {
      i++;
    }
  }
  return null;
}
