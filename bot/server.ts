import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { Logger } from 'pino';
import type restify from 'restify';
import { principalResolver } from './auth/principal';
import { devTokenVerifier, entraTokenVerifier, issueDevToken, listDevAccounts, TokenVerifier, withOnBehalfTokens } from './auth/tokens';
import type { Config } from './config';
import { Clock, EngineDeps, systemClock } from './context';
import { DomainError, ValidationError } from './domain/errors';
import { buildGraphRouter } from './graph/routes';
import { errorBody, graphBasePath, send, serveGraph, statusOf } from './graph/service';
import { readJsonBody } from './http/body';
import { restify as restifyModule } from './http/restify';
import { defaultTabDirectory, staticTab } from './http/staticTab';
import { JobRunner, runnerLanes } from './jobs/runner';
import type { EventConsumer } from './events/consumer';
import { builtInConsumers, ensureRecurringTimers, timerAbandonHandlers, timerHandlers } from './lifecycle';
import { seedDemoTenant } from './seed/demo';
import { openStore, Store } from './store/db';
import type { GraphHandler } from './graph/inProcess';
import { mountBot } from './teams';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';

export interface Portier {
  url: string;
  store: Store;
  config: Config;
  /** Timers and outbox deliveries of this instance (tests call `runOnce()` instead of waiting). */
  jobs: JobRunner;
  /** The embedded Graph's handler (`serveGraph` with this server's dependencies), as the bot calls it in process. */
  graphHandler: GraphHandler;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  log?: Logger;
  /** Use an already open store (tests that share one database between servers). */
  store?: Store;
  /** Extra outbox consumers by name, beside the built-in ones (tests observe events this way). */
  consumers?: Readonly<Record<string, EventConsumer>>;
  /** Where the built tabs are (default: `dist/tab` beside the server). */
  tabDirectory?: string;
  /** The time budget of one read (default 1 s; tests shorten it to prove the deadline). */
  readTimeoutMs?: number;
}

/**
 * Starts Portier: opens and migrates the store, loads the demo tenant on an empty database when
 * asked, and serves the embedded Graph, the dev sign-in and the health check over restify.
 */
export async function startPortier(config: Config, options: StartOptions = {}): Promise<Portier> {
  const log = options.log ?? pino({ level: config.logLevel, name: 'portier' });
  const clock = options.clock ?? systemClock;
  const store = options.store ?? (await openStore(config.databaseUrl, { readTimeoutMs: options.readTimeoutMs, poolSize: config.databasePoolSize }));
  if (config.seed !== 'none') await seedDemoTenant(store.db, store.dialect, clock, { entitlements: config.seed === 'demo' });

  // Consumers are known before anything is written: an event gets one delivery row per subscriber.
  const consumers: Record<string, EventConsumer> = { ...builtInConsumers(), ...(options.consumers ?? {}) };
  const subscriptions = Object.fromEntries(Object.entries(consumers).map(([name, c]) => [name, c.types]));
  let jobs: JobRunner | undefined;
  const wake = () => jobs?.wake();
  const engine: EngineDeps = { db: store.db, dialect: store.dialect, clock, publicUrl: config.publicUrl, subscriptions, wake };

  const userVerifier: TokenVerifier = config.authMode === 'dev' ? devTokenVerifier(store.db) : entraTokenVerifier(config, store.db);
  // The Teams bot reaches the embedded Graph as the person who wrote or clicked, with tokens Portier issues itself.
  const verifier: TokenVerifier = config.graph === 'embedded' ? withOnBehalfTokens(userVerifier, store.db) : userVerifier;
  const router = buildGraphRouter();
  const graphDeps = { store, verifier, resolvePrincipal: principalResolver(store.db), clock, router, publicUrl: config.publicUrl, log, subscriptions, wake };
  const server = restifyModule.createServer({ name: 'portier', handleUncaughtExceptions: false });
  const tab = staticTab(options.tabDirectory ?? defaultTabDirectory(__dirname));
  if (!tab.available) log.warn('The tabs are not built (run `npm run build`); only the API is served.');

  // Graph paths carry function segments (`filterByCurrentUser(on='target')`) that restify's router
  // cannot express, so they are served before routing.
  server.pre((req: restify.Request, res: restify.Response, next: restify.Next) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === graphBasePath || path.startsWith(`${graphBasePath}/`)) {
      serveGraph(graphDeps, req as IncomingMessage, res as unknown as ServerResponse).then(
        () => next(false),
        (error: unknown) => next(error as Error),
      );
      return;
    }
    // The built tabs at `/` (everything but the API and the health check).
    if (path !== '/healthz' && path !== '/api' && !path.startsWith('/api/') && tab.serve(req as IncomingMessage, res as unknown as ServerResponse, path)) {
      next(false);
      return;
    }
    next();
  });

  server.get('/api/config', (_req: restify.Request, res: restify.Response, next: restify.Next) => {
    publicConfig(config, store).then(
      (body) => {
        res.setHeader('Cache-Control', 'no-store');
        send(res as unknown as ServerResponse, 200, body);
        next();
      },
      (error: unknown) => next(error as Error),
    );
  });

  // Errors restify answers itself (unknown path, method not allowed, an unexpected failure) use Graph's
  // error body too, and never carry an internal error's text.
  server.on('restifyError', (req: restify.Request, _res: restify.Response, err: Error & { statusCode?: number; body?: unknown; toJSON?: () => unknown }, callback: () => void) => {
    const status = err.statusCode ?? 500;
    const requestId = randomUUID();
    if (status >= 500) log.error({ err, requestId, url: req.url }, 'request failed');
    const code = status === 404 ? 'Request_ResourceNotFound' : status === 405 ? 'Request_BadRequest' : status >= 500 ? 'InternalServerError' : 'BadRequest';
    const message = status >= 500 ? 'An internal error occurred. Use the request-id to find it in the server log.' : status === 405 ? `The ${req.method} method is not supported on this resource.` : status === 404 ? `Resource not found for the segment '${(req.url ?? '').split('?')[0].split('/').pop() ?? ''}'.` : 'The request is not valid.';
    err.toJSON = () => errorBody(code, message, requestId);
    callback();
  });

  server.get('/healthz', (_req: restify.Request, res: restify.Response, next: restify.Next) => {
    send(res as unknown as ServerResponse, 200, { status: 'ok', version: config.version, storage: store.dialect, migration: store.migration, graph: config.graph, authMode: config.authMode });
    next();
  });

  server.post('/api/dev/token', (req: restify.Request, res: restify.Response, next: restify.Next) => {
    handleDevToken(config, store, req as IncomingMessage, log).then(
      (result) => {
        send(res as unknown as ServerResponse, result.status, result.body);
        next();
      },
      (error: unknown) => next(error as Error),
    );
  });

  // The Teams bot on POST /api/messages; it makes Graph calls to Portier's Graph (URL known once the server
  // listens), handed to `serveGraph` in this process rather than over a loopback socket.
  let url = '';
  const graphHandler: GraphHandler = (req, res) => serveGraph(graphDeps, req, res);
  const bot = mountBot(server, { config, db: store.db, dialect: store.dialect, clock, log, graphBaseUrl: () => `${url}/graph/`, graphHandler });

  // Every timer kind of the entitlement engine, and the consumers of its events.
  const runner = new JobRunner({
    store,
    clock,
    log,
    timers: timerHandlers(engine),
    abandon: timerAbandonHandlers(engine),
    subscriptions,
    consumers: Object.fromEntries(Object.entries(consumers).map(([name, c]) => [name, c.handle])),
    workers: [() => bot.sendNotices()],
    intervalMs: config.jobIntervalMs,
    concurrency: runnerLanes(config.databasePoolSize),
  });
  jobs = runner;
  await ensureRecurringTimers(store.db, clock.now());

  await new Promise<void>((resolve) => server.listen(config.port, config.host, () => resolve()));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  runner.start();
  if (config.authMode === 'dev') {
    log.warn(`DEV MODE: Portier accepts unsigned dev tokens from POST /api/dev/token and listens on ${config.host} only. Never expose this to a network.`);
  }
  if (!config.bot.id) {
    log.warn(`DEV MODE: no BOT_ID, so /api/messages accepts UNSIGNED Bot Framework activities, from this machine only (${config.host}). Set BOT_ID and BOT_PASSWORD for Teams.`);
  }
  log.info({ url, storage: store.dialect, migration: store.migration }, 'Portier is listening');
  return {
    url,
    store,
    config,
    jobs: runner,
    graphHandler,
    async close() {
      await runner.stop();
      server.close();
      if (!options.store) await store.close();
    },
  };
}

/**
 * What the tab needs before anyone signs in (`GET /api/config`): how to sign in and where Graph is.
 * Public values only; the dev accounts are listed only in dev mode, which binds to loopback.
 */
async function publicConfig(config: Config, store: Store): Promise<Record<string, unknown>> {
  const graphBaseUrl = '/graph/';
  // Direct links to packages are built on PUBLIC_URL (DESIGN §4), which may differ from the page's origin.
  const publicUrl = config.publicUrl;
  if (config.authMode === 'dev') return { authMode: 'dev', graphBaseUrl, publicUrl, devAccounts: await listDevAccounts(store.db) };
  const clientId = config.aad.clientId;
  return {
    authMode: 'entra',
    graphBaseUrl,
    publicUrl,
    clientId,
    // Multi-tenant: a partner signs in with their home organization.
    authority: `${config.aad.authorityHost.replace(/\/$/, '')}/organizations`,
    scopes: [`api://${new URL(config.publicUrl).host}/${clientId}/access_as_user`],
  };
}

const devTokenBody = z.strictObject({ upn: z.string().trim().min(3).max(320) });

async function handleDevToken(config: Config, store: Store, req: IncomingMessage, log: Logger): Promise<{ status: number; body: unknown }> {
  const requestId = randomUUID();
  try {
    if (config.authMode !== 'dev') {
      return { status: 404, body: errorBody('Request_ResourceNotFound', 'Dev sign-in is only available when AUTH_MODE=dev.', requestId) };
    }
    const parsed = devTokenBody.safeParse(await readJsonBody(req));
    if (!parsed.success) throw new ValidationError("The body must be {\"upn\": \"user@domain\"}.", 'upn');
    return { status: 200, body: await issueDevToken(store.db, parsed.data.upn) };
  } catch (error) {
    if (error instanceof DomainError) return { status: statusOf[error.kind], body: errorBody(error.code, error.message, requestId) };
    // Never the database's text: it is for the log (an unauthenticated endpoint would show it to anyone).
    log.error({ err: error, requestId }, 'dev sign-in failed');
    return { status: 500, body: errorBody('InternalServerError', 'An internal error occurred. Use the request-id to find it in the server log.', requestId) };
  }
}
