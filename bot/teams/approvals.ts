import type { Client } from '@microsoft/microsoft-graph-client';
import type { ApprovalView } from './cards/approval';
import { engine, type AssignmentRequest, type RoleScope } from './engine';
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
}

/**
 * The approval card's view for the person `graph` acts as: the request with its package, the
 * approval's stages, and whether this person may still decide — all read through Graph, so the
 * card never trusts what an earlier card said.
 */
export async function loadApprovalView(
  graph: Client,
  ids: { requestId: string; stageId: string },
  context: { s: Strings; locale: string | null | undefined; facts: ApprovalFacts; refreshUserIds: string[]; notice?: string | null },
): Promise<ApprovalView> {
  const [request, approval] = await Promise.all([engine.approvalRequest(graph, ids.requestId), engine.approval(graph, ids.requestId)]);
  const stageIndex = approval.stages.findIndex((st) => st.id === ids.stageId);
  if (stageIndex < 0) throw new StageNotFoundError();
  const stage = approval.stages[stageIndex];
  const pkg = request.accessPackage;
  // What the person may not read of the package is left out of both reads alike (an expansion shows what a read by id would).
  const resources = pkg ? ((await engine.packageResources(graph, pkg.id)) ?? []) : [];
  const { s, locale } = context;
  const decided = stage.reviewResult === 'Approve' || stage.reviewResult === 'Deny';
  return {
    requestId: request.id,
    stageId: stage.id,
    stageNumber: stageIndex + 1,
    stageCount: approval.stages.length,
    requestor: { name: request.requestor?.displayName ?? request.requestor?.email ?? '—', mail: request.requestor?.email ?? null, organization: request.requestor?.connectedOrganization?.displayName ?? null },
    packageName: pkg?.displayName ?? '—',
    catalogName: pkg?.catalog?.displayName ?? null,
    resources: resources.map(describeRole),
    answers: (request.answers ?? []).map((a) => ({ question: localized(a.answeredQuestion?.text ?? '', a.answeredQuestion?.localizations, locale), answer: a.displayValue ?? a.value ?? '' })),
    justification: request.justification ?? null,
    schedule: scheduleOf(request, locale),
    due: context.facts.due ? formatDateTime(context.facts.due, locale) : null,
    askedAs: context.facts.askedAs ?? 'primary',
    reminder: context.facts.reminder ?? false,
    justificationRequired: justificationRequired(request, stageIndex, approval.stages.length),
    decision: decided
      ? { result: stage.reviewResult as 'Approve' | 'Deny', by: stage.reviewedBy?.displayName ?? '—', at: formatDateTime(stage.reviewedDateTime, locale), justification: stage.justification ?? null }
      : null,
    closedState: !decided && request.state !== 'pendingApproval' ? (s.state[request.state] ?? request.state) : null,
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
