import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Principal, VerifiedIdentity } from '../auth/principal';
import type { TokenVerifier } from '../auth/tokens';
import type { Clock, CommandContext } from '../context';
import { DomainError, QueryTimeoutError, ServiceUnavailableError, UnauthorizedError, ValidationError } from '../domain/errors';
import { readJsonBody } from '../http/body';
import { isStorableText } from '../http/text';
import type { Store } from '../store/db';
import { isStatementTimeout, withReadDeadline } from '../store/deadline';
import type { Subscriptions } from '../jobs/outbox';
import { maxResponseObjects, readQueryOptions } from './odata/engine';
import type { GraphRouter } from './router';

export interface GraphServiceDeps {
  store: Store;
  verifier: TokenVerifier;
  /** Token identity → principal (see `principalResolver`). */
  resolvePrincipal: (identity: VerifiedIdentity, now: Date) => Promise<Principal>;
  clock: Clock;
  router: GraphRouter;
  publicUrl: string;
  log: Logger;
  subscriptions: Subscriptions;
  wake: () => void;
}

export const graphBasePath = '/graph/v1.0';

export const statusOf: Record<DomainError['kind'], number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  tooLarge: 413,
  unsupportedMediaType: 415,
  unavailable: 503,
};

/**
 * The embedded Graph's HTTP edge: authenticate, route, run the handler, and turn whatever comes
 * back (or is thrown) into Graph's response shapes. Domain errors are mapped here, once.
 */
export async function serveGraph(deps: GraphServiceDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const clientRequestId = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined;
  const headers: Record<string, string> = { 'request-id': requestId, ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}) };
  try {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const rest = url.pathname.slice(graphBasePath.length).replace(/^\/+|\/+$/g, '');
    const path = rest === '' ? [] : rest.split('/').map(decodeSegment);
    for (const [name, value] of url.searchParams) {
      if (!isStorableText(name) || !isStorableText(value)) throw new ValidationError(`Query option '${isStorableText(name) ? name : '?'}' contains a NUL character or an unpaired UTF-16 surrogate, which is not accepted.`, undefined, 'BadRequest');
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const principal = await authenticate(deps, req);
    const { handler, params, functionArgs } = deps.router.match(method, path);
    const body = method === 'GET' || method === 'DELETE' ? undefined : await readJsonBody(req);
    // Reads run against the read connection with a deadline (store/deadline.ts): no GET holds the server.
    const read = method === 'GET';
    const ctx: CommandContext = {
      db: read ? withReadDeadline(deps.store.readDb, { timeoutMs: deps.store.readTimeoutMs, inQueryGuard: deps.store.dialect === 'sqlite' }) : deps.store.db,
      dialect: deps.store.dialect,
      principal,
      clock: deps.clock,
      requestId,
      publicUrl: deps.publicUrl,
      subscriptions: deps.subscriptions,
      wake: deps.wake,
    };
    const serviceRoot = `${url.protocol}//${url.host}${graphBasePath}`;
    const options = readQueryOptions(url.searchParams);
    const prefer = typeof req.headers.prefer === 'string' ? req.headers.prefer : undefined;
    const run = () => handler({ method, params, functionArgs, options, body, url, serviceRoot, ctx, prefer });
    const response = read ? await run().catch(timeoutAsDomainError(deps.store.readTimeoutMs)) : await run();
    if (read) checkResponseSize(response.body, deps.store.readTimeoutMs);
    send(res, response.status, response.body, { ...headers, ...response.headers });
  } catch (error) {
    if (error instanceof DomainError) {
      const status = statusOf[error.kind];
      const extra: Record<string, string> = error instanceof UnauthorizedError ? { 'WWW-Authenticate': 'Bearer' } : {};
      if (error instanceof ServiceUnavailableError) extra['Retry-After'] = String(error.retryAfterSeconds);
      send(res, status, errorBody(error.code, error.message, requestId, clientRequestId, 'target' in error ? (error.target as string | undefined) : undefined), { ...headers, ...extra });
      return;
    }
    deps.log.error({ err: error, requestId }, 'graph request failed');
    send(res, 500, errorBody('InternalServerError', 'An internal error occurred. Use the request-id to find it in the server log.', requestId, clientRequestId), headers);
  }
}

/**
 * Nested `$expand` shares loaded rows between parents, so a response can be far larger than what was
 * read; serializing it would hold the event loop. Refused before `JSON.stringify` (see `maxResponseObjects`).
 */
function checkResponseSize(body: unknown, timeoutMs: number): void {
  let count = 0;
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    count += 1;
    if (count > maxResponseObjects) throw new QueryTimeoutError(timeoutMs, `The response would hold more than ${maxResponseObjects} objects. Narrow it with $top, $select or fewer $expand levels.`);
    for (const child of Array.isArray(value) ? value : Object.values(value)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
}

/** PostgreSQL's `statement_timeout` cancellation is the read deadline, refused like the SQLite one. */
function timeoutAsDomainError(timeoutMs: number) {
  return (error: unknown): never => {
    throw isStatementTimeout(error) ? new QueryTimeoutError(timeoutMs) : error;
  };
}

function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new ValidationError(`The path segment '${segment}' is not valid percent-encoding.`, undefined, 'BadRequest');
  }
  if (!isStorableText(decoded)) throw new ValidationError(`The path segment '${segment}' contains a NUL character, which is not accepted.`, undefined, 'BadRequest');
  return decoded;
}

async function authenticate(deps: GraphServiceDeps, req: IncomingMessage) {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthorizedError('Access token is empty.');
  const identity = await deps.verifier.verify(match[1]);
  return deps.resolvePrincipal(identity, deps.clock.now());
}

/** Graph's error body. */
export function errorBody(code: string, message: string, requestId: string, clientRequestId?: string, target?: string) {
  return {
    error: {
      code,
      message,
      ...(target ? { target } : {}),
      innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId },
    },
  };
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (body === undefined || status === 204) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    'Content-Length': Buffer.byteLength(payload).toString(),
  });
  res.end(payload);
}
