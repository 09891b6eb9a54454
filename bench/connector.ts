import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A local stand-in for the Bot Framework connector (the `serviceUrl` of the activities the benchmark
 * sends): it answers the calls a bot makes — send to a conversation, reply, update, create a 1:1
 * conversation — at once, and records each with the time it arrived (`performance.now()` of this
 * process, so latencies are measured on one clock with the driver). Nothing is validated beyond JSON:
 * it must cost the bot under test as little as possible.
 */
export interface ConnectorCall {
  kind: 'send' | 'reply' | 'update' | 'delete' | 'createConversation';
  conversationId: string | null;
  /** The activity updated or replied to; for sends, the id given to the new activity. */
  activityId: string | null;
  body: Record<string, unknown> | null;
  at: number;
}

export interface LocalConnector {
  /** The serviceUrl to put in activities (ends with a slash, as Teams' does). */
  serviceUrl: string;
  calls: ConnectorCall[];
  /** Resolves with the first call (already recorded or still to come) that `match` accepts. */
  waitFor(match: (call: ConnectorCall) => boolean, timeoutMs?: number): Promise<ConnectorCall>;
  /** Forgets the calls recorded so far. */
  reset(): void;
  close(): Promise<void>;
}

const route = /^\/v3\/conversations(?:\/([^/]+)\/activities(?:\/([^/]+))?)?\/?$/;

export async function startLocalConnector(): Promise<LocalConnector> {
  const calls: ConnectorCall[] = [];
  const waiters = new Set<{ match: (call: ConnectorCall) => boolean; resolve: (call: ConnectorCall) => void }>();
  let conversations = 0;

  const record = (call: ConnectorCall) => {
    calls.push(call);
    for (const waiter of waiters) {
      if (waiter.match(call)) {
        waiters.delete(waiter);
        waiter.resolve(call);
      }
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const at = performance.now();
    const path = (req.url ?? '').split('?')[0];
    const m = route.exec(path);
    let body: Record<string, unknown> | null = null;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    } catch {
      return answer(res, 400, { error: { code: 'BadArgument', message: 'not JSON' } });
    }
    if (!m) return answer(res, 404, { error: { code: 'NotFound', message: path } });
    const [, conversation, activity] = m;
    const conversationId = conversation ? decodeURIComponent(conversation) : null;
    const activityId = activity ? decodeURIComponent(activity) : null;
    if (!conversationId && req.method === 'POST') {
      const id = `a:bench-${++conversations}`;
      record({ kind: 'createConversation', conversationId: id, activityId: null, body, at });
      return answer(res, 201, { id, activityId: randomUUID(), serviceUrl: '' });
    }
    if (conversationId && req.method === 'POST') {
      const id = randomUUID();
      record({ kind: activityId ? 'reply' : 'send', conversationId, activityId: activityId ?? id, body, at });
      return answer(res, 200, { id });
    }
    if (conversationId && activityId && req.method === 'PUT') {
      record({ kind: 'update', conversationId, activityId, body, at });
      return answer(res, 200, { id: activityId });
    }
    if (conversationId && activityId && req.method === 'DELETE') {
      record({ kind: 'delete', conversationId, activityId, body, at });
      return answer(res, 200, {});
    }
    return answer(res, 405, { error: { code: 'MethodNotAllowed', message: `${req.method} ${path}` } });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    calls,
    waitFor(match, timeoutMs = 30_000) {
      const found = calls.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (call: ConnectorCall) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`the connector saw no matching call within ${timeoutMs / 1000} s (${calls.length} calls recorded)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    reset() {
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
