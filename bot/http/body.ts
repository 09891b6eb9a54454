import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError, ValidationError } from '../domain/errors';

export const maxBodyBytes = 1024 * 1024;

/**
 * Reads a JSON request body, refusing more than 1 MB (413) before buffering it all, and malformed
 * JSON (400). An empty body is `undefined`.
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
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  const contentType = String(req.headers['content-type'] ?? 'application/json').toLowerCase();
  if (!contentType.includes('json')) throw new ValidationError(`Content-Type '${contentType}' is not supported; send application/json.`, undefined, 'BadRequest');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', undefined, 'BadRequest');
  }
}
