import type { Strings } from '../strings';
import { verbs } from '../verbs';
import { AdaptiveCard, card, CardElement, execute, facts, heading, plain, text } from './card';

/** Teams refreshes a card automatically for at most 60 people (`refresh.userIds`). */
export const maxRefreshUserIds = 60;

/** Everything an approval card shows, for one viewer. */
export interface ApprovalView {
  requestId: string;
  stageId: string;
  stageNumber: number;
  stageCount: number;
  requestor: { name: string; mail: string | null; organization: string | null };
  packageName: string;
  catalogName: string | null;
  resources: string[];
  answers: Array<{ question: string; answer: string }>;
  justification: string | null;
  schedule: { start: string | null; end: string | null } | null;
  due: string | null;
  askedAs: 'primary' | 'fallback' | 'escalation';
  reminder: boolean;
  justificationRequired: boolean;
  /** The stage's decision, once made (names and dates already formatted). */
  decision: { result: 'Approve' | 'Deny'; by: string; at: string; justification: string | null } | null;
  /** The request is over without this stage being decided (denied elsewhere, canceled, expired). */
  closedState: string | null;
  canDecide: boolean;
  /** Why the viewer's click did nothing (409/403/404 from the engine), shown on top. */
  notice: string | null;
  /** Teams ids of the approvers: each gets their own view on refresh. */
  refreshUserIds: string[];
}

/**
 * The approval card: the request in full, Approve / Deny with a justification while the viewer may
 * decide, otherwise who decided, how and when. `refresh` lets Teams fetch each approver's own view.
 */
export function approvalCard(v: ApprovalView, s: Strings): AdaptiveCard {
  const ids = { requestId: v.requestId, stageId: v.stageId };
  const body: CardElement[] = [];
  if (v.notice) body.push(text(v.notice, { color: 'Attention', weight: 'Bolder' }));
  body.push(heading(v.decision || v.closedState ? s.approvalDecidedTitle : s.approvalTitle));
  if (!v.decision && !v.closedState) {
    if (v.reminder) body.push(text(s.reminder, { color: 'Warning' }));
    if (v.askedAs === 'fallback') body.push(text(s.fallbackAsked, { isSubtle: true }));
    if (v.askedAs === 'escalation') body.push(text(s.escalationAsked, { isSubtle: true }));
  }
  body.push(
    facts([
      [s.requestor, plain(v.requestor.name)],
      [s.mail, plain(v.requestor.mail)],
      [s.organization, plain(v.requestor.organization)],
      [s.accessPackage, plain(v.packageName)],
      [s.catalog, plain(v.catalogName)],
      [s.resources, v.resources.map(plain).join('\n\n')],
      [s.schedule, v.schedule ? (v.schedule.end ? s.scheduleFromTo(v.schedule.start ?? '—', v.schedule.end) : v.schedule.start ? s.scheduleFrom(v.schedule.start) : null) : null],
      [s.justification, plain(v.justification)],
      [s.stage(v.stageNumber, v.stageCount), ' '],
      [s.due, v.decision || v.closedState ? null : v.due],
    ]),
  );
  if (v.answers.length > 0) {
    body.push(text(s.answers, { weight: 'Bolder', spacing: 'Medium' }));
    body.push(facts(v.answers.map((a) => [plain(a.question), plain(a.answer)])));
  }
  if (v.decision) {
    body.push({
      type: 'Container',
      style: v.decision.result === 'Approve' ? 'good' : 'attention',
      items: [
        text(s.decidedBy(plain(v.decision.by), v.decision.result === 'Approve' ? s.approved : s.denied, v.decision.at), { weight: 'Bolder' }),
        ...(v.decision.justification ? [text(plain(v.decision.justification), { isSubtle: true })] : []),
      ],
    });
  } else if (v.closedState) {
    body.push({ type: 'Container', style: 'emphasis', items: [text(s.notPendingAnyMore, { weight: 'Bolder' }), text(s.stateOfRequest(v.closedState), { isSubtle: true })] });
  }
  const decidable = v.canDecide && !v.decision && !v.closedState;
  if (decidable) {
    body.push({
      type: 'Input.Text',
      id: 'justification',
      label: s.justification,
      placeholder: s.justificationPlaceholder,
      isMultiline: true,
      maxLength: 2000,
      ...(v.justificationRequired ? { isRequired: true, errorMessage: s.justificationRequired } : {}),
    });
  }
  return card(body, {
    actions: decidable
      ? [execute(s.approve, verbs.approve, ids, { style: 'positive', associatedInputs: 'auto' }), execute(s.deny, verbs.deny, ids, { style: 'destructive', associatedInputs: 'auto' })]
      : [],
    refresh: v.refreshUserIds.length > 0 ? { action: execute(s.approvalTitle, verbs.refreshApproval, ids), userIds: v.refreshUserIds.slice(0, maxRefreshUserIds) } : undefined,
  });
}
