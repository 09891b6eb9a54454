/**
 * The policy wizard of DESIGN §1 steps 5–6 as data: what the person fills in (`PolicyDraft`), the
 * checks made before anything is sent (`validatePolicyDraft`), and the Graph request body it becomes
 * (`policyBody`). Pure — no React, no DOM, no Graph client — so every rule has a jest test and the
 * form only renders it.
 */

/** A person picked in the people picker. */
export interface PickedPerson {
  id: string;
  displayName: string;
}

/** Who approves (or reviews): resolved per request, or one fixed person. */
export type ApproverKind = 'externalSponsors' | 'internalSponsors' | 'requestorManager' | 'singleUser';

export interface ApproverDraft {
  kind: ApproverKind;
  /** For `singleUser`. */
  person?: PickedPerson;
}

export interface StageDraft {
  primary: ApproverDraft;
  /** Asked when nobody can be resolved from `primary` (fixed people only, as in Entra). */
  fallback: PickedPerson[];
  /** Days before an undecided request is denied automatically. */
  daysBeforeDenial: string;
  approverJustificationRequired: boolean;
  escalationEnabled: boolean;
  escalation: ApproverDraft;
  fallbackEscalation: PickedPerson[];
  /** Days (may be fractional, e.g. 0.5) before the escalation approvers are asked. */
  daysBeforeEscalation: string;
}

export interface QuestionDraft {
  kind: 'text' | 'choice';
  text: string;
  /** The Dutch text (optional): sent as a localization with language code `nl`. */
  textNl: string;
  required: boolean;
  /** Text questions: a pattern the answer must match (empty: any text). */
  regexPattern: string;
  /** Choice questions: one choice per entry. */
  choices: string[];
}

export type WhoMayRequest = 'specificConnectedOrganizations' | 'allConfiguredConnectedOrganizations' | 'allMembers';

export type ExpirationKind = 'noExpiration' | 'afterDays' | 'afterHours' | 'onDate';

export type ReviewFrequency = 'weekly' | 'monthly' | 'quarterly' | 'semiAnnually' | 'annually';

export type ReviewerKind = 'internalSponsors' | 'externalSponsors' | 'singleUser' | 'self';

export interface PolicyDraft {
  displayName: string;
  description: string;
  whoMayRequest: WhoMayRequest;
  connectedOrganizations: Array<{ id: string; displayName: string }>;
  approvalRequired: boolean;
  stages: StageDraft[];
  justificationRequired: boolean;
  questions: QuestionDraft[];
  expiration: { kind: ExpirationKind; amount: string; date: string };
  allowExtension: boolean;
  extensionNeedsApproval: boolean;
  allowSelfRemove: boolean;
  review: {
    enabled: boolean;
    frequency: ReviewFrequency;
    /** First review, `YYYY-MM-DD`. */
    startDate: string;
    durationDays: string;
    reviewers: ReviewerKind;
    reviewer?: PickedPerson;
    fallback: PickedPerson[];
    whenNoAnswer: 'keepAccess' | 'removeAccess' | 'acceptAccessRecommendation';
  };
}

/** Keys of the messages a field can show; the strings module words them in each language. */
export type DraftProblem =
  | 'required'
  | 'tooLong'
  | 'pickOrganization'
  | 'pickPerson'
  | 'positiveNumber'
  | 'escalationBeforeDenial'
  | 'futureDate'
  | 'invalidDate'
  | 'invalidPattern'
  | 'twoChoices'
  | 'tooManyStages'
  | 'approvalNeedsStage';

/** Field path (`stages.0.primary`, `questions.1.text`, …) → problem. Empty when the draft may be sent. */
export type DraftProblems = Record<string, DraftProblem>;

export function emptyStage(): StageDraft {
  return {
    primary: { kind: 'externalSponsors' },
    fallback: [],
    daysBeforeDenial: '14',
    approverJustificationRequired: false,
    escalationEnabled: false,
    escalation: { kind: 'internalSponsors' },
    fallbackEscalation: [],
    daysBeforeEscalation: '7',
  };
}

export function emptyQuestion(): QuestionDraft {
  return { kind: 'text', text: '', textNl: '', required: true, regexPattern: '', choices: ['', ''] };
}

/** A new policy as Entra's wizard starts it for partners: connected organizations, approval by their sponsors. */
export function emptyDraft(today: Date): PolicyDraft {
  const start = new Date(today.getTime() + 90 * 24 * 3600 * 1000);
  return {
    displayName: '',
    description: '',
    whoMayRequest: 'specificConnectedOrganizations',
    connectedOrganizations: [],
    approvalRequired: true,
    stages: [emptyStage()],
    justificationRequired: true,
    questions: [],
    expiration: { kind: 'afterDays', amount: '90', date: '' },
    allowExtension: true,
    extensionNeedsApproval: true,
    allowSelfRemove: true,
    review: { enabled: false, frequency: 'quarterly', startDate: start.toISOString().slice(0, 10), durationDays: '14', reviewers: 'internalSponsors', fallback: [], whenNoAnswer: 'keepAccess' },
  };
}

const maxName = 256;
const maxDescription = 1024;

function positive(value: string): number | undefined {
  const n = Number(value.trim().replace(',', '.'));
  return value.trim() !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function validDate(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value ? undefined : date;
}

function checkApprover(approver: ApproverDraft, path: string, problems: DraftProblems): void {
  if (approver.kind === 'singleUser' && !approver.person) problems[path] = 'pickPerson';
}

/**
 * Every problem of a draft, so the form can mark all fields at once. `now` decides what "future"
 * means for dates.
 */
export function validatePolicyDraft(draft: PolicyDraft, now: Date): DraftProblems {
  const problems: DraftProblems = {};
  if (!draft.displayName.trim()) problems.displayName = 'required';
  else if (draft.displayName.length > maxName) problems.displayName = 'tooLong';
  if (draft.description.length > maxDescription) problems.description = 'tooLong';

  if (draft.whoMayRequest === 'specificConnectedOrganizations' && draft.connectedOrganizations.length === 0) problems.connectedOrganizations = 'pickOrganization';

  if (draft.approvalRequired) {
    if (draft.stages.length === 0) problems.stages = 'approvalNeedsStage';
    if (draft.stages.length > 3) problems.stages = 'tooManyStages';
    draft.stages.forEach((stage, i) => {
      const at = `stages.${i}`;
      checkApprover(stage.primary, `${at}.primary`, problems);
      const denial = positive(stage.daysBeforeDenial);
      if (denial === undefined) problems[`${at}.daysBeforeDenial`] = 'positiveNumber';
      if (stage.escalationEnabled) {
        checkApprover(stage.escalation, `${at}.escalation`, problems);
        const escalation = positive(stage.daysBeforeEscalation);
        if (escalation === undefined) problems[`${at}.daysBeforeEscalation`] = 'positiveNumber';
        else if (denial !== undefined && escalation >= denial) problems[`${at}.daysBeforeEscalation`] = 'escalationBeforeDenial';
      }
    });
  }

  draft.questions.forEach((q, i) => {
    const at = `questions.${i}`;
    if (!q.text.trim()) problems[`${at}.text`] = 'required';
    else if (q.text.length > 1024) problems[`${at}.text`] = 'tooLong';
    if (q.textNl.length > 1024) problems[`${at}.textNl`] = 'tooLong';
    if (q.kind === 'text' && q.regexPattern.trim()) {
      try {
        new RegExp(q.regexPattern);
      } catch {
        problems[`${at}.regexPattern`] = 'invalidPattern';
      }
    }
    if (q.kind === 'choice' && q.choices.filter((c) => c.trim()).length < 2) problems[`${at}.choices`] = 'twoChoices';
  });

  const { expiration } = draft;
  if (expiration.kind === 'afterDays' || expiration.kind === 'afterHours') {
    if (positive(expiration.amount) === undefined || !Number.isInteger(Number(expiration.amount))) problems['expiration.amount'] = 'positiveNumber';
  }
  if (expiration.kind === 'onDate') {
    const date = validDate(expiration.date);
    if (!date) problems['expiration.date'] = expiration.date ? 'invalidDate' : 'required';
    else if (date.getTime() <= now.getTime()) problems['expiration.date'] = 'futureDate';
  }

  const { review } = draft;
  if (review.enabled) {
    const start = validDate(review.startDate);
    if (!start) problems['review.startDate'] = review.startDate ? 'invalidDate' : 'required';
    else if (start.getTime() + 24 * 3600 * 1000 <= now.getTime()) problems['review.startDate'] = 'futureDate';
    if (positive(review.durationDays) === undefined || !Number.isInteger(Number(review.durationDays))) problems['review.durationDays'] = 'positiveNumber';
    if (review.reviewers === 'singleUser' && !review.reviewer) problems['review.reviewer'] = 'pickPerson';
  }
  return problems;
}

/** Days as an ISO 8601 duration; fractions become hours and minutes (`0.5` → `PT12H`). */
export function daysToDuration(days: number): string {
  if (Number.isInteger(days)) return `P${days}D`;
  const minutes = Math.round(days * 24 * 60);
  const d = Math.floor(minutes / (24 * 60));
  const h = Math.floor((minutes % (24 * 60)) / 60);
  const m = minutes % 60;
  return `P${d ? `${d}D` : ''}T${h ? `${h}H` : ''}${m ? `${m}M` : ''}`.replace(/T$/, '') || 'PT0M';
}

function subject(approver: ApproverDraft): Record<string, unknown> {
  if (approver.kind === 'singleUser') return { '@odata.type': '#microsoft.graph.singleUser', userId: approver.person?.id, description: approver.person?.displayName };
  if (approver.kind === 'requestorManager') return { '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 };
  return { '@odata.type': `#microsoft.graph.${approver.kind}` };
}

function people(list: PickedPerson[]): Array<Record<string, unknown>> {
  return list.map((p) => ({ '@odata.type': '#microsoft.graph.singleUser', userId: p.id, description: p.displayName }));
}

const recurrence: Record<ReviewFrequency, { type: string; interval: number }> = {
  weekly: { type: 'weekly', interval: 1 },
  monthly: { type: 'absoluteMonthly', interval: 1 },
  quarterly: { type: 'absoluteMonthly', interval: 3 },
  semiAnnually: { type: 'absoluteMonthly', interval: 6 },
  annually: { type: 'absoluteYearly', interval: 1 },
};

const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * The `accessPackageAssignmentPolicy` Graph body of a valid draft, for POST (with the package id)
 * or PUT. Call `validatePolicyDraft` first: this does not check again.
 */
export function policyBody(draft: PolicyDraft, accessPackageId: string): Record<string, unknown> {
  const scope =
    draft.whoMayRequest === 'specificConnectedOrganizations'
      ? 'specificConnectedOrganizationUsers'
      : draft.whoMayRequest === 'allConfiguredConnectedOrganizations'
        ? 'allConfiguredConnectedOrganizationUsers'
        : 'allMemberUsers';
  const { expiration, review } = draft;
  const start = review.enabled ? new Date(`${review.startDate}T09:00:00Z`) : undefined;
  const pattern = recurrence[review.frequency];
  return {
    displayName: draft.displayName.trim(),
    description: draft.description.trim(),
    accessPackage: { id: accessPackageId },
    allowedTargetScope: scope,
    specificAllowedTargets:
      scope === 'specificConnectedOrganizationUsers'
        ? draft.connectedOrganizations.map((o) => ({ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: o.id, description: o.displayName }))
        : [],
    expiration:
      expiration.kind === 'noExpiration'
        ? { type: 'noExpiration' }
        : expiration.kind === 'onDate'
          ? { type: 'afterDateTime', endDateTime: new Date(`${expiration.date}T23:59:59Z`).toISOString() }
          : { type: 'afterDuration', duration: expiration.kind === 'afterDays' ? `P${Number(expiration.amount)}D` : `PT${Number(expiration.amount)}H` },
    requestorSettings: {
      enableTargetsToSelfAddAccess: true,
      enableTargetsToSelfUpdateAccess: draft.allowExtension,
      enableTargetsToSelfRemoveAccess: draft.allowSelfRemove,
      allowCustomAssignmentSchedule: false,
    },
    requestApprovalSettings: {
      isApprovalRequiredForAdd: draft.approvalRequired,
      isApprovalRequiredForUpdate: draft.approvalRequired && draft.allowExtension && draft.extensionNeedsApproval,
      isRequestorJustificationRequired: draft.justificationRequired,
      stages: draft.approvalRequired
        ? draft.stages.map((s) => ({
            durationBeforeAutomaticDenial: daysToDuration(Number(s.daysBeforeDenial.replace(',', '.'))),
            isApproverJustificationRequired: s.approverJustificationRequired,
            isEscalationEnabled: s.escalationEnabled,
            durationBeforeEscalation: s.escalationEnabled ? daysToDuration(Number(s.daysBeforeEscalation.replace(',', '.'))) : null,
            primaryApprovers: [subject(s.primary)],
            fallbackPrimaryApprovers: people(s.fallback),
            escalationApprovers: s.escalationEnabled ? [subject(s.escalation)] : [],
            fallbackEscalationApprovers: s.escalationEnabled ? people(s.fallbackEscalation) : [],
          }))
        : [],
    },
    reviewSettings: review.enabled && start
      ? {
          isEnabled: true,
          expirationBehavior: review.whenNoAnswer,
          isRecommendationEnabled: true,
          isReviewerJustificationRequired: false,
          isSelfReview: review.reviewers === 'self',
          schedule: {
            startDateTime: start.toISOString(),
            expiration: { type: 'afterDuration', duration: `P${Number(review.durationDays)}D` },
            recurrence: {
              pattern: {
                ...pattern,
                ...(pattern.type === 'weekly' ? { daysOfWeek: [weekdays[start.getUTCDay()]] } : {}),
                ...(pattern.type === 'absoluteMonthly' ? { dayOfMonth: start.getUTCDate() } : {}),
                ...(pattern.type === 'absoluteYearly' ? { month: start.getUTCMonth() + 1, dayOfMonth: start.getUTCDate() } : {}),
              },
              range: { type: 'noEnd', startDate: review.startDate },
            },
          },
          primaryReviewers: review.reviewers === 'self' ? [] : [review.reviewers === 'singleUser' ? subject({ kind: 'singleUser', person: review.reviewer }) : { '@odata.type': `#microsoft.graph.${review.reviewers}` }],
          fallbackReviewers: people(review.fallback),
        }
      : { isEnabled: false },
    questions: draft.questions.map((q, i) => {
      const localizations = q.textNl.trim() ? [{ text: q.textNl.trim(), languageCode: 'nl' }] : [];
      const common = { sequence: i + 1, isRequired: q.required, isAnswerEditable: true, text: q.text.trim(), localizations };
      return q.kind === 'text'
        ? { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', ...common, isSingleLineQuestion: true, ...(q.regexPattern.trim() ? { regexPattern: q.regexPattern.trim() } : {}) }
        : {
            '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
            ...common,
            allowsMultipleSelection: false,
            choices: q.choices.filter((c) => c.trim()).map((c) => ({ actualValue: c.trim(), text: c.trim(), localizations: [] })),
          };
    }),
  };
}
