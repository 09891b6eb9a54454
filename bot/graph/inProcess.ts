import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { bodyInMemory } from '../http/body';
import { headerRecord } from './client';

/**
 * Each in-process call is published here as `{ method, path }` (the benchmarks count the bot's Graph calls per
 * operation with it; with no subscriber, publishing costs a property check).
 */
export const graphCallsChannel = channel('portier:graph');

/** The embedded Graph's HTTP edge as a function (`serveGraph` with its dependencies). */
export type GraphHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Hands the Graph SDK's requests under `baseUrl` to the embedded Graph's own handler in this
 * process, without a socket: the same `serveGraph` the HTTP edge runs, with the same URL, method,
 * headers (the bearer token is checked as on the wire) and body, and its answer returned to the
 * SDK as a fetch `Response` (status, headers, body), so the SDK maps it exactly as it maps an HTTP
 * answer. Anything else (another host, a body that is not text or bytes) goes to the next
 * middleware, the SDK's HTTP handler. With Microsoft's Graph this middleware is simply not there.
 */
export class InProcessGraphHandler implements Middleware {
  private next: Middleware | undefined;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly serve: GraphHandler,
  ) {
    this.base = new URL(baseUrl);
  }

  async execute(context: Context): Promise<void> {
    const url = new URL(typeof context.request === 'string' ? context.request : context.request.url);
    const body = bodyBytes(context.options?.body);
    if (typeof context.request !== 'string' || url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname) || body === null) {
      if (!this.next) throw new Error('InProcessGraphHandler has no next middleware for this request');
      return this.next.execute(context);
    }
    const headers: Record<string, string> = {};
    // Names in lower case, as Node's HTTP server gives them to `serveGraph`.
    for (const [name, value] of Object.entries(headerRecord(context.options?.headers))) headers[name.toLowerCase()] = value;
    headers.host = url.host;
    if (body.length > 0) headers['content-length'] = String(body.length);
    // What `serveGraph` reads of a request, the body already in memory (`readJsonBody` takes it without a stream).
    const req = { method: (context.options?.method ?? 'GET').toUpperCase(), url: `${url.pathname}${url.search}`, headers, [bodyInMemory]: body } as unknown as IncomingMessage;
    if (graphCallsChannel.hasSubscribers) graphCallsChannel.publish({ method: req.method, path: url.pathname });
    const res = new CapturedResponse();
    // Reads go through the event loop, as a request over a socket would: a chain of in-process reads (SQLite
    // answers synchronously) would otherwise run on microtasks alone and keep incoming requests and timers
    // waiting. A write yields in its transaction anyway (SQLite's group commit waits for this turn's other
    // requests; PostgreSQL answers over the network), and a second turn would only add a turn's latency.
    if (req.method === 'GET' || req.method === 'HEAD') await new Promise<void>((resolve) => setImmediate(resolve));
    await this.serve(req, res as unknown as ServerResponse);
    if (!res.headersSent) throw new Error(`the embedded Graph gave no answer to ${req.method} ${url.pathname}`);
    const noBody = res.statusCode === 204 || res.statusCode === 304 || res.chunks.length === 0;
    context.response = new InProcessResponse(res.statusCode, res.headers, noBody ? null : res.chunks.length === 1 ? res.chunks[0] : Buffer.concat(res.chunks)) as unknown as Response;
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * The answer as the SDK reads a fetch `Response` (`status`, `ok`, `headers`, and the body once as JSON, text, bytes,
 * a blob or a stream), over the bytes `serveGraph` wrote. undici's `Response` wraps them in a web stream that every
 * read then drains: several times the CPU of the call's own JSON for the small answers the bot reads.
 */
class InProcessResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly redirected = false;
  readonly type = 'basic';
  readonly url = '';
  private used = false;
  private headerList: Headers | undefined;

  constructor(
    readonly status: number,
    private readonly headerValues: Record<string, string>,
    private readonly bytes: Buffer | null,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  /** The answer's headers (names in lower case, as `CapturedResponse` keeps them): what the SDK reads (`get`, `has`) without undici's `Headers`, which checks every character it is given. */
  get headers(): Headers {
    return (this.headerList ??= new PlainHeaders(this.headerValues) as unknown as Headers);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** The body as a web stream (what the SDK hands out for content it does not parse). */
  get body(): ReadableStream<Uint8Array> | null {
    return this.bytes === null ? null : new Response(this.take()).body;
  }

  async text(): Promise<string> {
    return this.take().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async blob(): Promise<Blob> {
    return new Blob([this.take()], { type: this.headerValues['content-type'] ?? '' });
  }

  clone(): InProcessResponse {
    if (this.used) throw new TypeError('Response body is already used');
    return new InProcessResponse(this.status, this.headerValues, this.bytes);
  }

  /** The body, read once (as a fetch `Response`'s). */
  private take(): Buffer {
    if (this.used) throw new TypeError('Response body is already used');
    this.used = true;
    return this.bytes ?? Buffer.alloc(0);
  }
}

/** A read-only `Headers` over a record whose names are already lower case. */
class PlainHeaders {
  constructor(private readonly record: Record<string, string>) {}

  get(name: string): string | null {
    const key = name.toLowerCase();
    return Object.hasOwn(this.record, key) ? this.record[key] : null;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.record, name.toLowerCase());
  }

  forEach(callback: (value: string, name: string, headers: PlainHeaders) => void): void {
    for (const [name, value] of this.entries()) callback(value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    yield* Object.entries(this.record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** The request body as bytes (the SDK sends JSON as a string); null for anything to leave to HTTP. */
function bodyBytes(body: unknown): Buffer | null {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return null;
}

/** What `serveGraph` writes (`writeHead`, `end`), kept to become the SDK's `Response`. */
class CapturedResponse {
  statusCode = 200;
  headersSent = false;
  readonly headers: Record<string, string> = {};
  readonly chunks: Buffer[] = [];

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    return this;
  }

  writeHead(status: number, headers?: Record<string, string | number>): this {
    this.statusCode = status;
    for (const [name, value] of Object.entries(headers ?? {})) this.setHeader(name, value);
    this.headersSent = true;
    return this;
  }

  end(chunk?: string | Buffer): this {
    if (chunk !== undefined) this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    this.headersSent = true;
    return this;
  }
}
