import type { Client } from '@microsoft/microsoft-graph-client';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../context';
import type { ActionContext, Actions, VerbHandler } from './actions';
import { BadCardDataError } from './actions';
import { localized } from './approvals';
import { attachment, type AdaptiveCard } from './cards/card';
import { messageCard } from './cards/help';
import {
  changeFormCard,
  myAccessCard,
  myRequestsCard,
  noApprovalsCard,
  packagesCard,
  requestFormCard,
  requestItem,
  requestStatusCard,
  waitingCard,
  type AccessItem,
  type QuestionView,
} from './cards/requests';
import type { CommandName } from './commands';
import type { Connector } from './connector';
import type { ConversationRecord, ConversationStore } from './conversations';
import { engine, graphStatus, type Assignment, type Question } from './engine';
import type { TeamsUser } from './graphAccess';
import type { SentCards } from './sentCards';
import { formatDateTime, stringsFor, type Strings } from './strings';
import { verbs } from './verbs';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema';

const id = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an id');
const pageSize = 5;

export interface ChatDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  graphFor(user: TeamsUser): Client;
  conversations: ConversationStore;
  /** Status cards are remembered, so the notice sender keeps them true as their request moves. */
  cards: SentCards;
  connector: Connector;
  actions: Actions;
}

/**
 * Requests in chat and the other commands: request access (list, search, page; a pasted link or id),
 * the request form, the status card, my requests (cancel), my access (extend, leave), approvals, and
 * what waits on first contact. Reads and writes go through Graph as the person.
 */
export class Chat {
  constructor(private readonly deps: ChatDeps) {
    const register = <T>(verb: string, handler: VerbHandler<T>) => deps.actions.register(verb, handler as unknown as VerbHandler<never>);
    register(verbs.listPackages, {
      data: z.object({ page: z.string().regex(/^\d{1,4}$/).optional(), search: z.string().max(100).optional() }),
      handle: (ctx, data) => this.packages(ctx.graph, ctx.s, data.search ?? '', Number(data.page ?? '0')),
    });
    register(verbs.openPackage, { data: z.object({ accessPackageId: id }), handle: (ctx, data) => this.requestForm(ctx.graph, ctx.s, ctx.locale, data.accessPackageId, null) });
    register(verbs.submitRequest, { data: z.looseObject({ accessPackageId: id, justification: z.string().max(2000).optional() }), handle: (ctx, data) => this.submit(ctx, data) });
    register(verbs.refreshRequest, { data: z.object({ requestId: id }), handle: async (ctx, data) => requestStatusCard(requestItem(await engine.request(ctx.graph, data.requestId), ctx.locale), ctx.s) });
    register(verbs.cancelRequest, {
      data: z.object({ requestId: id }),
      handle: async (ctx, data) => {
        let notice: string | null = null;
        try {
          await engine.cancel(ctx.graph, data.requestId);
        } catch (error) {
          notice = ctx.s.invalidAction;
          if (graphStatus(error) === 404) throw error;
          if (graphStatus(error) !== 409 && graphStatus(error) !== 403 && graphStatus(error) !== 400) throw error;
        }
        return requestStatusCard(requestItem(await engine.request(ctx.graph, data.requestId), ctx.locale), ctx.s, notice);
      },
    });
    const change = z.object({ assignmentId: id, justification: z.string().max(2000).optional() });
    register(verbs.extend, { data: change, handle: (ctx, data) => this.change(ctx, data.assignmentId, 'userUpdate', data.justification) });
    register(verbs.leave, { data: change, handle: (ctx, data) => this.change(ctx, data.assignmentId, 'userRemove', data.justification) });
  }

  async command(user: TeamsUser, locale: string | undefined, command: CommandName, rest: string): Promise<AdaptiveCard[]> {
    const graph = this.deps.graphFor(user);
    const s = stringsFor(locale);
    switch (command) {
      case 'requestAccess':
        return [await this.packages(graph, s, rest, 0)];
      case 'myRequests': {
        const requests = await engine.myRequests(graph);
        return [myRequestsCard(requests.map((r) => requestItem(r, locale)), s)];
      }
      case 'myAccess': {
        const assignments = await engine.myAssignments(graph);
        return [myAccessCard(assignments.map((a) => accessItem(a, locale)), s)];
      }
      case 'approvals': {
        const pending = await engine.pendingApprovals(graph);
        if (pending.length === 0) return [noApprovalsCard(s)];
        const cards: AdaptiveCard[] = [];
        for (const approval of pending.slice(0, 10)) {
          const stage = approval.stages.find((st) => st.assignedToMe);
          if (stage) cards.push(await this.deps.actions.approvalFor({ graph, user, locale, s }, { requestId: approval.id, stageId: stage.id }, null));
        }
        return cards;
      }
      case 'help':
        return [];
    }
  }

  /** A pasted direct link or package id: that package's request form, hidden or not. */
  async requestCard(user: TeamsUser, locale: string | undefined, accessPackageId: string): Promise<AdaptiveCard[]> {
    const s = stringsFor(locale);
    try {
      return [await this.requestForm(this.deps.graphFor(user), s, locale, accessPackageId, null)];
    } catch (error) {
      if (graphStatus(error) === 404 || graphStatus(error) === 403) return [messageCard(s.appName, s.notFound, 'Attention')];
      throw error;
    }
  }

  /** First contact: what waits (pending approvals, open requests); notices kept meanwhile are not replayed. */
  async waiting(user: TeamsUser, locale: string | undefined): Promise<AdaptiveCard[]> {
    const graph = this.deps.graphFor(user);
    const [approvals, requests] = await Promise.all([engine.pendingApprovals(graph), engine.myRequests(graph)]);
    await this.deps.db
      .updateTable('notifications')
      .set({ teamsState: 'superseded', teamsError: 'shown as what is waiting on first contact' })
      .where('recipientId', '=', user.aadObjectId.toLowerCase())
      .where('teamsState', '=', 'noConversation')
      .execute();
    if (approvals.length === 0 && requests.length === 0) return [];
    return [waitingCard({ approvals: approvals.length, requests: requests.length }, stringsFor(locale))];
  }

  /** Answers asked for in a team or group chat go to the person's personal chat (created if needed). */
  async sendPersonally(user: TeamsUser, memberId: string, from: ConversationRecord | undefined, cards: AdaptiveCard[]): Promise<void> {
    const userId = user.aadObjectId.toLowerCase();
    let personal = await this.deps.conversations.personal(userId);
    if (!personal && from) {
      const created = await this.deps.connector.createPersonalConversation(from.serviceUrl, { botId: from.botId, memberId, tenantId: user.tenantId });
      personal = { ...from, id: created.id, conversationType: 'personal', userId, userMri: memberId, teamId: null, aadGroupId: null };
      await this.deps.conversations.save(personal, this.deps.clock.now());
    }
    if (!personal) return;
    for (const content of cards) await this.deps.connector.send(personal.serviceUrl, personal.id, { type: 'message', attachments: [attachment(content)] });
  }

  private async packages(graph: Client, s: Strings, search: string, page: number): Promise<AdaptiveCard> {
    const { items, more } = await engine.requestablePackages(graph, search.trim(), page * pageSize, pageSize);
    return packagesCard(
      items.map((p) => ({ id: p.id, name: p.displayName, description: p.description ?? null, catalog: p.catalog?.displayName ?? null })),
      { search, page, more },
      s,
    );
  }

  private async requestForm(graph: Client, s: Strings, locale: string | null | undefined, accessPackageId: string, notice: string | null): Promise<AdaptiveCard> {
    const [pkg, requirements] = await Promise.all([engine.accessPackage(graph, accessPackageId), engine.requirements(graph, accessPackageId)]);
    const policy = requirements[0];
    if (!policy) return messageCard(s.requestTitle(pkg.displayName), s.noPackages, 'Attention');
    return requestFormCard(
      {
        accessPackageId,
        name: pkg.displayName,
        description: pkg.description ?? null,
        questions: policy.questions.map((q) => questionView(q, locale)),
        justificationRequired: policy.isRequestorJustificationRequired,
        customSchedule: policy.allowCustomAssignmentSchedule,
        notice,
      },
      s,
    );
  }

  private async submit(ctx: ActionContext, data: { accessPackageId: string; justification?: string } & Record<string, unknown>): Promise<AdaptiveCard> {
    const requirements = await engine.requirements(ctx.graph, data.accessPackageId);
    const policy = requirements[0];
    if (!policy) throw new BadCardDataError('No policy lets you request this package.');
    const answers = policy.questions
      .map((q) => {
        const value = data[`q_${q.id}`];
        if (value !== undefined && typeof value !== 'string') throw new BadCardDataError(`Answer to question ${q.id} must be text.`);
        if (!value) return undefined;
        const choice = q['@odata.type'].includes('MultipleChoice');
        return { '@odata.type': choice ? '#microsoft.graph.accessPackageAnswerChoice' : '#microsoft.graph.accessPackageAnswerString', value, answeredQuestion: { id: q.id } };
      })
      .filter((a) => a !== undefined);
    const start = typeof data.startDate === 'string' && data.startDate ? `${data.startDate}T00:00:00Z` : undefined;
    const end = typeof data.endDate === 'string' && data.endDate ? `${data.endDate}T23:59:59Z` : undefined;
    try {
      const created = await engine.submit(ctx.graph, {
        requestType: 'userAdd',
        assignment: { accessPackageId: data.accessPackageId, assignmentPolicyId: policy.policyId },
        justification: data.justification ?? '',
        answers,
        ...(policy.allowCustomAssignmentSchedule && (start || end) ? { schedule: { startDateTime: start ?? new Date().toISOString(), expiration: end ? { type: 'afterDateTime', endDateTime: end } : { type: 'notSpecified' } } } : {}),
      });
      // The status card takes the form's place: remembered, the sender updates it as the request moves (and sends no
      // second one). Saved first thing: the job runner, woken by the submit, is on its way to the submitted notice.
      if (ctx.clickedActivityId && ctx.conversationId) {
        await this.deps.cards.save({ kind: 'status', subjectId: created.id, userId: ctx.user.aadObjectId.toLowerCase(), conversationId: ctx.conversationId, activityId: ctx.clickedActivityId, facts: {} }, this.deps.clock.now());
      }
      const pkg = await engine.accessPackage(ctx.graph, data.accessPackageId);
      return requestStatusCard(requestItem({ ...created, accessPackage: pkg }, ctx.locale), ctx.s);
    } catch (error) {
      const status = graphStatus(error);
      if (status === 400 || status === 409 || status === 403) {
        // The engine checks again what the card checked; its refusal is shown on the same form.
        const message = status === 409 ? ctx.s.alreadyDecided.split(';')[0] : ctx.s.invalidAction;
        return this.requestForm(ctx.graph, ctx.s, ctx.locale, data.accessPackageId, `${message} ${sanitize(error)}`);
      }
      throw error;
    }
  }

  private async change(ctx: ActionContext, assignmentId: string, requestType: 'userUpdate' | 'userRemove', justification: string | undefined): Promise<AdaptiveCard> {
    const assignment = await engine.assignment(ctx.graph, assignmentId);
    const name = assignment.accessPackage?.displayName ?? '—';
    const required = requestType === 'userUpdate' && assignment.assignmentPolicy?.requestApprovalSettings?.isRequestorJustificationRequired === true;
    const form = (notice: string | null) =>
      changeFormCard({ assignmentId, packageName: name, verb: requestType === 'userUpdate' ? verbs.extend : verbs.leave, title: requestType === 'userUpdate' ? ctx.s.extend : ctx.s.leave, justificationRequired: required, notice }, ctx.s);
    // The policy asks why: the click opens the form first, and the form's click sends it.
    if (required && !justification?.trim()) return form(null);
    try {
      await engine.submit(ctx.graph, { requestType, assignment: { id: assignmentId }, justification: justification?.trim() ?? '' });
    } catch (error) {
      const status = graphStatus(error);
      if (status === 400) return form(`${ctx.s.invalidAction} ${sanitize(error)}`);
      if (status === 403 || status === 409) return messageCard(name, `${ctx.s.invalidAction} ${sanitize(error)}`, 'Attention');
      throw error;
    }
    return messageCard(name, requestType === 'userUpdate' ? ctx.s.extendRequested(name) : ctx.s.leaveRequested(name), 'Good');
  }
}

function accessItem(a: Assignment, locale: string | null | undefined): AccessItem {
  const settings = a.assignmentPolicy?.requestorSettings;
  const end = a.schedule?.expiration?.endDateTime ?? null;
  return {
    assignmentId: a.id,
    accessPackageId: a.accessPackage?.id ?? '',
    packageName: a.accessPackage?.displayName ?? '—',
    ends: end ? formatDateTime(end, locale) : null,
    canExtend: settings?.enableTargetsToSelfUpdateAccess === true && end !== null,
    canLeave: settings?.enableTargetsToSelfRemoveAccess === true,
  };
}

function questionView(q: Question, locale: string | null | undefined): QuestionView {
  const choices = q.choices?.map((c) => ({ title: localized(c.text, c.localizations, locale), value: c.actualValue })) ?? null;
  return { id: q.id, text: localized(q.text, q.localizations, locale), required: q.isRequired, multiline: q.isSingleLineQuestion === false, regex: q.regexPattern ?? null, choices: choices && choices.length > 0 ? choices : null };
}

/** The engine's message for a refused request, as plain one-line text (it names the rule, never internals). */
function sanitize(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  return message.replace(/\s+/g, ' ').slice(0, 300);
}

