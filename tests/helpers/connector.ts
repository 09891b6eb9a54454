import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the bot made to the connector stand-in. */
export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  activityId?: string;
  authorization?: string;
  body: any;
}

/**
 * A small Bot Framework connector of the test's own: records what the bot sends (POST activities),
 * updates (PUT) and creates (POST v3/conversations), answers team roster look-ups, and can be told
 * to fail the next calls (429 with Retry-After, 5xx, 403, 404).
 */
export class ConnectorStandIn {
  readonly calls: ConnectorCall[] = [];
  /** Status codes to answer the next send/update calls with, in order (then 200/201 again). */
  readonly failures: Array<{ status: number; retryAfter?: string }> = [];
  /** Team rosters: teamId → aadObjectId → member id. */
  readonly rosters = new Map<string, Map<string, string>>();
  private server!: Server;
  private next = 1;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then((text) => {
        const path = (req.url ?? '').split('?')[0];
        const m = /^\/v3\/conversations(?:\/([^/]+))?(?:\/(activities|members)(?:\/([^/]+))?)?$/.exec(path);
        const body = text ? JSON.parse(text) : undefined;
        const conversationId = m?.[1] ? decodeURIComponent(m[1]) : '';
        if (req.method === 'GET' && m?.[2] === 'members') {
          const id = this.rosters.get(conversationId)?.get(decodeURIComponent(m[3] ?? ''));
          res.writeHead(id ? 200 : 404, { 'content-type': 'application/json' });
          res.end(JSON.stringify(id ? { id, aadObjectId: m[3] } : { error: { code: 'MemberNotFoundInConversation' } }));
          return;
        }
        const call: ConnectorCall = { method: req.method ?? '', path, conversationId, activityId: m?.[3] ? decodeURIComponent(m[3]) : undefined, authorization: req.headers.authorization, body };
        const failure = this.failures.shift();
        if (failure) {
          this.calls.push({ ...call, body: { ...call.body, failedWith: failure.status } });
          res.writeHead(failure.status, { 'content-type': 'application/json', ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) });
          res.end(JSON.stringify({ error: { code: 'Failure', message: String(failure.status) } }));
          return;
        }
        this.calls.push(call);
        const id = `activity-${this.next++}`;
        if (req.method === 'POST' && !m?.[1]) {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ id: `a:created-${id}`, activityId: id }));
          return;
        }
        res.writeHead(req.method === 'PUT' ? 200 : 201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: call.activityId ?? id }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Messages sent to a conversation (POST), newest last. */
  sent(conversationId: string): ConnectorCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.conversationId === conversationId && /\/activities(\/|$)/.test(c.path) && !c.body?.failedWith);
  }

  updates(conversationId: string): ConnectorCall[] {
    return this.calls.filter((c) => c.method === 'PUT' && c.conversationId === conversationId && !c.body?.failedWith);
  }

  created(): ConnectorCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path === '/v3/conversations');
  }

  clear(): void {
    this.calls.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The adaptive card of a sent or updated activity. */
export function cardOf(call: ConnectorCall | undefined): any {
  return call?.body?.attachments?.[0]?.content;
}

/** All text of a card (TextBlocks and facts), for assertions about what a person reads. */
export function cardText(card: any): string {
  const out: string[] = [];
  const walk = (node: any) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (node.type === 'TextBlock') out.push(node.text);
    if (node.type === 'FactSet') for (const f of node.facts) out.push(`${f.title}: ${f.value}`);
    for (const key of ['body', 'items', 'columns']) walk(node[key]);
  };
  walk(card?.body);
  return out.join('\n');
}
