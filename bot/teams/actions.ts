import type { AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue } from 'botbuilder';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import { z } from 'zod';
import { approvalCard } from './cards/approval';
import type { AdaptiveCard } from './cards/card';
import { messageCard } from './cards/help';
import { approvalViewOf, followsFromStage, isDecided, loadApprovalView, loadStage, StageNotFoundError, type ApprovalContent, type ApprovalFacts, type StageRead } from './approvals';
import type { ConversationRecord, ConversationStore } from './conversations';
import { type ApprovalStage, engine, graphCode, graphStatus } from './engine';
import { NotActingUserError, type TeamsUser } from './graphAccess';
import type { SentCards, StoredCard } from './sentCards';
import type { Strings } from './strings';
import { verbs } from './verbs';

const id = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an id');
const justification = z.string().max(2000).optional();

export interface ActionContext {
  graph: Client;
  user: TeamsUser;
  locale: string | null | undefined;
  s: Strings;
  /** Work to run once the invoke has been answered (never delays the answer; failures are its own to log). */
  later?: (task: () => Promise<void>) => void;
  /** The message whose card was clicked (the invoke's `replyToId`), when the channel says. */
  clickedActivityId?: string | null;
  /** The conversation of that message. */
  conversationId?: string | null;
}

interface VerbHandler<T> {
  /** The card data this verb accepts: ids (and the card's own inputs, which Teams merges into `data`). */
  data: z.ZodType<T>;
  handle(ctx: ActionContext, data: T): Promise<AdaptiveCard>;
}

export interface ActionDeps {
  graphFor(user: TeamsUser): Client;
  conversations: ConversationStore;
  cards: SentCards;
  log: Logger;
  /** Extra verbs (requests in chat, reviews, assignments) registered by other modules. */
  extra?: Record<string, VerbHandler<never>>;
  /** Called (after the invoke is answered) when a click decided a stage: the other cards are updated at once. */
  afterDecision?: (decision: Decision) => Promise<void>;
}

/** The card a decision's invoke answered with: what the clicker sees now, in their locale. */
export interface ClickerView {
  userId: string;
  locale: string | null;
  card: AdaptiveCard;
  /** The message whose card was clicked (the invoke's `replyToId`); the invoke's answer replaced that card for the clicker. */
  activityId: string | null;
}

/** Who holds a card of a stage: their cards (newest first), their personal chats, and the Teams ids a card refreshes for. */
export interface StageAudience {
  cards: StoredCard[];
  conversations: Map<string, ConversationRecord>;
  refreshUserIds: string[];
}

/** A click that decided a stage: the stage as the decision left it (Graph's answer, or read right after), its audience, the clicker's card. */
export interface Decision {
  ids: { requestId: string; stageId: string };
  stage: StageRead;
  audience: StageAudience;
  clicker: ClickerView;
}

/** An approval card as its viewer should see it now, with what was read for it. */
export interface ApprovalCardView {
  card: AdaptiveCard;
  /** The card shows the stage's decision: final, it will not change again. */
  decided: boolean;
  /** What the card shows of the request (to keep with a card sent), and the stage as read; absent on a refusal card. */
  content?: ApprovalContent;
  stage?: StageRead;
  audience: StageAudience;
}

/** Thrown by a verb for input the card should never have sent: answered with 400. */
export class BadCardDataError extends Error {}

/**
 * Card actions (Universal Actions): one handler per verb in one table. Each parses its data (ids
 * only) with zod, acts through Graph as the person who clicked, and answers with the card as that
 * person should now see it. Engine refusals (409, 403, 404) become a clear card; unknown verbs and
 * malformed data a 400.
 */
export class Actions {
  private readonly table: Record<string, VerbHandler<never>>;

  constructor(private readonly deps: ActionDeps) {
    const decide = (result: 'Approve' | 'Deny'): VerbHandler<{ requestId: string; stageId: string; justification?: string }> => ({
      data: z.object({ requestId: id, stageId: id, justification }),
      handle: async (ctx, data) => {
        let notice: string | null = null;
        let decided: ApprovalStage | undefined;
        try {
          decided = await engine.decide(ctx.graph, data.requestId, data.stageId, result, data.justification?.trim() ?? '');
        } catch (error) {
          notice = this.refusal(error, ctx.s);
        }
        const view = await this.approvalView(ctx, data, notice, { decided });
        const afterDecision = this.deps.afterDecision;
        // The stage as the clicker's decision left it, its holders and the clicker's own card serve every holder's update.
        if (notice === null && afterDecision && view.stage && isDecided(view.stage.stage)) {
          const decision: Decision = { ids: data, stage: view.stage, audience: view.audience, clicker: { userId: ctx.user.aadObjectId.toLowerCase(), locale: ctx.locale ?? null, card: view.card, activityId: ctx.clickedActivityId ?? null } };
          ctx.later?.(() => afterDecision(decision));
        }
        return view.card;
      },
    });
    this.table = {
      [verbs.approve]: decide('Approve'),
      [verbs.deny]: decide('Deny'),
      [verbs.refreshApproval]: {
        data: z.object({ requestId: id, stageId: id }),
        handle: (ctx, data) => this.approvalFor(ctx, data, null),
      } satisfies VerbHandler<{ requestId: string; stageId: string }>,
      ...(deps.extra ?? {}),
    } as unknown as Record<string, VerbHandler<never>>;
  }

  register(verb: string, handler: VerbHandler<never>): void {
    this.table[verb] = handler;
  }

  async execute(
    user: TeamsUser | undefined,
    locale: string | null | undefined,
    invoke: AdaptiveCardInvokeValue,
    s: Strings,
    later?: ActionContext['later'],
    clickedActivityId?: string | null,
    conversationId?: string | null,
  ): Promise<AdaptiveCardInvokeResponse> {
    const action = invoke?.action as { type?: string; verb?: string; data?: unknown } | undefined;
    const handler = action?.verb ? this.table[action.verb] : undefined;
    if (!action || action.type !== 'Action.Execute' || !handler) return badRequest(`Unknown card action '${String(action?.verb ?? '')}'.`);
    const parsed = handler.data.safeParse(action.data ?? {});
    if (!parsed.success) return badRequest(`Invalid card data: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (!user) return cardResponse(messageCard(s.appName, s.notActing, 'Attention'));
    try {
      const content = await handler.handle({ graph: this.deps.graphFor(user), user, locale, s, later, clickedActivityId, conversationId }, parsed.data as never);
      return cardResponse(content);
    } catch (error) {
      if (error instanceof BadCardDataError) return badRequest(error.message);
      if (error instanceof NotActingUserError) return cardResponse(messageCard(s.appName, s.notActing, 'Attention'));
      const status = graphStatus(error);
      if (status === 403 || status === 404 || status === 409 || status === 400) return cardResponse(messageCard(s.appName, this.refusal(error, s), 'Attention'));
      this.deps.log.error({ err: error, verb: action.verb }, 'card action failed');
      return cardResponse(messageCard(s.appName, s.somethingWrong, 'Attention'));
    }
  }

  /** The engine's refusal as the clicker should read it (never the raw error text). */
  refusal(error: unknown, s: Strings): string {
    if (error instanceof NotActingUserError) return s.notActing;
    const status = graphStatus(error);
    if (status === 409) return s.alreadyDecided;
    if (status === 403) return s.notYourApproval;
    if (status === 404) return s.notFound;
    if (status === 400) return /justification/i.test(graphCode(error) + String((error as Error).message)) ? s.justificationRequired : s.invalidAction;
    throw error;
  }

  /** The approval card as `ctx.user` sees it now; their own notice on top. */
  async approvalFor(ctx: ActionContext, ids: { requestId: string; stageId: string }, notice: string | null, facts?: ApprovalFacts): Promise<AdaptiveCard> {
    return (await this.approvalView(ctx, ids, notice, { facts })).card;
  }

  /**
   * The approval card as `ctx.user` sees it now. Their card's kept content (read as them when it was sent) and the
   * stage read now as them make the card when they can (one Graph read); otherwise it is read in full. `given`:
   * the card's facts (else those of the newest card they hold) and the stage's audience, when already known, and
   * the stage as `ctx.user`'s own decision just left it (Graph's answer to it), which then needs no read.
   */
  async approvalView(
    ctx: ActionContext,
    ids: { requestId: string; stageId: string },
    notice: string | null,
    given: { facts?: ApprovalFacts; audience?: StageAudience; decided?: ApprovalStage } = {},
  ): Promise<ApprovalCardView> {
    const userId = ctx.user.aadObjectId.toLowerCase();
    const cards = given.audience?.cards ?? (await this.deps.cards.ofSubject('approval', `${ids.requestId}/${ids.stageId}`));
    const facts = given.facts ?? ((cards.find((c) => c.userId === userId)?.factsObject ?? {}) as ApprovalFacts);
    const audience = given.audience ?? (await this.audience(cards, facts.approverIds ?? []));
    const viewer = { s: ctx.s, locale: ctx.locale, facts, refreshUserIds: audience.refreshUserIds, notice };
    try {
      if (facts.content && (facts.contentLocale ?? null) === (ctx.locale ?? null)) {
        // A decided stage is final: as the decision's answer gave it, it is what a read would give now. Its place
        // among the stages is the card's own (the kept content was read for this very stage).
        const decided = given.decided?.id === ids.stageId && isDecided(given.decided) ? given.decided : undefined;
        const stage = decided ? { requestId: ids.requestId, stage: decided, stageNumber: facts.content.stageNumber, stageCount: facts.content.stageCount } : await loadStage(ctx.graph, ids);
        if (followsFromStage(stage.stage)) return { card: approvalCard(approvalViewOf(facts.content, stage, null, viewer), ctx.s), decided: isDecided(stage.stage), content: facts.content, stage, audience };
      }
      const { view, content, stage } = await loadApprovalView(ctx.graph, ids, viewer);
      return { card: approvalCard(view, ctx.s), decided: view.decision !== null, content, stage, audience };
    } catch (error) {
      // Someone who may not see the request at all gets only the refusal.
      if (error instanceof StageNotFoundError || graphStatus(error) === 404 || graphStatus(error) === 403) return { card: messageCard(ctx.s.appName, notice ?? ctx.s.notFound, 'Attention'), decided: false, audience };
      throw error;
    }
  }

  /** A stage's audience from its cards: the holders and the approvers the engine named, with their personal chats. */
  private async audience(cards: StoredCard[], named: readonly string[]): Promise<StageAudience> {
    const users = new Set([...named.map((u) => u.toLowerCase()), ...cards.map((c) => c.userId)]);
    const conversations = await this.deps.conversations.personalOf([...users]);
    const refreshUserIds = [...new Set([...conversations.values()].flatMap((c) => (c.userMri ? [c.userMri] : [])))];
    return { cards, conversations, refreshUserIds };
  }
}

function cardResponse(content: AdaptiveCard): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: content as unknown as AdaptiveCardInvokeResponse['value'] };
}

function badRequest(message: string): AdaptiveCardInvokeResponse {
  return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message } as unknown as AdaptiveCardInvokeResponse['value'] };
}

export type { VerbHandler };
