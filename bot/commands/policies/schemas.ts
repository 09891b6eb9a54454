import { z } from 'zod';
import { allowedTargetScopes } from '../../graph/odata/model';
import { dateTimeOffset, description, displayName, graphObject, guid, isoDuration } from '../../graph/validate';
import { answerPatternProblem } from './answerPattern';
import { durationLimits, durationProblem, durationToMilliseconds } from './durations';

/**
 * The complex types of an `accessPackageAssignmentPolicy`, after Graph v1.0. Every object is strict
 * (unknown properties → 400 naming them); polymorphic values are told apart by `@odata.type`, which
 * Graph accepts with or without the leading `#` and which we always store with it. Parsing fills
 * Graph's defaults, so what is stored (and read back) is the complete object.
 */


/** An ISO 8601 duration within `max`, and longer than zero when `positive` (see `durationLimits`). */
export function boundedDuration(max: string, positive = true) {
  return isoDuration.superRefine((value, ctx) => {
    const problem = durationProblem(value, { max, positive });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

// ---- subjectSet ------------------------------------------------------------------------------------

/** Graph accepts `microsoft.graph.x` and `#microsoft.graph.x`; we keep the `#` form. */
function withHashedType(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const type = (value as Record<string, unknown>)['@odata.type'];
  if (typeof type === 'string' && type.startsWith('microsoft.graph.')) return { ...value, '@odata.type': `#${type}` };
  return value;
}

const typeTag = <N extends string>(name: N) => z.literal(`#microsoft.graph.${name}` as const);
const optionalText = z.string().max(2048).nullable().optional();

export const singleUser = z.strictObject({ '@odata.type': typeTag('singleUser'), userId: guid, description: optionalText });
export const groupMembers = z.strictObject({ '@odata.type': typeTag('groupMembers'), groupId: guid, description: optionalText });
/** `managerLevel` 1 is the requestor's manager, 2 the manager's manager. */
export const requestorManager = z.strictObject({ '@odata.type': typeTag('requestorManager'), managerLevel: z.number().int().min(1).max(2).default(1) });
export const internalSponsors = z.strictObject({ '@odata.type': typeTag('internalSponsors') });
export const externalSponsors = z.strictObject({ '@odata.type': typeTag('externalSponsors') });
export const targetUserSponsors = z.strictObject({ '@odata.type': typeTag('targetUserSponsors') });
export const connectedOrganizationMembers = z.strictObject({ '@odata.type': typeTag('connectedOrganizationMembers'), connectedOrganizationId: guid, description: optionalText });
export const attributeRuleMembers = z.strictObject({ '@odata.type': typeTag('attributeRuleMembers'), description: optionalText, membershipRule: z.string().min(1).max(3072) });

/** Any subjectSet Portier knows. */
export const subjectSet = z.preprocess(
  withHashedType,
  z.discriminatedUnion('@odata.type', [singleUser, groupMembers, requestorManager, internalSponsors, externalSponsors, targetUserSponsors, connectedOrganizationMembers, attributeRuleMembers]),
);
/** Who may approve or review: people, resolved per request (manager, sponsors) or fixed (user, group). */
export const approverSubject = z.preprocess(
  withHashedType,
  z.discriminatedUnion('@odata.type', [singleUser, groupMembers, requestorManager, internalSponsors, externalSponsors, targetUserSponsors]),
);
/**
 * Fallback approvers and reviewers are asked when the resolved ones are nobody, so they must be fixed
 * people: Entra's UI only offers specific users and groups there.
 */
export const fallbackSubject = z.preprocess(withHashedType, z.discriminatedUnion('@odata.type', [singleUser, groupMembers]));
/** Who a policy lets request: specific users or groups, connected organizations, attribute rules. */
export const allowedTargetSubject = z.preprocess(withHashedType, z.discriminatedUnion('@odata.type', [singleUser, groupMembers, connectedOrganizationMembers, attributeRuleMembers]));

export type SubjectSet = z.infer<typeof subjectSet>;

// ---- expirationPattern -----------------------------------------------------------------------------

/** An `expirationPattern` whose duration lasts at most `max`. */
function expirationPatternUpTo(max: string) {
  return graphObject('expirationPattern', {
    type: z.enum(['notSpecified', 'noExpiration', 'afterDateTime', 'afterDuration']),
    endDateTime: dateTimeOffset.nullable().optional(),
    duration: boundedDuration(max).nullable().optional(),
  })
    .superRefine((value, ctx) => {
      if (value.type === 'afterDuration' && !value.duration) ctx.addIssue({ code: 'custom', path: ['duration'], message: "is required when type is 'afterDuration'" });
      if (value.type === 'afterDateTime' && !value.endDateTime) ctx.addIssue({ code: 'custom', path: ['endDateTime'], message: "is required when type is 'afterDateTime'" });
    })
    .transform(({ type, endDateTime, duration }) => ({
      type,
      endDateTime: type === 'afterDateTime' ? (endDateTime ?? null) : null,
      duration: type === 'afterDuration' ? (duration ?? null) : null,
    }));
}

/** How long an assignment lasts (policy `expiration`, a request's `schedule`). */
export const expirationPattern = expirationPatternUpTo(durationLimits.assignment);

export type ExpirationPattern = z.infer<typeof expirationPattern>;

// ---- requestor settings ----------------------------------------------------------------------------

export const requestorSettings = graphObject('accessPackageAssignmentRequestorSettings', {
  enableTargetsToSelfAddAccess: z.boolean().default(false),
  enableTargetsToSelfUpdateAccess: z.boolean().default(false),
  enableTargetsToSelfRemoveAccess: z.boolean().default(false),
  allowCustomAssignmentSchedule: z.boolean().default(false),
  enableOnBehalfRequestorsToAddAccess: z.boolean().default(false),
  enableOnBehalfRequestorsToUpdateAccess: z.boolean().default(false),
  enableOnBehalfRequestorsToRemoveAccess: z.boolean().default(false),
  onBehalfRequestors: z.array(approverSubject).max(25).default([]),
});

// ---- approval settings -----------------------------------------------------------------------------

export const approvalStage = graphObject('accessPackageApprovalStage', {
  durationBeforeAutomaticDenial: boundedDuration(durationLimits.decision).default('P14D'),
  isApproverJustificationRequired: z.boolean().default(false),
  isEscalationEnabled: z.boolean().default(false),
  durationBeforeEscalation: boundedDuration(durationLimits.decision).nullable().default(null),
  primaryApprovers: z.array(approverSubject).max(25).default([]),
  fallbackPrimaryApprovers: z.array(fallbackSubject).max(25).default([]),
  escalationApprovers: z.array(approverSubject).max(25).default([]),
  fallbackEscalationApprovers: z.array(fallbackSubject).max(25).default([]),
}).superRefine((stage, ctx) => {
  if (!stage.isEscalationEnabled) return;
  if (stage.escalationApprovers.length === 0) ctx.addIssue({ code: 'custom', path: ['escalationApprovers'], message: 'needs at least one approver when isEscalationEnabled is true' });
  if (!stage.durationBeforeEscalation) {
    ctx.addIssue({ code: 'custom', path: ['durationBeforeEscalation'], message: 'is required when isEscalationEnabled is true' });
  } else if (durationToMilliseconds(stage.durationBeforeEscalation) >= durationToMilliseconds(stage.durationBeforeAutomaticDenial)) {
    ctx.addIssue({ code: 'custom', path: ['durationBeforeEscalation'], message: 'must be shorter than durationBeforeAutomaticDenial' });
  }
});

export type ApprovalStage = z.infer<typeof approvalStage>;

export const approvalSettings = graphObject('accessPackageAssignmentApprovalSettings', {
  isApprovalRequiredForAdd: z.boolean().default(false),
  isApprovalRequiredForUpdate: z.boolean().default(false),
  isRequestorJustificationRequired: z.boolean().default(false),
  stages: z.array(approvalStage).max(3, 'allows at most 3 approval stages').default([]),
}).superRefine((settings, ctx) => {
  if (!settings.isApprovalRequiredForAdd && !settings.isApprovalRequiredForUpdate) return;
  if (settings.stages.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['stages'], message: 'needs at least one approval stage when approval is required' });
    return;
  }
  settings.stages.forEach((stage, i) => {
    if (stage.primaryApprovers.length === 0) ctx.addIssue({ code: 'custom', path: ['stages', i, 'primaryApprovers'], message: 'needs at least one approver when approval is required' });
  });
});

// ---- review settings -------------------------------------------------------------------------------

const dayOfWeek = z.enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2025-01-31');

export const recurrencePattern = graphObject('recurrencePattern', {
  type: z.enum(['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly']),
  interval: z.number().int().min(1).max(99),
  // Graph sends 0 for "not used" month and day.
  month: z.number().int().min(0).max(12).default(0),
  dayOfMonth: z.number().int().min(0).max(31).default(0),
  daysOfWeek: z.array(dayOfWeek).default([]),
  firstDayOfWeek: dayOfWeek.nullable().optional(),
  index: z.enum(['first', 'second', 'third', 'fourth', 'last']).nullable().optional(),
}).superRefine((p, ctx) => {
  if ((p.type === 'weekly' || p.type === 'relativeMonthly' || p.type === 'relativeYearly') && p.daysOfWeek.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['daysOfWeek'], message: `is required when type is '${p.type}'` });
  }
  if ((p.type === 'absoluteYearly' || p.type === 'relativeYearly') && p.month === 0) ctx.addIssue({ code: 'custom', path: ['month'], message: `is required when type is '${p.type}'` });
});

export const recurrenceRange = graphObject('recurrenceRange', {
  type: z.enum(['endDate', 'noEnd', 'numbered']),
  startDate: date.nullable().optional(),
  endDate: date.nullable().optional(),
  numberOfOccurrences: z.number().int().min(0).default(0),
  recurrenceTimeZone: z.string().max(128).nullable().optional(),
}).superRefine((r, ctx) => {
  if (r.type === 'endDate' && !r.endDate) ctx.addIssue({ code: 'custom', path: ['endDate'], message: "is required when type is 'endDate'" });
  if (r.type === 'numbered' && r.numberOfOccurrences < 1) ctx.addIssue({ code: 'custom', path: ['numberOfOccurrences'], message: "must be at least 1 when type is 'numbered'" });
});

export const patternedRecurrence = graphObject('patternedRecurrence', { pattern: recurrencePattern, range: recurrenceRange });

export const entitlementManagementSchedule = graphObject('entitlementManagementSchedule', {
  startDateTime: dateTimeOffset.nullable().optional(),
  expiration: expirationPattern.nullable().optional(),
  recurrence: patternedRecurrence.nullable().optional(),
});

/** A review's schedule: each instance lasts at most `durationLimits.review`. */
const reviewSchedule = graphObject('entitlementManagementSchedule', {
  startDateTime: dateTimeOffset.nullable().optional(),
  expiration: expirationPatternUpTo(durationLimits.review).nullable().optional(),
  recurrence: patternedRecurrence.nullable().optional(),
});

export const reviewSettings = graphObject('accessPackageAssignmentReviewSettings', {
  isEnabled: z.boolean().default(false),
  expirationBehavior: z.enum(['keepAccess', 'removeAccess', 'acceptAccessRecommendation']).default('keepAccess'),
  isRecommendationEnabled: z.boolean().default(false),
  isReviewerJustificationRequired: z.boolean().default(false),
  isSelfReview: z.boolean().default(false),
  schedule: reviewSchedule.nullable().default(null),
  primaryReviewers: z.array(approverSubject).max(25).default([]),
  fallbackReviewers: z.array(fallbackSubject).max(25).default([]),
}).superRefine((review, ctx) => {
  if (!review.isEnabled) return;
  if (!review.schedule) ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'is required when isEnabled is true' });
  if (review.primaryReviewers.length === 0 && !review.isSelfReview) {
    ctx.addIssue({ code: 'custom', path: ['primaryReviewers'], message: 'needs at least one reviewer when isEnabled is true and isSelfReview is false' });
  }
});

// ---- questions -------------------------------------------------------------------------------------

export const localizedText = graphObject('accessPackageLocalizedText', { text: z.string().min(1).max(1024), languageCode: z.string().min(2).max(35) });

/**
 * v1.0 has `text` (string) and `localizations`; beta has `text` as `{defaultText, localizedTexts}`.
 * Both are accepted and stored in the v1.0 form, so readers see one shape.
 */
function withV1QuestionText(value: unknown): unknown {
  const v = withHashedType(value);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const record = v as Record<string, unknown>;
  const text = record.text;
  if (typeof text !== 'object' || text === null || Array.isArray(text)) return v;
  const { defaultText, localizedTexts, ...rest } = text as Record<string, unknown>;
  if (Object.keys(rest).some((k) => k !== '@odata.type')) return v;
  return { ...record, text: defaultText, localizations: record.localizations ?? localizedTexts ?? [] };
}

const questionFields = {
  id: z.string().min(1).max(64).optional(),
  sequence: z.number().int().min(0).default(0),
  isRequired: z.boolean().default(false),
  isAnswerEditable: z.boolean().default(false),
  text: z.string().min(1).max(1024),
  localizations: z.array(localizedText).default([]),
};

export const textInputQuestion = z.strictObject({
  '@odata.type': typeTag('accessPackageTextInputQuestion'),
  ...questionFields,
  isSingleLineQuestion: z.boolean().default(true),
  regexPattern: z
    .string()
    .max(1024)
    .superRefine((pattern, ctx) => {
      // Answers are matched with RE2 (linear time, see answerPattern.ts): a pattern it cannot run is refused now.
      const problem = answerPatternProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: `must be a regular expression that matches in linear time (RE2 syntax; no back-references or lookaround): ${problem}` });
    })
    .nullable()
    .default(null),
});

export const answerChoice = z.preprocess(
  withV1QuestionText,
  graphObject('accessPackageAnswerChoice', { actualValue: z.string().min(1).max(256), text: z.string().min(1).max(1024), localizations: z.array(localizedText).default([]) }),
);

export const multipleChoiceQuestion = z.strictObject({
  '@odata.type': typeTag('accessPackageMultipleChoiceQuestion'),
  ...questionFields,
  choices: z.array(answerChoice).min(1, 'needs at least one choice').max(100),
  allowsMultipleSelection: z.boolean().default(false),
});

export const question = z.preprocess(withV1QuestionText, z.discriminatedUnion('@odata.type', [textInputQuestion, multipleChoiceQuestion]));
export type Question = z.infer<typeof question>;

// ---- automatic requests ----------------------------------------------------------------------------

export const automaticRequestSettings = graphObject('accessPackageAutomaticRequestSettings', {
  requestAccessForAllowedTargets: z.boolean().default(false),
  removeAccessWhenTargetLeavesAllowedTargets: z.boolean().default(false),
  // Zero is meaningful here: remove access as soon as the target leaves the allowed targets.
  gracePeriodBeforeAccessRemoval: boundedDuration(durationLimits.lifecycle, false).nullable().default(null),
});

// ---- the policy ------------------------------------------------------------------------------------

const reference = (typeName: string) => graphObject(typeName, { id: z.string().min(1).max(64) });

const policyFields = {
  displayName,
  description: description.nullable().optional(),
  allowedTargetScope: z.enum(allowedTargetScopes.filter((s) => s !== 'unknownFutureValue') as [string, ...string[]]),
  specificAllowedTargets: z.array(allowedTargetSubject).max(100).default([]),
  expiration: expirationPattern.prefault({ type: 'noExpiration' }),
  requestorSettings: requestorSettings.prefault({}),
  requestApprovalSettings: approvalSettings.prefault({}),
  reviewSettings: reviewSettings.prefault({}),
  questions: z.array(question).max(50).default([]),
  automaticRequestSettings: automaticRequestSettings.nullable().default(null),
  accessPackage: reference('accessPackage'),
  catalog: reference('accessPackageCatalog').optional(),
};

/** POST …/assignmentPolicies. */
export const createPolicyBody = graphObject('accessPackageAssignmentPolicy', policyFields);

/**
 * PUT …/assignmentPolicies/{id}: the whole policy again. `id` may be echoed back (as clients that
 * GET, edit and PUT do); the access package may be omitted but never changed.
 */
export const replacePolicyBody = graphObject('accessPackageAssignmentPolicy', {
  ...policyFields,
  id: z.string().optional(),
  accessPackage: reference('accessPackage').optional(),
  createdDateTime: z.string().optional(),
  modifiedDateTime: z.string().optional(),
});

export type CreatePolicyInput = z.infer<typeof createPolicyBody>;
export type ReplacePolicyInput = z.infer<typeof replacePolicyBody>;
/** What create and replace share once the package is known. */
export type PolicyDefinition = Omit<CreatePolicyInput, 'accessPackage' | 'catalog'>;
