import type { Language } from '../app/i18n';
import type { Localization, Question, Requirements } from './model';

/**
 * The request form's rules, pure so jest checks them: which text to show for a question in the
 * person's language, what is wrong with the answers before anything is sent (the same rules the
 * server applies, so a refusal is rare), and the `accessPackageAssignmentRequest` body to POST.
 */
export interface RequestFormState {
  justification: string;
  /** Per question id: the text, or the chosen `actualValue`s of a choice question. */
  answers: Record<string, string | string[]>;
  /** `yyyy-mm-dd` from a date input, or '' (only when the policy lets requestors choose dates). */
  startDate: string;
  endDate: string;
}

export type FieldProblem = 'required' | 'format' | 'singleLine' | 'dateInvalid' | 'datePast' | 'dateOrder' | 'tooLong';

/** Problems by field: `justification`, `startDate`, `endDate`, or `question:{id}`. Empty when the form may be sent. */
export type FormProblems = Record<string, FieldProblem>;

export const emptyForm: RequestFormState = { justification: '', answers: {}, startDate: '', endDate: '' };

/** The text in `language` when the policy has it, else the default text. */
export function localized(text: string, localizations: readonly Localization[] | null | undefined, language: Language): string {
  const match = localizations?.find((l) => l.languageCode.toLowerCase().split('-')[0] === language && l.text.trim() !== '');
  return match?.text ?? text;
}

/** The questions in the order the policy gives them. */
export function orderedQuestions(requirements: Requirements): Question[] {
  return [...(requirements.questions ?? [])].sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
}

export function isChoiceQuestion(question: Question): boolean {
  return question['@odata.type'] === '#microsoft.graph.accessPackageMultipleChoiceQuestion';
}

function answerText(value: string | string[] | undefined): string {
  if (Array.isArray(value)) return value.join(',');
  return (value ?? '').trim();
}

/** A pattern the browser cannot compile is left to the server to judge (it says so if wrong). */
function matchesWhole(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u').test(value);
  } catch {
    return true;
  }
}

const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/** Checks the form against the policy's requirements; `today` is `yyyy-mm-dd` in the person's time zone. */
export function validateRequestForm(requirements: Requirements, form: RequestFormState, today: string): FormProblems {
  const problems: FormProblems = {};
  const justification = form.justification.trim();
  if (requirements.isRequestorJustificationRequired && justification === '') problems.justification = 'required';
  else if (justification.length > 4000) problems.justification = 'tooLong';
  for (const question of orderedQuestions(requirements)) {
    const key = `question:${question.id}`;
    const value = answerText(form.answers[question.id]);
    if (value === '') {
      if (question.isRequired) problems[key] = 'required';
      continue;
    }
    if (isChoiceQuestion(question)) continue;
    if (question.isSingleLineQuestion && /[\r\n]/.test(value)) problems[key] = 'singleLine';
    else if (question.regexPattern && !matchesWhole(question.regexPattern, value)) problems[key] = 'format';
    else if (value.length > 4000) problems[key] = 'tooLong';
  }
  if (requirements.allowCustomAssignmentSchedule) {
    if (form.startDate && !datePattern.test(form.startDate)) problems.startDate = 'dateInvalid';
    else if (form.startDate && form.startDate < today) problems.startDate = 'datePast';
    if (form.endDate && !datePattern.test(form.endDate)) problems.endDate = 'dateInvalid';
    else if (form.endDate && form.endDate < (form.startDate || today)) problems.endDate = 'dateOrder';
  }
  return problems;
}

/** Local midnight of a `yyyy-mm-dd` date, as an ISO instant. */
function localDateToIso(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d).toISOString();
}

/** The body of `POST /identityGovernance/entitlementManagement/assignmentRequests` for a `userAdd`. */
export function requestBody(accessPackageId: string, requirements: Requirements, form: RequestFormState): Record<string, unknown> {
  const answers = orderedQuestions(requirements)
    .map((question) => ({ question, value: answerText(form.answers[question.id]) }))
    .filter((a) => a.value !== '')
    .map((a) => ({ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: a.value, answeredQuestion: { id: a.question.id } }));
  const body: Record<string, unknown> = {
    requestType: 'userAdd',
    assignment: { accessPackageId, assignmentPolicyId: requirements.policyId },
  };
  if (form.justification.trim()) body.justification = form.justification.trim();
  if (answers.length > 0) body.answers = answers;
  if (requirements.allowCustomAssignmentSchedule && (form.startDate || form.endDate)) {
    body.schedule = {
      startDateTime: form.startDate ? localDateToIso(form.startDate) : null,
      expiration: form.endDate ? { type: 'afterDateTime', endDateTime: localDateToIso(form.endDate) } : { type: 'notSpecified' },
    };
  }
  return body;
}

/** Today as `yyyy-mm-dd` in the local time zone (what a date input shows). */
export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
