import type { Client } from '@microsoft/microsoft-graph-client';
import type { ApprovalView } from './cards/approval';
import { type Approval, type ApprovalStage, engine, type AssignmentRequest, type RoleScope } from './engine';
import { formatDateTime, type Strings } from './strings';

/** What an approval card showed that Graph does not return (kept per card in `teams_cards.facts`). */
export interface ApprovalFacts {
  due?: string | null;
  askedAs?: 'primary' | 'fallback' | 'escalation';
  reminder?: boolean;
  /** The stage's approvers as the engine named them (for `refresh.userIds`). */
  approverIds?: string[];
  /** Set once the card shows its stage's decision (`ApprovalCardUpdates`): nothing about the stage changes it again. */
  decisionShown?: boolean;
  /** What the card showed of the request, read through Graph as its holder when it was built, in `contentLocale`. */
  content?: ApprovalContent;
  contentLocale?: string | null;
}

/**
 * The part of an approval card that does not change while the request waits: the request as it was submitted,
 * its package and requestor, formatted for one locale. Read through Graph as the card's holder when the card is
 * built, and kept with the card, so that a decision re-reads only the stage (`loadStage`).
 */
export type ApprovalContent = Pick<ApprovalView, 'stageNumber' | 'stageCount' | 'requestor' | 'packageName' | 'catalogName' | 'resources' | 'answers' | 'justification' | 'schedule' | 'justificationRequired'>;

/** A stage as Graph shows it to the reader, with its place among the approval's stages. */
export interface StageRead {
  requestId: string;
  stage: ApprovalStage;
  stageNumber: number;
  stageCount: number;
}

/** Per viewer: their language, their card's facts, who gets a refresh, their own notice. */
export interface ViewerContext {
  s: Strings;
  locale: string | null | undefined;
  facts: ApprovalFacts;
  refreshUserIds: string[];
  notice?: string | null;
}

/** The stage `ids` names, read through Graph as the person `graph` acts as (404 for who may not read it). */
export async function loadStage(graph: Client, ids: { requestId: string; stageId: string }): Promise<StageRead> {
  return stageOf(await engine.approval(graph, ids.requestId), ids);
}

function stageOf(approval: Approval, ids: { requestId: string; stageId: string }): StageRead {
  const index = approval.stages.findIndex((st) => st.id === ids.stageId);
  if (index < 0) throw new StageNotFoundError();
  return { requestId: ids.requestId, stage: approval.stages[index], stageNumber: index + 1, stageCount: approval.stages.length };
}

/** A stage someone decided (or the engine denied): its card is final. */
export const isDecided = (stage: ApprovalStage): boolean => stage.reviewResult === 'Approve' || stage.reviewResult === 'Deny';

/**
 * Whether a card of this stage follows from its kept content and the stage alone: decided, or still waiting in
 * this stage (then the request is pending approval). A stage closed otherwise (the request canceled, denied at an
 * earlier stage) needs the request's state: the card is read in full.
 */
export const followsFromStage = (stage: ApprovalStage): boolean => isDecided(stage) || stage.status === 'InProgress';

/**
 * The approval card's view for the person `graph` acts as, read in full: the request with its package, the
 * approval's stages, and whether this person may still decide — all read through Graph, so the card never
 * trusts what an earlier card said. Also returns the view's `content`, to keep with the card.
 */
export async function loadApprovalView(graph: Client, ids: { requestId: string; stageId: string }, context: ViewerContext): Promise<{ view: ApprovalView; content: ApprovalContent; stage: StageRead }> {
  const [request, approval] = await Promise.all([engine.approvalRequest(graph, ids.requestId), engine.approval(graph, ids.requestId)]);
  const stage = stageOf(approval, ids);
  const pkg = request.accessPackage;
  // What the person may not read of the package is left out of both reads alike (an expansion shows what a read by id would).
  const resources = pkg ? ((await engine.packageResources(graph, pkg.id)) ?? []) : [];
  const { locale } = context;
  const content: ApprovalContent = {
    stageNumber: stage.stageNumber,
    stageCount: stage.stageCount,
    requestor: { name: request.requestor?.displayName ?? request.requestor?.email ?? '—', mail: request.requestor?.email ?? null, organization: request.requestor?.connectedOrganization?.displayName ?? null },
    packageName: pkg?.displayName ?? '—',
    catalogName: pkg?.catalog?.displayName ?? null,
    resources: resources.map(describeRole),
    answers: (request.answers ?? []).map((a) => ({ question: localized(a.answeredQuestion?.text ?? '', a.answeredQuestion?.localizations, locale), answer: a.displayValue ?? a.value ?? '' })),
    justification: request.justification ?? null,
    schedule: scheduleOf(request, locale),
    justificationRequired: justificationRequired(request, stage.stageNumber - 1, stage.stageCount),
  };
  return { view: approvalViewOf(content, stage, request.state, context), content, stage };
}

/**
 * The view from a card's content and its stage as just read: who decided, how and when, or whether the viewer
 * may still decide. `requestState` is needed only for a stage that is neither decided nor in progress.
 */
export function approvalViewOf(content: ApprovalContent, read: StageRead, requestState: string | null, context: ViewerContext): ApprovalView {
  const { s, locale, facts } = context;
  const { stage } = read;
  const decided = isDecided(stage);
  return {
    ...content,
    requestId: read.requestId,
    stageId: stage.id,
    stageNumber: read.stageNumber,
    stageCount: read.stageCount,
    due: facts.due ? formatDateTime(facts.due, locale) : null,
    askedAs: facts.askedAs ?? 'primary',
    reminder: facts.reminder ?? false,
    decision: decided
      ? { result: stage.reviewResult as 'Approve' | 'Deny', by: stage.reviewedBy?.displayName ?? '—', at: formatDateTime(stage.reviewedDateTime, locale), justification: stage.justification ?? null }
      : null,
    closedState: decided || stage.status === 'InProgress' || requestState === null || requestState === 'pendingApproval' ? null : (s.state[requestState] ?? requestState),
    canDecide: stage.assignedToMe,
    notice: context.notice ?? null,
    refreshUserIds: context.refreshUserIds,
  };
}

export class StageNotFoundError extends Error {}

function describeRole(rs: RoleScope): string {
  const role = rs.role?.displayName ?? '';
  const resource = rs.role?.resource?.displayName;
  return resource ? `${resource}: ${role}` : role;
}

/** A question's text in the reader's language when the policy has it. */
export function localized(text: string, localizations: Array<{ text: string; languageCode: string }> | undefined, locale: string | null | undefined): string {
  const lang = (locale ?? 'en').toLowerCase();
  const match = localizations?.find((l) => lang === l.languageCode.toLowerCase() || lang.startsWith(`${l.languageCode.toLowerCase()}-`));
  return match?.text ?? text;
}

function scheduleOf(request: AssignmentRequest, locale: string | null | undefined): ApprovalView['schedule'] {
  const start = request.schedule?.startDateTime ?? null;
  const end = request.schedule?.expiration?.endDateTime ?? null;
  if (!start && !end) return null;
  return { start: start ? formatDateTime(start, locale) : null, end: end ? formatDateTime(end, locale) : null };
}

/**
 * Whether the stage asks approvers for a justification. Graph does not say which policy a request
 * came under; any of the package's policies with this many stages that requires it makes the card
 * require it (the engine checks the real policy again).
 */
function justificationRequired(request: AssignmentRequest, stageIndex: number, stageCount: number): boolean {
  const policies = request.accessPackage?.assignmentPolicies ?? [];
  return policies.some((p) => (p.requestApprovalSettings?.stages?.length ?? 0) === stageCount && p.requestApprovalSettings?.stages?.[stageIndex]?.isApproverJustificationRequired === true);
}
