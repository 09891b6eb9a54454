import { Client, Context, HTTPMessageHandler, Middleware, RetryHandler, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';

/** Supplies an access token for Portier's Graph (embedded or Microsoft's). */
export type TokenSource = () => Promise<string>;

/**
 * Adds the bearer token, but only to calls under `baseUrl`. The SDK's own authentication handler
 * sends tokens to https Graph hosts only, which would leave the embedded Graph on
 * http://localhost unauthenticated; scoping by base URL keeps tokens from leaking to any other host
 * (next links, redirects) just the same.
 */
export class ScopedAuthenticationHandler implements Middleware {
  private next: Middleware | undefined;
  constructor(
    private readonly baseUrl: string,
    private readonly token: TokenSource,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    if (url.startsWith(this.baseUrl)) {
      const options = (context.options ??= {});
      // Names in lower case, as a `Headers` gives them (one `authorization`, whatever case the caller used).
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(headerRecord(options.headers))) headers[name.toLowerCase()] = value;
      headers.authorization = `Bearer ${await this.token()}`;
      options.headers = headers;
    }
    if (!this.next) throw new Error('ScopedAuthenticationHandler must not be the last middleware');
    return this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Request headers as a plain record (the SDK passes a plain object; a `Headers` or a list of pairs is copied). Not
 * through `new Headers`: it checks every character of every value, the bearer token's hundreds included, on each call.
 */
export function headerRecord(init: unknown): Record<string, string> {
  if (init === undefined || init === null) return {};
  if (typeof Headers !== 'undefined' && init instanceof Headers) return Object.fromEntries(init.entries());
  if (Array.isArray(init)) return Object.fromEntries(init.map(([name, value]) => [String(name), String(value)]));
  return Object.fromEntries(Object.entries(init as Record<string, unknown>).map(([name, value]) => [name, String(value)]));
}

/**
 * The Graph client the bot and the tab use: the same `@microsoft/microsoft-graph-client`, pointed
 * at the embedded Graph (`http(s)://<portier>/graph/`) or at `https://graph.microsoft.com/`.
 * `local` (the bot inside Portier's own server): a middleware, made for the normalized base URL, that
 * answers calls under it without a socket (`inProcessTransport` of `./inProcess`, kept out of this
 * module so the tab's bundle never sees Node's http); everything else the SDK does is unchanged.
 */
export function createGraphClient(options: { baseUrl: string; token: TokenSource; retries?: number; local?: (baseUrl: string) => Middleware & Required<Pick<Middleware, 'setNext'>> }): Client {
  const baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  const auth = new ScopedAuthenticationHandler(baseUrl, options.token);
  const retry = new RetryHandler(new RetryHandlerOptions(1, options.retries ?? 3));
  const http = new HTTPMessageHandler();
  auth.setNext(retry);
  if (options.local) {
    const local = options.local(baseUrl);
    retry.setNext(local);
    local.setNext(http);
  } else {
    retry.setNext(http);
  }
  return Client.initWithMiddleware({ baseUrl, defaultVersion: 'v1.0', middleware: auth });
}
