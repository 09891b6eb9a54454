import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type restify from 'restify';
import type { Config } from '../config';
import type { Clock } from '../context';
import type { Dialect } from '../store/db';
import type { Database } from '../store/schema';
import { keepUnreachableNotices } from './conversations';
import { prepared } from '../store/prepared';
import type { GraphHandler } from '../graph/inProcess';
import type { GraphTokenProvider } from './graphAccess';
import type { BotRuntime } from './runtime';

export interface BotMountDeps {
  config: Config;
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  log: Logger;
  /** Portier's Graph as the bot reaches it (`http://<this server>/graph/`), known once the server listens. */
  graphBaseUrl: () => string;
  /** The "Teams user → Graph token" step; embedded mode's by default. */
  tokens?: GraphTokenProvider;
  /** The embedded Graph's handler of this server: the bot's Graph calls then skip the loopback socket. */
  graphHandler?: GraphHandler;
}

export interface MountedBot {
  /** Sends due notices (a job-runner worker): returns how many it handled. */
  sendNotices(): Promise<number>;
  /** Loads the bot now instead of on its first activity or notice. */
  warm(): Promise<void>;
}

/**
 * Mounts the Teams bot on `POST /api/messages` of Portier's restify server and returns its notice
 * sender for the job runner. This is the folder's only seam: botbuilder's types and modules stay
 * inside `bot/teams/`, and are loaded on the first activity or the first notice someone can receive
 * (botbuilder takes about a second of CPU to load, which start-up, and an instance that never talks
 * to Teams, should not pay).
 */
export function mountBot(server: restify.Server, deps: BotMountDeps): MountedBot {
  let runtime: Promise<BotRuntime> | undefined;
  const load = (): Promise<BotRuntime> => (runtime ??= import('./runtime').then((m) => m.createBotRuntime(deps)));

  server.post('/api/messages', (req: restify.Request, res: restify.Response, next: restify.Next) => {
    load()
      .then((bot) => bot.handle(req as IncomingMessage, res as unknown as ServerResponse))
      .then(
        () => next(false),
        (error: unknown) => {
          deps.log.error({ err: error }, 'bot activity failed');
          const raw = res as unknown as ServerResponse;
          if (!raw.headersSent) {
            raw.writeHead(500, { 'content-type': 'application/json' });
            raw.end(JSON.stringify({ error: { code: 'InternalServerError', message: 'The activity could not be handled.' } }));
          }
          next(false);
        },
      );
  });
  return {
    async sendNotices() {
      await keepUnreachableNotices(deps.db);
      // Nothing due (the usual pass): no need to load the bot for it.
      const due = await dueNotice.first(deps.db, { now: deps.clock.now().toISOString() });
      if (!due) return 0;
      return (await load()).sendNotices();
    },
    async warm() {
      await load();
    },
  };
}

/** A pending notice due now, if any (every pass of the runner asks; compiled once). */
const dueNotice = prepared((db, p: { now: string }) =>
  db
    .selectFrom('notifications')
    .select('id')
    .where('teamsState', '=', 'pending')
    .where((eb) => eb.or([eb('teamsNextAttemptDateTime', 'is', null), eb('teamsNextAttemptDateTime', '<=', p.now)]))
    .limit(1),
);
