import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Clock } from '../context';
import type { Dialect } from '../store/db';
import type { Database } from '../store/schema';
import { Actions } from './actions';
import { ApprovalCardUpdates } from './cardUpdates';
import { createBotFramework } from './adapter';
import { PortierBot } from './bot';
import { Chat } from './chat';
import { Connector } from './connector';
import { ConversationStore } from './conversations';
import { handleMessages } from './endpoint';
import type { GraphHandler } from '../graph/inProcess';
import type { Client } from '@microsoft/microsoft-graph-client';
import { embeddedTokenProvider, graphFor, type GraphTokenProvider, type TeamsUser } from './graphAccess';
import { Reviews } from './reviews';
import { NoticeSender } from './sender';
import { SentCards } from './sentCards';

export interface BotRuntimeDeps {
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

export interface BotRuntime {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  sendNotices(): Promise<number>;
}

/** The bot itself (botbuilder and everything that uses it), loaded by `mountBot` off the start-up path. */
export function createBotRuntime(deps: BotRuntimeDeps): BotRuntime {
  const log = deps.log.child({ component: 'teams' });
  const framework = createBotFramework(deps.config);
  const tokens = deps.tokens ?? embeddedTokenProvider(deps.db);
  const conversations = new ConversationStore(deps.db);
  const cards = new SentCards(deps.db);
  const connector = new Connector(() => framework.connectorCredentials());
  // One Graph client per person, kept (its middleware chain costs more to build than a call through it); the token
  // is still asked of `tokens` on every call.
  const clients = new Map<string, Client>();
  const graph = (user: TeamsUser): Client => {
    const key = `${user.tenantId.toLowerCase()}|${user.aadObjectId.toLowerCase()}`;
    let client = clients.get(key);
    if (!client) {
      if (clients.size >= 10_000) clients.clear();
      client = graphFor(deps.graphBaseUrl, tokens, user, deps.graphHandler);
      clients.set(key, client);
    }
    return client;
  };
  // The decision's invoke updates every card of the stage at once (after answering); the sender's notices remain the fallback.
  let cardUpdates: ApprovalCardUpdates | undefined;
  const actions = new Actions({ graphFor: graph, conversations, cards, log, afterDecision: (decision) => cardUpdates?.afterDecision(decision) ?? Promise.resolve() });
  cardUpdates = new ApprovalCardUpdates({ cards, conversations, connector, graphFor: graph, actions, log });
  const chat = new Chat({ db: deps.db, clock: deps.clock, log, graphFor: graph, conversations, cards, connector, actions });
  const bot = new PortierBot({ clock: deps.clock, log, conversations, actions, chat });
  const reviews = new Reviews(actions);
  const sender = new NoticeSender({ db: deps.db, dialect: deps.dialect, clock: deps.clock, log, conversations, cards, connector, graphFor: graph, actions, cardUpdates, reviews, botId: framework.appId });

  return {
    handle: (req, res) => handleMessages(framework, bot, log, req, res),
    sendNotices: () => sender.runOnce(),
  };
}
