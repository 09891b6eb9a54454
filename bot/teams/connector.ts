import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AppCredentials, ServiceClientCredentials } from 'botframework-connector';

/** A connector call that failed; `retryable` for 429/5xx/network, with the server's `Retry-After` when given. */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface OutgoingActivity {
  type: 'message';
  text?: string;
  textFormat?: 'markdown' | 'plain';
  attachments?: Array<{ contentType: string; content: unknown }>;
  locale?: string;
}

/**
 * The bot's own calls to the Bot Framework connector (REST v3): send, update, create a 1:1
 * conversation. The notice sender needs each call to fail fast and say why — 429 and 5xx are
 * retried by the sender with its back-off and `Retry-After`, 403/404 end the notice — which the SDK
 * client's built-in retry pipeline would hide, so these few calls are plain HTTP with the bot's token.
 */
export class Connector {
  constructor(private readonly credentials: () => Promise<ServiceClientCredentials>) {}

  async send(serviceUrl: string, conversationId: string, activity: OutgoingActivity): Promise<{ id: string }> {
    const body = await this.call('POST', serviceUrl, `v3/conversations/${encodeURIComponent(conversationId)}/activities`, activity);
    return { id: typeof body.id === 'string' ? body.id : '' };
  }

  async update(serviceUrl: string, conversationId: string, activityId: string, activity: OutgoingActivity): Promise<void> {
    await this.call('PUT', serviceUrl, `v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityId)}`, { ...activity, id: activityId });
  }

  /** A new personal conversation of the bot with `member` (Teams: the person's id or AAD object id). */
  async createPersonalConversation(serviceUrl: string, options: { botId: string; memberId: string; tenantId: string }): Promise<{ id: string }> {
    const body = await this.call('POST', serviceUrl, 'v3/conversations', {
      bot: { id: options.botId },
      members: [{ id: options.memberId }],
      isGroup: false,
      tenantId: options.tenantId,
      channelData: { tenant: { id: options.tenantId } },
    });
    if (typeof body.id !== 'string') throw new ConnectorError('createConversation returned no id', 502, true);
    return { id: body.id };
  }

  /** A member of a team's roster by AAD object id (Teams accepts it in place of the member id), or undefined when not a member. */
  async teamMember(serviceUrl: string, teamId: string, aadObjectId: string): Promise<{ id: string } | undefined> {
    try {
      const body = await this.call('GET', serviceUrl, `v3/conversations/${encodeURIComponent(teamId)}/members/${encodeURIComponent(aadObjectId)}`, undefined);
      return typeof body.id === 'string' ? { id: body.id } : undefined;
    } catch (error) {
      if (error instanceof ConnectorError && error.status === 404) return undefined;
      throw error;
    }
  }

  private async call(method: string, serviceUrl: string, path: string, payload: unknown): Promise<Record<string, unknown>> {
    const url = `${serviceUrl.replace(/\/+$/, '')}/${path}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const credentials = await this.credentials();
    if (credentials instanceof AppCredentials && credentials.appId) headers.authorization = `Bearer ${await credentials.getToken()}`;
    let response: PlainResponse;
    try {
      response = await plainRequest(method, url, headers, payload === undefined ? undefined : JSON.stringify(payload), 15_000);
    } catch (error) {
      throw new ConnectorError(`connector unreachable: ${error instanceof Error ? error.message : String(error)}`, 0, true);
    }
    const text = response.text;
    if (response.status >= 200 && response.status < 300) {
      try {
        return text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return {};
      }
    }
    const retryable = response.status === 429 || response.status >= 500 || response.status === 408;
    // The path names conversations and people: the log gets the method and status only.
    const header = response.headers['retry-after'];
    throw new ConnectorError(`connector answered ${response.status} to ${method}`, response.status, retryable, retryAfter(typeof header === 'string' ? header : null));
  }
}

interface PlainResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

// Kept-alive sockets to the connector: a notice or card update costs a request, not a connection. Node's own
// HTTP client rather than fetch (undici): the same request for a fraction of the CPU, which the sender and
// the card updates after each decision spend per call.
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 32 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 32 }) };

/** One HTTP(S) request with a deadline for the whole exchange; network failures and the deadline reject. */
function plainRequest(method: string, url: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const req = (secure ? httpsRequest : httpRequest)(
      target,
      { method, agent: secure ? agents.https : agents.http, headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(payload);
  });
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds. */
export function retryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
