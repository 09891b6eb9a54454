import type { Client } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import type { Actions, Decision } from './actions';
import { approvalCard, maxRefreshUserIds } from './cards/approval';
import type { AdaptiveCard } from './cards/card';
import { attachment } from './cards/card';
import type { Connector } from './connector';
import type { ConversationRecord, ConversationStore } from './conversations';
import { approvalViewOf, type ApprovalFacts } from './approvals';
import type { TeamsUser } from './graphAccess';
import type { SentCards, StoredCard } from './sentCards';
import { stringsFor } from './strings';

export interface CardUpdatesDeps {
  cards: SentCards;
  conversations: ConversationStore;
  connector: Connector;
  graphFor(user: TeamsUser): Client;
  actions: Actions;
  log: Logger;
}

/** One stored approval card and what it should show now. */
export interface ApprovalCardUpdate {
  cardId: string;
  /** The card's facts as read with it (marking it shown keeps them). */
  facts: Record<string, unknown>;
  conversationId: string;
  activityId: string;
  card: AdaptiveCard;
  /** The card shows its stage's decision: final, so later notices about the stage need not touch it again. */
  decided: boolean;
}

/**
 * Keeping approval cards true after a decision, from two places: at once from the decision's own invoke
 * (`afterDecision`, after the invoke is answered) and from the notice sender (`pending`, for the
 * notices the engine writes for the approvers), which stays the durable path (docs/EVENTS.md: at least
 * once). A card that shows its stage's decision is marked (`decisionShown` in its facts): a decided
 * stage's card never changes again, so whichever path comes second finds nothing left to do; a crash
 * between the update and the mark only repeats the same `updateActivity`, which changes nothing visible.
 */
export class ApprovalCardUpdates {
  constructor(private readonly deps: CardUpdatesDeps) {}

  /**
   * `userId`'s approval cards of a request's stage (or of all its stages) that do not yet show a
   * decision, each as that person should see it now (read through Graph as them).
   */
  async pending(userId: string, conversation: ConversationRecord, requestId: string, stageId?: string): Promise<ApprovalCardUpdate[]> {
    const held = stageId ? await this.deps.cards.heldBy('approval', `${requestId}/${stageId}`, userId) : await this.deps.cards.findByPrefix('approval', `${requestId}/`, userId);
    const stored = held.filter((c) => c.factsObject.decisionShown !== true);
    if (stored.length === 0) return [];
    const user: TeamsUser = { aadObjectId: userId, tenantId: conversation.tenantId };
    const ctx = { graph: this.deps.graphFor(user), user, locale: conversation.locale, s: stringsFor(conversation.locale) };
    // Every card of one stage a person holds shows the same (the newest facts): built once per stage.
    const views = new Map<string, Promise<{ card: AdaptiveCard; decided: boolean }>>();
    const updates: ApprovalCardUpdate[] = [];
    for (const c of stored) {
      const [, sid] = c.subjectId.split('/');
      let view = views.get(sid);
      if (!view) {
        view = this.deps.actions.approvalView(ctx, { requestId, stageId: sid }, null);
        views.set(sid, view);
      }
      const { card, decided } = await view;
      updates.push({ cardId: c.id, facts: c.factsObject, conversationId: c.conversationId, activityId: c.activityId, card, decided });
    }
    return updates;
  }

  /** Marks the cards that now show their stage's decision (after Teams took the update). */
  async shown(updates: readonly ApprovalCardUpdate[]): Promise<void> {
    const decided = updates.filter((u) => u.decided).map((u) => ({ id: u.cardId, factsObject: u.facts }));
    if (decided.length > 0) await this.deps.cards.markDecisionShown(decided);
  }

  /**
   * Right after a decision committed: every holder's cards of the stage updated now instead of after the
   * job runner's next pass. Best effort; what fails here is left to the sender's notices.
   *
   * The stage is read once, as the clicker, right after their decision; each holder's card is that stage with
   * the content kept with their own card (read as them when it was sent). Every holder is an approver of this
   * very stage (the engine named them; that is how they got the card), and an approver may read everything the
   * card shows, so the clicker's read of the stage shows them nothing they could not read themselves. A card
   * kept without content (or in another language than the holder's now) is read in full as its holder.
   */
  async afterDecision(decision: Decision): Promise<void> {
    const byUser = new Map<string, StoredCard[]>();
    for (const c of decision.audience.cards) byUser.set(c.userId, [...(byUser.get(c.userId) ?? []), c]);
    const shows = (c: StoredCard, card: AdaptiveCard, decided: boolean): ApprovalCardUpdate => ({ cardId: c.id, facts: c.factsObject, conversationId: c.conversationId, activityId: c.activityId, card, decided });
    // Every holder's updated cards are marked together once all updates are through: one write per decision. The
    // card the click came from may need no update, only the mark.
    const answered = this.answeredCard(decision);
    const done: ApprovalCardUpdate[] = answered ? [shows(answered, decision.clicker.card, true)] : [];
    await Promise.all(
      [...byUser].map(async ([userId, cards]) => {
        try {
          const conversation = decision.audience.conversations.get(userId);
          const stale = cards.filter((c) => c !== answered && c.factsObject.decisionShown !== true);
          if (!conversation || stale.length === 0) return;
          // The newest card's facts are the person's current ones (cards come newest first).
          const { card, decided } = await this.decidedCard(userId, conversation, cards[0].factsObject as ApprovalFacts, decision);
          for (const c of stale) {
            await this.deps.connector.update(conversation.serviceUrl, c.conversationId, c.activityId, { type: 'message', attachments: [attachment(card)] });
            done.push(shows(c, card, decided));
          }
        } catch (error) {
          this.deps.log.warn({ err: error, requestId: decision.ids.requestId, stageId: decision.ids.stageId }, 'approval card not updated at once; the notice sender will');
        }
      }),
    );
    try {
      await this.shown(done);
    } catch (error) {
      this.deps.log.warn({ err: error, requestId: decision.ids.requestId, stageId: decision.ids.stageId }, 'approval cards updated but not marked; the notice sender will update them again');
    }
  }

  /**
   * The card the click came from, when it needs no update: the invoke's answer already replaced it in the
   * clicker's client (Universal Actions), and `refresh` names the clicker, so their other views of it (another
   * device, the chat opened again) ask the bot and get the decided card. Sending it again with `updateActivity`
   * would cost a connector call per click for nothing visible. Without `refresh` for them (no Teams id known,
   * more holders than `refresh` takes) the card is updated like every other. One already marked needs nothing.
   */
  private answeredCard(decision: Decision): StoredCard | undefined {
    const { clicker, audience } = decision;
    if (!clicker.activityId) return undefined;
    const mri = audience.conversations.get(clicker.userId)?.userMri;
    if (!mri || !audience.refreshUserIds.slice(0, maxRefreshUserIds).includes(mri)) return undefined;
    return audience.cards.find((c) => c.userId === clicker.userId && c.activityId === clicker.activityId && c.factsObject.decisionShown !== true);
  }

  /** A holder's card of the decided stage, in their language. */
  private async decidedCard(userId: string, conversation: ConversationRecord, facts: ApprovalFacts, decision: Decision): Promise<{ card: AdaptiveCard; decided: boolean }> {
    const { clicker, stage, audience, ids } = decision;
    // The clicker's cards show what their invoke was answered with (in the same locale).
    if (clicker.userId === userId && clicker.locale === conversation.locale) return { card: clicker.card, decided: true };
    const s = stringsFor(conversation.locale);
    if (facts.content && (facts.contentLocale ?? null) === conversation.locale) {
      const theirs = { ...stage, stage: { ...stage.stage, assignedToMe: false } };
      return { card: approvalCard(approvalViewOf(facts.content, theirs, null, { s, locale: conversation.locale, facts, refreshUserIds: audience.refreshUserIds, notice: null }), s), decided: true };
    }
    const user: TeamsUser = { aadObjectId: userId, tenantId: conversation.tenantId };
    return this.deps.actions.approvalView({ graph: this.deps.graphFor(user), user, locale: conversation.locale, s }, ids, null, { facts, audience });
  }
}
