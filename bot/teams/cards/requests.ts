import { formatDateTime, type Strings } from '../strings';
import { verbs } from '../verbs';
import { AdaptiveCard, card, CardElement, execute, facts, heading, plain, text } from './card';

export interface PackageItem {
  id: string;
  name: string;
  description: string | null;
  catalog: string | null;
}

/** `request access`: the packages the person may request, searchable and paged. */
export function packagesCard(items: PackageItem[], options: { search: string; page: number; more: boolean }, s: Strings): AdaptiveCard {
  const body: CardElement[] = [heading(s.packagesTitle)];
  body.push({ type: 'Input.Text', id: 'search', label: s.search, placeholder: s.searchPlaceholder, maxLength: 100, value: options.search || undefined });
  if (items.length === 0) body.push(text(s.noPackages, { isSubtle: true }));
  for (const item of items) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        text(`**${plain(item.name)}**`),
        ...(item.catalog ? [text(plain(item.catalog), { isSubtle: true, size: 'Small', spacing: 'None' })] : []),
        ...(item.description ? [text(plain(item.description), { size: 'Small' })] : []),
        { type: 'ActionSet', actions: [execute(s.request, verbs.openPackage, { accessPackageId: item.id })] },
      ],
    });
  }
  const actions = [execute(s.search, verbs.listPackages, { page: '0' }, { associatedInputs: 'auto' })];
  if (options.more) actions.push(execute(s.more, verbs.listPackages, { page: String(options.page + 1) }, { associatedInputs: 'auto' }));
  return card(body, { actions });
}

export interface QuestionView {
  id: string;
  text: string;
  required: boolean;
  multiline: boolean;
  regex: string | null;
  choices: Array<{ title: string; value: string }> | null;
}

/** The request form of one package: the policy's questions, justification, dates where allowed. */
export function requestFormCard(
  v: { accessPackageId: string; name: string; description: string | null; questions: QuestionView[]; justificationRequired: boolean; customSchedule: boolean; notice: string | null },
  s: Strings,
): AdaptiveCard {
  const body: CardElement[] = [];
  if (v.notice) body.push(text(v.notice, { color: 'Attention', weight: 'Bolder' }));
  body.push(heading(s.requestTitle(plain(v.name))));
  if (v.description) body.push(text(plain(v.description), { isSubtle: true }));
  for (const q of v.questions) {
    const inputId = `q_${q.id}`;
    if (q.choices) {
      body.push({ type: 'Input.ChoiceSet', id: inputId, label: plain(q.text), choices: q.choices, style: 'compact', ...(q.required ? { isRequired: true, errorMessage: s.required } : {}) });
    } else {
      body.push({
        type: 'Input.Text',
        id: inputId,
        label: plain(q.text),
        isMultiline: q.multiline,
        maxLength: 2000,
        ...(q.required ? { isRequired: true, errorMessage: s.required } : {}),
        // One message per input: it says what is wrong whichever check failed.
        ...(q.regex ? { regex: q.regex, errorMessage: q.required ? s.requiredInFormat : s.inFormat } : {}),
      });
    }
  }
  body.push({ type: 'Input.Text', id: 'justification', label: s.justification, isMultiline: true, maxLength: 2000, ...(v.justificationRequired ? { isRequired: true, errorMessage: s.required } : {}) });
  if (v.customSchedule) {
    body.push({ type: 'Input.Date', id: 'startDate', label: s.startDate });
    body.push({ type: 'Input.Date', id: 'endDate', label: s.endDate });
  }
  return card(body, { actions: [execute(s.submit, verbs.submitRequest, { accessPackageId: v.accessPackageId }, { style: 'positive', associatedInputs: 'auto' })] });
}

export interface RequestItem {
  id: string;
  packageName: string;
  state: string;
  created: string;
  cancelable: boolean;
}

// The states Graph's `cancel` accepts.
const cancelableStates = new Set(['submitted', 'pendingApproval', 'scheduled']);

/** A request as read through Graph, as its status card shows it (its requestor may cancel it while Graph's `cancel` would accept it). */
export function requestItem(r: { id: string; requestType: string; state: string; createdDateTime: string; accessPackage?: { displayName: string } | null }, locale: string | null | undefined): RequestItem {
  return { id: r.id, packageName: r.accessPackage?.displayName ?? '—', state: r.state, created: formatDateTime(r.createdDateTime, locale), cancelable: cancelableStates.has(r.state) && r.requestType.startsWith('user') };
}

/** After submit, and on refresh: where a request stands. */
export function requestStatusCard(r: RequestItem, s: Strings, notice: string | null = null): AdaptiveCard {
  const body: CardElement[] = [];
  if (notice) body.push(text(notice, { color: 'Attention', weight: 'Bolder' }));
  body.push(heading(s.statusTitle(plain(r.packageName))), text(s.stateOfRequest(s.state[r.state] ?? r.state)), text(r.created, { isSubtle: true, size: 'Small' }));
  return card(body, {
    actions: r.cancelable ? [execute(s.cancel, verbs.cancelRequest, { requestId: r.id }, { style: 'destructive' })] : [],
    refresh: { action: execute(s.statusTitle(plain(r.packageName)), verbs.refreshRequest, { requestId: r.id }) },
  });
}

/** `my requests`: the open ones, each with cancel. */
export function myRequestsCard(items: RequestItem[], s: Strings): AdaptiveCard {
  const body: CardElement[] = [heading(s.myRequestsTitle)];
  if (items.length === 0) body.push(text(s.noRequests, { isSubtle: true }));
  for (const r of items) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        text(`**${plain(r.packageName)}**`),
        text(s.stateOfRequest(s.state[r.state] ?? r.state), { size: 'Small', spacing: 'None' }),
        ...(r.cancelable ? [{ type: 'ActionSet' as const, actions: [execute(s.cancel, verbs.cancelRequest, { requestId: r.id }, { style: 'destructive' })] }] : []),
      ],
    });
  }
  return card(body);
}

export interface AccessItem {
  assignmentId: string;
  accessPackageId: string;
  packageName: string;
  ends: string | null;
  canExtend: boolean;
  canLeave: boolean;
}

/** `my access`: what the person has, when it ends, extend and leave. */
export function myAccessCard(items: AccessItem[], s: Strings): AdaptiveCard {
  const body: CardElement[] = [heading(s.myAccessTitle)];
  if (items.length === 0) body.push(text(s.noAccess, { isSubtle: true }));
  for (const a of items) {
    const actions = [
      ...(a.canExtend ? [execute(s.extend, verbs.extend, { assignmentId: a.assignmentId })] : []),
      ...(a.canLeave ? [execute(s.leave, verbs.leave, { assignmentId: a.assignmentId }, { style: 'destructive' })] : []),
    ];
    body.push({
      type: 'Container',
      separator: true,
      items: [text(`**${plain(a.packageName)}**`), text(a.ends ? s.endsOn(a.ends) : s.noEnd, { size: 'Small', spacing: 'None' }), ...(actions.length ? [{ type: 'ActionSet' as const, actions }] : [])],
    });
  }
  return card(body);
}

/** Extending (or leaving) with the justification the policy asks for. */
export function changeFormCard(v: { assignmentId: string; packageName: string; verb: string; title: string; justificationRequired: boolean; notice: string | null }, s: Strings): AdaptiveCard {
  const body: CardElement[] = [];
  if (v.notice) body.push(text(v.notice, { color: 'Attention', weight: 'Bolder' }));
  body.push(heading(plain(v.packageName)));
  body.push({ type: 'Input.Text', id: 'justification', label: s.justification, isMultiline: true, maxLength: 2000, ...(v.justificationRequired ? { isRequired: true, errorMessage: s.required } : {}) });
  return card(body, { actions: [execute(v.title, v.verb, { assignmentId: v.assignmentId }, { style: 'positive', associatedInputs: 'auto' })] });
}

/** First contact after notices were kept: what waits, instead of replaying old notices. */
export function waitingCard(counts: { approvals: number; requests: number }, s: Strings): AdaptiveCard {
  const body: CardElement[] = [heading(s.waitingTitle)];
  if (counts.approvals > 0) body.push(text(s.waitingApprovals(counts.approvals)));
  if (counts.requests > 0) body.push(text(s.waitingRequests(counts.requests)));
  return card(body);
}

/** `approvals` with nothing pending. */
export function noApprovalsCard(s: Strings): AdaptiveCard {
  return card([heading(s.approvalsTitle), text(s.noApprovals, { isSubtle: true })]);
}

export { facts };
