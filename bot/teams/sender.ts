import { randomUUID } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../context';
import { eventTypes } from '../events/types';
import type { Dialect } from '../store/db';
import { prepared } from '../store/prepared';
import type { Database, NotificationsTable } from '../store/schema';
import type { Actions } from './actions';
import type { ApprovalFacts } from './approvals';
import { attachment, execute, plain, type AdaptiveCard } from './cards/card';
import { noticeCard } from './cards/notices';
import { requestItem, requestStatusCard } from './cards/requests';
import type { ApprovalCardUpdate, ApprovalCardUpdates } from './cardUpdates';
import { Connector, ConnectorError } from './connector';
import type { ConversationRecord, ConversationStore } from './conversations';
import { engine, graphStatus } from './engine';
import type { TeamsUser } from './graphAccess';
import type { Reviews } from './reviews';
import type { SentCards } from './sentCards';
import { formatDateTime, stringsFor, type Strings } from './strings';
import { verbs } from './verbs';

export interface SenderDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  log: Logger;
  conversations: ConversationStore;
  cards: SentCards;
  connector: Connector;
  graphFor(user: TeamsUser): Client;
  actions: Actions;
  cardUpdates: ApprovalCardUpdates;
  reviews: Reviews;
  botId: string;
  batchSize?: number;
  concurrency?: number;
  leaseMs?: number;
  maxAttempts?: number;
}

type Notice = Selectable<NotificationsTable> & { data: Record<string, unknown> & { recipientRoles?: string[] } };

/** What one claimed batch shares: its recipients' personal chats (read at once) and the notices to stamp sent. */
interface Batch {
  conversations: Map<string, ConversationRecord>;
  sent: Array<{ notice: Notice; reason: string | null }>;
}

/** What a notice becomes in Teams: a new message, an update of a card sent before, or nothing to say. */
type Delivery =
  | { kind: 'send'; card: AdaptiveCard; remember?: { kind: string; subjectId: string; facts: object } }
  | { kind: 'update'; updates: ApprovalCardUpdate[] }
  | { kind: 'none'; reason: string };

/** The events after which a request's status cards show something new (`submitted` made the card). */
const statusEvents = new Set<string>([eventTypes.stageDecided, eventTypes.requestDenied, eventTypes.requestExpired, eventTypes.requestCanceled, eventTypes.assignmentDelivered, eventTypes.deliveryFailed]);

/** Retry delay after the n-th failed attempt: 2 s, 4 s … at most an hour; `Retry-After` when longer. */
export function retryDelayMs(attempts: number, retryAfterMs?: number): number {
  const backoff = Math.min(3_600_000, 1000 * 2 ** Math.max(1, attempts));
  return Math.max(backoff, retryAfterMs ?? 0);
}

/**
 * The notice sender: turns each `notifications` row into a Teams message for its recipient, by event
 * type and role, and stamps it sent. Rows are claimed with a lease (any instance may send), one
 * recipient's notices in order, recipients in parallel. 429/5xx/network → retried with back-off
 * honouring `Retry-After`; 403/404 (blocked, uninstalled, gone) → `stopped` with the reason; no
 * conversation and no shared team → `noConversation`, kept for the person's first contact.
 *
 * At least once: a crash between the connector's answer and the stamp sends that notice again.
 */
export class NoticeSender {
  private readonly owner = `sender:${randomUUID()}`;

  constructor(private readonly deps: SenderDeps) {}

  async runOnce(): Promise<number> {
    const claimed = await this.claim();
    if (claimed.length === 0) return 0;
    const byRecipient = new Map<string, Notice[]>();
    for (const n of claimed) byRecipient.set(n.recipientId, [...(byRecipient.get(n.recipientId) ?? []), n]);
    const batch: Batch = { conversations: await this.deps.conversations.personalOf([...byRecipient.keys()]), sent: [] };
    const queues = [...byRecipient.values()];
    try {
      const workers = Array.from({ length: Math.min(this.deps.concurrency ?? 16, queues.length) }, async () => {
        for (let queue = queues.shift(); queue; queue = queues.shift()) {
          for (const notice of queue) await this.handle(notice, batch);
        }
      });
      await Promise.all(workers);
    } finally {
      await this.stampSent(batch.sent);
    }
    return claimed.length;
  }

  /**
   * Stamps the batch's sent notices in one statement per reason (one commit instead of one per notice).
   * A crash before it sends those notices again (at least once, docs/EVENTS.md).
   */
  private async stampSent(sent: Batch['sent']): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    const byReason = new Map<string | null, Notice[]>();
    for (const { notice, reason } of sent) byReason.set(reason, [...(byReason.get(reason) ?? []), notice]);
    for (const [reason, notices] of byReason) {
      for (let i = 0; i < notices.length; i += 500) {
        const chunk = notices.slice(i, i + 500);
        await this.deps.db
          .updateTable('notifications')
          .set({ teamsState: 'sent', sentDateTime: now, teamsError: reason, teamsLeaseOwner: null, teamsLeaseExpiresDateTime: null })
          .where(
            'id',
            'in',
            chunk.map((n) => n.id),
          )
          // Every row of a claim carries that claim's lease: a row whose lease was lost is not stamped here.
          .where('teamsLeaseOwner', '=', chunk[0].teamsLeaseOwner)
          .execute();
      }
    }
  }

  private async claim(): Promise<Notice[]> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const nowIso = now.toISOString();
    const lease = `${this.owner}:${randomUUID()}`;
    const until = new Date(now.getTime() + (this.deps.leaseMs ?? 60_000)).toISOString();
    // The oldest due notices: those never tried and those whose retry is due, each read in creation order from the
    // queue index (notifications_teams_queue) up to the batch size, merged. One query with both ranges would sort
    // every pending notice on each claim.
    const limit = this.deps.batchSize ?? 100;
    const [fresh, retries] = await Promise.all([freshNotices.all(db, { now: nowIso, limit }), dueRetries.all(db, { now: nowIso, limit })]);
    const candidates = [...fresh, ...retries].sort(byCreation).slice(0, limit);
    if (candidates.length === 0) return [];
    // The conditional update decides races between instances: a row leased meanwhile is not taken.
    await db
      .updateTable('notifications')
      .set({ teamsLeaseOwner: lease, teamsLeaseExpiresDateTime: until })
      .where(
        'id',
        'in',
        candidates.map((c) => c.id),
      )
      .where('teamsState', '=', 'pending')
      .where((eb) => eb.or([eb('teamsLeaseExpiresDateTime', 'is', null), eb('teamsLeaseExpiresDateTime', '<', nowIso)]))
      .execute();
    // What this claim took: by id (the lease column has no index; a scan of every notice ever written otherwise).
    const rows = await db
      .selectFrom('notifications')
      .selectAll()
      .where(
        'id',
        'in',
        candidates.map((c) => c.id),
      )
      .where('teamsLeaseOwner', '=', lease)
      .orderBy('createdDateTime')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...r, data: JSON.parse(r.payload) as Notice['data'] }));
  }

  private async finish(notice: Notice, set: Partial<Pick<Selectable<NotificationsTable>, 'teamsState' | 'sentDateTime' | 'teamsError' | 'teamsAttempts' | 'teamsNextAttemptDateTime'>>): Promise<void> {
    await this.deps.db
      .updateTable('notifications')
      .set({ ...set, teamsLeaseOwner: null, teamsLeaseExpiresDateTime: null })
      .where('id', '=', notice.id)
      .where('teamsLeaseOwner', '=', notice.teamsLeaseOwner)
      .execute();
  }

  private async handle(notice: Notice, batch: Batch): Promise<void> {
    const { log, clock } = this.deps;
    const context = { notice: notice.id, eventType: notice.eventType, attempts: notice.teamsAttempts };
    try {
      const conversation = await this.conversationOf(notice.recipientId, batch);
      if (!conversation) {
        await this.finish(notice, { teamsState: 'noConversation', teamsError: 'no personal chat and no team shared with the bot' });
        log.info(context, 'notice kept: the recipient has no conversation with the bot yet');
        return;
      }
      const delivery = await this.render(notice, conversation);
      // Before the notice itself: a failure to update is retried with the notice, and an update twice changes nothing.
      await this.followStatusCards(notice, conversation);
      if (delivery.kind === 'none') {
        batch.sent.push({ notice, reason: delivery.reason });
        return;
      }
      if (delivery.kind === 'send') {
        const sent = await this.deps.connector.send(conversation.serviceUrl, conversation.id, { type: 'message', attachments: [attachment(delivery.card)], locale: conversation.locale ?? undefined });
        if (delivery.remember && sent.id) {
          await this.deps.cards.save({ ...delivery.remember, userId: notice.recipientId, conversationId: conversation.id, activityId: sent.id }, clock.now());
        }
      } else {
        for (const u of delivery.updates) await this.deps.connector.update(conversation.serviceUrl, u.conversationId, u.activityId, { type: 'message', attachments: [attachment(u.card)] });
        await this.deps.cardUpdates.shown(delivery.updates);
      }
      batch.sent.push({ notice, reason: null });
    } catch (error) {
      await this.failed(notice, error, context, batch);
    }
  }

  private async failed(notice: Notice, error: unknown, context: Record<string, unknown>, batch: Batch): Promise<void> {
    const { log, clock } = this.deps;
    const attempts = notice.teamsAttempts + 1;
    const status = error instanceof ConnectorError ? error.status : graphStatus(error);
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof ConnectorError && !error.retryable) {
      // 403: the person blocked or uninstalled the bot; 404: the conversation or card is gone. Retrying changes nothing.
      await this.finish(notice, { teamsState: 'stopped', teamsAttempts: attempts, teamsError: reason });
      if (status === 403 || status === 404) {
        const conversation = await this.deps.conversations.personal(notice.recipientId);
        if (conversation && status === 403) {
          await this.deps.conversations.remove(conversation.id);
          batch.conversations.delete(notice.recipientId);
        }
      }
      log.warn({ ...context, status }, 'notice stopped: Teams refused it');
      return;
    }
    if (!(error instanceof ConnectorError) && (status === 403 || status === 404)) {
      await this.finish(notice, { teamsState: 'stopped', teamsAttempts: attempts, teamsError: `the recipient may not see what the notice is about (${status})` });
      log.warn({ ...context, status }, 'notice stopped: the recipient may no longer see its subject');
      return;
    }
    if (attempts >= (this.deps.maxAttempts ?? 10)) {
      await this.finish(notice, { teamsState: 'failed', teamsAttempts: attempts, teamsError: reason });
      log.error({ ...context, status, err: error }, 'notice failed after its last attempt');
      return;
    }
    const delay = retryDelayMs(attempts, error instanceof ConnectorError ? error.retryAfterMs : undefined);
    await this.finish(notice, { teamsState: 'pending', teamsAttempts: attempts, teamsError: reason, teamsNextAttemptDateTime: new Date(clock.now().getTime() + delay).toISOString() });
    log.warn({ ...context, status, retryInMs: delay }, 'notice not sent; it will be retried');
  }

  /**
   * The status cards the recipient holds of the notice's request (the ones that took a chat form's place, and
   * the one a `submitted` notice sent) show where the request stands now. Teams' `refresh` does so as well when
   * a card is viewed; an update reaches every client, and those without Universal Actions' refresh.
   */
  private async followStatusCards(notice: Notice, conversation: ConversationRecord): Promise<void> {
    const requestId = typeof notice.data.requestId === 'string' ? notice.data.requestId : '';
    const roles = notice.data.recipientRoles ?? [];
    if (!requestId || !statusEvents.has(notice.eventType) || !(roles.includes('requestor') || roles.includes('target'))) return;
    const held = await this.deps.cards.heldBy('status', requestId, notice.recipientId);
    if (held.length === 0) return;
    const graph = this.deps.graphFor({ aadObjectId: notice.recipientId, tenantId: conversation.tenantId });
    const card = requestStatusCard(requestItem(await engine.request(graph, requestId), conversation.locale), stringsFor(conversation.locale));
    for (const held1 of held) {
      try {
        await this.deps.connector.update(conversation.serviceUrl, held1.conversationId, held1.activityId, { type: 'message', attachments: [attachment(card)] });
      } catch (error) {
        // The message was deleted, or the chat is gone: the notice itself still says it.
        if (!(error instanceof ConnectorError) || error.retryable) throw error;
        this.deps.log.info({ notice: notice.id, status: error.status }, 'status card not updated: Teams refused it');
      }
    }
  }

  /** The recipient's personal chat (read for the whole batch at once); else one is created through a team they share with the bot. */
  private async conversationOf(userId: string, batch: Batch): Promise<ConversationRecord | undefined> {
    const personal = batch.conversations.get(userId);
    if (personal) return personal;
    const team = await this.deps.conversations.sharedTeam(userId);
    if (!team?.teamId) return undefined;
    const member = await this.deps.connector.teamMember(team.serviceUrl, team.teamId, userId);
    if (!member) return undefined;
    const created = await this.deps.connector.createPersonalConversation(team.serviceUrl, { botId: team.botId, memberId: member.id, tenantId: team.tenantId });
    const record: ConversationRecord = { ...team, id: created.id, conversationType: 'personal', userId, userMri: member.id, teamId: null, aadGroupId: null };
    await this.deps.conversations.save(record, this.deps.clock.now());
    batch.conversations.set(userId, record);
    return record;
  }

  /** The Teams side of one notice, read through Graph as its recipient. */
  private async render(notice: Notice, conversation: ConversationRecord): Promise<Delivery> {
    const user: TeamsUser = { aadObjectId: notice.recipientId, tenantId: conversation.tenantId };
    const graph = this.deps.graphFor(user);
    const locale = conversation.locale;
    const s = stringsFor(locale);
    const d = notice.data;
    const roles = new Set(d.recipientRoles ?? []);
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const requestId = str(d.requestId);

    // A card sent keeps what it shows of the request (read as its holder now): a decision then re-reads the stage only.
    const approvalCardFor = async (stageId: string, facts: ApprovalFacts) => {
      const view = await this.deps.actions.approvalView({ graph, user, locale, s }, { requestId, stageId }, null, { facts });
      return { card: view.card, facts: view.content ? { ...facts, content: view.content, contentLocale: locale } : facts };
    };
    // Cards that already show their stage's decision (updated at once by the decision's invoke) are left alone.
    const updateApprovalCards = async (stageId?: string): Promise<Delivery> => {
      const updates = await this.deps.cardUpdates.pending(notice.recipientId, conversation, requestId, stageId);
      if (updates.length === 0) return { kind: 'none', reason: 'no approval card left to update' };
      return { kind: 'update', updates };
    };
    const packageName = async (): Promise<string> => {
      try {
        if (d.assignmentId) return (await engine.assignmentPackageName(graph, str(d.assignmentId))) ?? '—';
        if (requestId) return (await engine.request(graph, requestId)).accessPackage?.displayName ?? '—';
        if (d.accessPackageId) return (await engine.accessPackage(graph, str(d.accessPackageId))).displayName;
      } catch (error) {
        if (graphStatus(error) !== 404 && graphStatus(error) !== 403) throw error;
      }
      return '—';
    };
    const notice1 = (title: string, lines: string[], extra: Partial<Parameters<typeof noticeCard>[0]> = {}): Delivery => ({ kind: 'send', card: noticeCard({ title, lines, ...extra }) });

    switch (notice.eventType) {
      case eventTypes.requestSubmitted: {
        // Submitted in chat: the status card took the form's place there already.
        if ((await this.deps.cards.heldBy('status', requestId, notice.recipientId)).length > 0) return { kind: 'none', reason: 'the status card was shown when the request was submitted in chat' };
        const request = await engine.request(graph, requestId);
        const card = requestStatusCard(requestItem(request, locale), s);
        return { kind: 'send', card, remember: { kind: 'status', subjectId: requestId, facts: {} } };
      }
      case eventTypes.stageStarted:
      case eventTypes.stageEscalated: {
        const stageId = str(d.stageId);
        const approverIds = Array.isArray(d.approverIds) ? d.approverIds.filter((a): a is string => typeof a === 'string') : [];
        const facts: ApprovalFacts = { due: str(d.dueDateTime) || null, askedAs: notice.eventType === eventTypes.stageEscalated ? 'escalation' : d.usedFallback === true ? 'fallback' : 'primary', approverIds };
        // The card must know its own holder before it is built (refresh lists the approvers that hold one).
        const built = await approvalCardFor(stageId, facts);
        return { kind: 'send', card: built.card, remember: { kind: 'approval', subjectId: `${requestId}/${stageId}`, facts: built.facts } };
      }
      case eventTypes.approvalReminder: {
        const stageId = str(d.stageId);
        const stored = await this.deps.cards.find('approval', `${requestId}/${stageId}`, notice.recipientId);
        const { decisionShown: _shown, ...earlier } = (stored?.factsObject ?? {}) as ApprovalFacts;
        void _shown;
        const facts: ApprovalFacts = { ...earlier, due: str(d.dueDateTime) || null, reminder: true };
        const built = await approvalCardFor(stageId, facts);
        // A reminder is a new card (it should be seen); the first one is kept and updated as well.
        return { kind: 'send', card: built.card, remember: { kind: 'approval', subjectId: `${requestId}/${stageId}`, facts: built.facts } };
      }
      case eventTypes.stageDecided: {
        if (roles.has('approver')) return updateApprovalCards(str(d.stageId));
        return notice1(s.appName, [s.requestApprovedStage(plain(await packageName()))], { tone: 'Good' });
      }
      case eventTypes.requestDenied:
      case eventTypes.requestExpired:
      case eventTypes.requestCanceled: {
        if (roles.has('approver') && !roles.has('requestor') && !roles.has('target')) return updateApprovalCards();
        const name = plain(await packageName());
        const line = notice.eventType === eventTypes.requestDenied ? s.requestDenied(name) : notice.eventType === eventTypes.requestExpired ? s.requestExpired(name) : s.requestCanceled(name);
        return notice1(s.appName, [line], { tone: 'Attention', facts: [[s.reason, plain(str(d.reason))]] });
      }
      case eventTypes.assignmentDelivered: {
        const end = str(d.endDateTime);
        return notice1(s.appName, [s.delivered(plain(await packageName())), ...(end ? [s.deliveredUntil(formatDateTime(end, locale))] : [])], { tone: 'Good' });
      }
      case eventTypes.deliveryFailed:
        return notice1(s.appName, [s.deliveryFailed(plain(await packageName()), formatDateTime(str(d.nextAttemptDateTime), locale))], { tone: 'Warning' });
      case eventTypes.assignmentExpiringSoon: {
        const actions = d.canExtend === true ? [execute(s.extend, verbs.extend, { assignmentId: str(d.assignmentId) }, { style: 'positive' })] : [];
        return notice1(s.appName, [s.expiringSoon(plain(await packageName()), formatDateTime(str(d.endDateTime), locale))], { tone: 'Warning', actions });
      }
      case eventTypes.assignmentExpired:
        return notice1(s.appName, [s.expired(plain(await packageName()))]);
      case eventTypes.assignmentRemoved:
        return notice1(s.appName, [s.removed(plain(await packageName()))], { facts: [[s.reason, plain(str(d.reason))]] });
      case eventTypes.assignmentExtended:
        return notice1(s.appName, [s.extended(plain(await packageName()), formatDateTime(str(d.endDateTime), locale))], { tone: 'Good' });
      case eventTypes.reviewStarted:
        return { kind: 'send', card: await this.deps.reviews.card({ graph, locale, s }, { definitionId: str(d.definitionId), instanceId: str(d.instanceId), page: 0, due: str(d.endDateTime) || null }, null) };
      case eventTypes.reviewCompleted:
        return notice1(s.appName, [s.reviewCompleted(Number(d.removed ?? 0))]);
      case eventTypes.guestToBeBlocked:
      case eventTypes.guestBlocked:
      case eventTypes.guestToBeDeleted:
      case eventTypes.guestKept:
      case eventTypes.guestDeleted:
        return this.guestNotice(notice, graph, s, locale, roles.has('guest'));
      default:
        return { kind: 'none', reason: `no Teams message for ${notice.eventType}` };
    }
  }

  private async guestNotice(notice: Notice, graph: Client, s: Strings, locale: string | null, toGuest: boolean): Promise<Delivery> {
    const d = notice.data;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const guest = plain(str(d.displayName) || '—');
    const date = (v: unknown) => formatDateTime(str(v), locale);
    let lines: string[];
    switch (notice.eventType) {
      case eventTypes.guestToBeBlocked:
        lines = [toGuest ? s.guestToBeBlocked(date(d.blockDateTime)) : s.guestToBeBlockedSponsor(guest, date(d.blockDateTime))];
        break;
      case eventTypes.guestBlocked:
        lines = [toGuest ? s.guestBlocked : s.guestBlockedSponsor(guest), ...(d.deleteDateTime ? [s.guestDeleteOn(date(d.deleteDateTime))] : [])];
        break;
      case eventTypes.guestToBeDeleted:
        lines = [toGuest ? s.guestToBeDeleted(date(d.deleteDateTime)) : s.guestToBeDeletedSponsor(guest, date(d.deleteDateTime))];
        break;
      case eventTypes.guestKept:
        lines = [toGuest ? s.guestKept : s.guestKeptSponsor(guest)];
        break;
      default:
        lines = [s.guestDeletedSponsor(plain(str(d.displayName) || str(d.mail) || '—'))];
    }
    const warning = notice.eventType !== eventTypes.guestKept;
    // The guest may still ask for access in time: offer the package they last had, when they may request it.
    const actions = toGuest && warning && notice.eventType !== eventTypes.guestBlocked ? await this.requestAgainAction(graph, s) : [];
    return { kind: 'send', card: noticeCard({ title: s.appName, lines, actions, tone: warning ? 'Warning' : 'Good' }) };
  }

  private async requestAgainAction(graph: Client, s: Strings) {
    try {
      const ended = (await graph
        .api(`/identityGovernance/entitlementManagement/assignments/filterByCurrentUser(on='target')`)
        .query({ $expand: 'accessPackage', $orderby: 'expiredDateTime desc', $top: '5' })
        .get()) as { value: Array<{ accessPackage?: { id: string }; accessPackageId?: string }> };
      for (const a of ended.value) {
        const packageId = a.accessPackage?.id ?? a.accessPackageId;
        if (!packageId) continue;
        const requirements = await engine.requirements(graph, packageId).catch(() => []);
        if (requirements.length > 0) return [execute(s.requestAgain, verbs.openPackage, { accessPackageId: packageId }, { style: 'positive' })];
      }
      const requestable = await engine.requestablePackages(graph, '', 0, 1);
      if (requestable.items.length > 0) return [execute(s.requestAgain, verbs.listPackages, { page: '0' }, { style: 'positive' })];
    } catch (error) {
      if (graphStatus(error) === 0) throw error;
    }
    return [];
  }
}

const byCreation = (a: { createdDateTime: string; id: string }, b: { createdDateTime: string; id: string }): number =>
  a.createdDateTime < b.createdDateTime ? -1 : a.createdDateTime > b.createdDateTime ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * Pending notices not leased, oldest first, as a walk of the queue index that stops at the limit: those never tried
 * (`retries` false), or those whose retry is due (few: only those a connector failure put back).
 */
const queued = (retries: boolean) =>
  prepared((db, p: { now: string; limit: number }) =>
    db
      .selectFrom('notifications')
      .select(['id', 'createdDateTime'])
      .where('teamsState', '=', 'pending')
      .where((eb) => (retries ? eb('teamsNextAttemptDateTime', '<=', p.now) : eb('teamsNextAttemptDateTime', 'is', null)))
      .where((eb) => eb.or([eb('teamsLeaseExpiresDateTime', 'is', null), eb('teamsLeaseExpiresDateTime', '<', p.now)]))
      .orderBy('createdDateTime')
      .orderBy('id')
      .limit(p.limit),
  );
const freshNotices = queued(false);
const dueRetries = queued(true);
