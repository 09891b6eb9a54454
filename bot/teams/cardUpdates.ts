import type { Client } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import type { Actions, ClickerView } from './actions';
import type { AdaptiveCard } from './cards/card';
import { attachment } from './cards/card';
import type { Connector } from './connector';
import type { ConversationRecord, ConversationStore } from './conversations';
import type { TeamsUser } from './graphAccess';
import type { SentCards } from './sentCards';
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
  async pending(userId: string, conversation: ConversationRecord, requestId: string, stageId?: string, known?: { card: AdaptiveCard; decided: boolean }): Promise<ApprovalCardUpdate[]> {
    const stored = (await this.deps.cards.findByPrefix('approval', stageId ? `${requestId}/${stageId}` : `${requestId}/`, userId)).filter((c) => c.factsObject.decisionShown !== true);
    if (stored.length === 0) return [];
    const user: TeamsUser = { aadObjectId: userId, tenantId: conversation.tenantId };
    const ctx = { graph: this.deps.graphFor(user), user, locale: conversation.locale, s: stringsFor(conversation.locale) };
    // Every card of one stage a person holds shows the same (the newest facts): built once per stage.
    const views = new Map<string, Promise<{ card: AdaptiveCard; decided: boolean }>>();
    if (known && stageId) views.set(stageId, Promise.resolve(known));
    const updates: ApprovalCardUpdate[] = [];
    for (const c of stored) {
      const [, sid] = c.subjectId.split('/');
      let view = views.get(sid);
      if (!view) {
        view = this.deps.actions.approvalView(ctx, { requestId, stageId: sid }, null);
        views.set(sid, view);
      }
      const { card, decided } = await view;
      updates.push({ cardId: c.id, conversationId: c.conversationId, activityId: c.activityId, card, decided });
    }
    return updates;
  }

  /** Marks the cards that now show their stage's decision (after Teams took the update). */
  async shown(updates: readonly ApprovalCardUpdate[]): Promise<void> {
    const decided = updates.filter((u) => u.decided).map((u) => u.cardId);
    if (decided.length > 0) await this.deps.cards.markDecisionShown(decided);
  }

  /**
   * Right after a decision committed: every holder's cards of the stage updated now instead of after the
   * job runner's next pass. Best effort; what fails here is left to the sender's notices.
   */
  async afterDecision(requestId: string, stageId: string, clicker?: ClickerView): Promise<void> {
    const holders = await this.deps.cards.holders('approval', `${requestId}/${stageId}`);
    await Promise.all(
      holders.map(async (userId) => {
        try {
          const conversation = await this.deps.conversations.personal(userId);
          if (!conversation) return;
          // The clicker's cards show what their invoke was answered with (read as them a moment ago, in the same locale).
          const known = clicker && clicker.userId === userId && clicker.locale === conversation.locale ? clicker : undefined;
          const updates = await this.pending(userId, conversation, requestId, stageId, known);
          const done: ApprovalCardUpdate[] = [];
          try {
            for (const u of updates) {
              await this.deps.connector.update(conversation.serviceUrl, u.conversationId, u.activityId, { type: 'message', attachments: [attachment(u.card)] });
              done.push(u);
            }
          } finally {
            await this.shown(done);
          }
        } catch (error) {
          this.deps.log.warn({ err: error, requestId, stageId }, 'approval card not updated at once; the notice sender will');
        }
      }),
    );
  }
}
