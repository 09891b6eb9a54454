import { AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, CardFactory, MessageFactory, TeamsActivityHandler, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { Clock } from '../context';
import type { AdaptiveCard } from './cards/card';
import { helpCard, welcomeCard } from './cards/help';
import { recognizeCommand, packageIdIn } from './commands';
import type { ConversationRecord, ConversationStore } from './conversations';
import { NotActingUserError, type TeamsUser } from './graphAccess';
import { stringsFor, type Strings } from './strings';
import type { Actions } from './actions';
import type { Chat } from './chat';

export interface BotDeps {
  clock: Clock;
  log: Logger;
  conversations: ConversationStore;
  actions: Actions;
  chat: Chat;
}

/**
 * The Teams activity handler: remembers conversations, welcomes, answers commands, and hands card
 * actions (Universal Actions, `adaptiveCard/action`) to the verb table. Everything it does to the
 * engine goes through Graph as the person who wrote or clicked (`Actions`, `Chat`).
 */
export class PortierBot extends TeamsActivityHandler {
  constructor(private readonly deps: BotDeps) {
    super();
    this.onMessage(async (context, next) => {
      const first = await this.remember(context);
      await this.answerMessage(context, first);
      await next();
    });
    // Teams sends both installationUpdate and conversationUpdate on install: the welcome goes out once, for a new conversation.
    this.onInstallationUpdateAdd(async (context, next) => {
      const fresh = await this.isNewConversation(context);
      await this.remember(context);
      if (fresh) await this.welcome(context);
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      await deps.conversations.remove(conversationOf(context)?.id ?? context.activity.conversation.id);
      await next();
    });
    this.onConversationUpdate(async (context, next) => {
      const botAdded = (context.activity.membersAdded ?? []).some((m) => m.id === context.activity.recipient.id);
      const botRemoved = (context.activity.membersRemoved ?? []).some((m) => m.id === context.activity.recipient.id);
      if (botRemoved) {
        await deps.conversations.remove(conversationOf(context)?.id ?? context.activity.conversation.id);
      } else {
        const fresh = await this.isNewConversation(context);
        await this.remember(context);
        if (botAdded && fresh) await this.welcome(context);
      }
      await next();
    });
  }

  /** Saves the conversation reference; returns true when this person's personal chat was new to us. */
  private async remember(context: TurnContext): Promise<boolean> {
    const record = conversationOf(context);
    if (!record) return false;
    const known = record.userId ? await this.deps.conversations.personal(record.userId) : undefined;
    // Already the person's newest chat, unchanged (every click on a card): a write would only move its timestamp,
    // and `updatedDateTime` serves to pick the newest of someone's chats, which this one already is.
    if (!known || !sameConversation(known, record)) await this.deps.conversations.save(record, this.deps.clock.now());
    return record.conversationType === 'personal' && !known;
  }

  private async isNewConversation(context: TurnContext): Promise<boolean> {
    const record = conversationOf(context);
    return !!record && !(await this.deps.conversations.exists(record.id));
  }

  /** The welcome, and in a personal chat what already waits for the person (notices kept while we could not reach them). */
  private async welcome(context: TurnContext): Promise<void> {
    const s = stringsFor(context.activity.locale);
    const user = teamsUserOf(context);
    const personal = (context.activity.conversation.conversationType ?? 'personal') === 'personal';
    let waiting: AdaptiveCard[] = [];
    if (personal && user) {
      try {
        waiting = await this.deps.chat.waiting(user, context.activity.locale);
      } catch (error) {
        if (!(error instanceof NotActingUserError)) throw error;
      }
    }
    for (const content of [welcomeCard(s), ...waiting]) await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(content)));
  }

  private async answerMessage(context: TurnContext, firstContact: boolean): Promise<void> {
    const activity = context.activity;
    const s = stringsFor(activity.locale);
    const user = teamsUserOf(context);
    const personal = (activity.conversation.conversationType ?? 'personal') === 'personal';
    const text = (activity.text ?? '').trim();
    const command = recognizeCommand(text);
    const packageId = command ? undefined : packageIdIn(text);
    let cards: AdaptiveCard[];
    try {
      if (!user) throw new NotActingUserError('no aadObjectId');
      if (command?.command === 'help') cards = [helpCard(s)];
      else if (command) cards = await this.deps.chat.command(user, activity.locale, command.command, command.rest);
      else if (packageId) cards = await this.deps.chat.requestCard(user, activity.locale, packageId);
      else cards = [];
      if (firstContact) cards = [...(await this.deps.chat.waiting(user, activity.locale)), ...cards];
    } catch (error) {
      if (error instanceof NotActingUserError) {
        await context.sendActivity(s.notActing);
        return;
      }
      throw error;
    }
    if (cards.length === 0) {
      if (!firstContact) await context.sendActivity(MessageFactory.text(s.notUnderstood(text.replace(/<[^>]+>/g, '').slice(0, 100))));
      else await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(welcomeCard(s))));
      return;
    }
    if (personal) {
      for (const content of cards) await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(content)));
      return;
    }
    // In a team or group chat the answer is personal: it goes to the 1:1 chat, the channel gets a pointer.
    await this.deps.chat.sendPersonally(user as TeamsUser, activity.from.id, conversationOf(context), cards);
    await context.sendActivity(MessageFactory.text(s.movedToPersonal));
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, invokeValue: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    await this.remember(context);
    const later = context.turnState.get<AfterReply | undefined>(afterReplyKey);
    return this.deps.actions.execute(
      teamsUserOf(context),
      context.activity.locale,
      invokeValue,
      stringsFor(context.activity.locale),
      later ? (task) => later.push(task) : undefined,
      context.activity.replyToId ?? null,
      context.activity.conversation?.id ?? null,
    );
  }
}

/** Work a turn leaves for after its HTTP answer (`handleMessages` runs it once the invoke is answered). */
export type AfterReply = Array<() => Promise<void>>;
export const afterReplyKey = Symbol('afterReply');

export function teamsUserOf(context: TurnContext): TeamsUser | undefined {
  const { from, channelData, conversation } = context.activity;
  const tenantId = (channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? conversation.tenantId;
  if (!from.aadObjectId || !tenantId) return undefined;
  return { aadObjectId: from.aadObjectId, tenantId };
}

function sameConversation(a: ConversationRecord, b: ConversationRecord): boolean {
  return (Object.keys(b) as Array<keyof ConversationRecord>).every((key) => a[key] === b[key]);
}

/** The conversation reference of an activity, flattened for the database. */
export function conversationOf(context: TurnContext): ConversationRecord | undefined {
  const a = context.activity;
  const channelData = (a.channelData ?? {}) as { tenant?: { id?: string }; team?: { id?: string; aadGroupId?: string } };
  const tenantId = channelData.tenant?.id ?? a.conversation.tenantId;
  if (!tenantId || !a.serviceUrl) return undefined;
  const type = a.conversation.conversationType === 'channel' ? 'channel' : a.conversation.conversationType === 'groupChat' ? 'groupChat' : 'personal';
  return {
    // A team is reached through its General channel: the team id is that channel's conversation id.
    id: type === 'channel' && channelData.team?.id ? channelData.team.id : a.conversation.id,
    conversationType: type,
    userId: type === 'personal' ? (a.from.aadObjectId?.toLowerCase() ?? null) : null,
    userMri: type === 'personal' ? a.from.id : null,
    teamId: channelData.team?.id ?? null,
    aadGroupId: channelData.team?.aadGroupId?.toLowerCase() ?? null,
    tenantId,
    serviceUrl: a.serviceUrl,
    channelId: a.channelId,
    botId: a.recipient.id,
    locale: a.locale ?? null,
  };
}

export type { Strings };
