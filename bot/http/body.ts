import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../domain/errors';
import { assertStorableText } from './text';

export const maxBodyBytes = 1024 * 1024;

const malformed = () => new ValidationError('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', undefined, 'BadRequest');

/**
 * Reads a JSON request body, refusing more than 1 MB (413) before buffering it all; a body that is
 * not `application/json` (415), not UTF-8, not JSON, with a key twice in one object (JSON.parse
 * would keep the last one silently, so two readers could see different bodies), or with text no
 * database can store (400). An empty body is `undefined`.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBodyBytes) {
    req.resume();
    throw new PayloadTooLargeError(`The request body is larger than ${maxBodyBytes} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > maxBodyBytes) throw new PayloadTooLargeError(`The request body is larger than ${maxBodyBytes} bytes.`);
    chunks.push(buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.toString('latin1').trim() === '') return undefined;
  checkContentType(req.headers['content-type']);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
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
  assertStorableText(value, 'request body');
  return value;
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
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{') {
      scopes.push(new Set());
      i++;
    } else if (ch === '[') {
      scopes.push(null);
      i++;
    } else if (ch === '}' || ch === ']') {
      scopes.pop();
      i++;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const literal = text.slice(i, j + 1);
      i = j + 1;
      while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
      const scope = scopes.at(-1);
      if (text[i] === ':' && scope) {
        const key = JSON.parse(literal) as string;
        if (scope.has(key)) return key;
        scope.add(key);
      }
    } else {
      i++;
    }
  }
  return null;
}
