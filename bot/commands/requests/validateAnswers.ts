import { ValidationError } from '../../domain/errors';
import { answerMatches } from '../policies/answerPattern';
import type { Question } from '../policies/schemas';
import type { Answer } from './schemas';

/**
 * Checks answers against the policy's questions: each answer names a question of the policy, once;
 * every required question has a non-empty answer; text answers match `regexPattern` (the whole
 * answer); choice answers are one of the choices. Returns the answers as stored: with the display
 * value and the question they answer, like Graph returns them.
 */
export function validateAnswers(questions: Question[], answers: Answer[], options: { requireAll: boolean }): unknown[] {
  const byId = new Map(questions.map((q) => [q.id as string, q]));
  const seen = new Set<string>();
  const stored = answers.map((a, i) => {
    const field = `answers.${i}`;
    const question = byId.get(a.answeredQuestion.id);
    if (!question) throw new ValidationError(`Invalid value for '${field}.answeredQuestion.id': the policy has no question '${a.answeredQuestion.id}'.`, `${field}.answeredQuestion.id`);
    if (seen.has(a.answeredQuestion.id)) throw new ValidationError(`Invalid value for '${field}': question '${question.text}' is answered twice.`, field);
    seen.add(a.answeredQuestion.id);
    const value = a.value.trim();
    let displayValue = value;
    if (question['@odata.type'] === '#microsoft.graph.accessPackageTextInputQuestion') {
      if (question.isSingleLineQuestion && /[\r\n]/.test(value)) throw new ValidationError(`Invalid value for '${field}.value': the answer to '${question.text}' must be a single line.`, `${field}.value`);
      if (value !== '' && question.regexPattern && !matchesPattern(question.regexPattern, value)) {
        throw new ValidationError(`Invalid value for '${field}.value': the answer to '${question.text}' does not have the required format.`, `${field}.value`);
      }
    } else if (value !== '') {
      const values = question.allowsMultipleSelection ? value.split(',').map((v) => v.trim()) : [value];
      const texts = values.map((v) => question.choices.find((c) => c.actualValue === v)?.text);
      const bad = values.find((_, j) => texts[j] === undefined);
      if (bad !== undefined) throw new ValidationError(`Invalid value for '${field}.value': '${bad}' is not one of the choices of '${question.text}'.`, `${field}.value`);
      displayValue = texts.join(', ');
    }
    return { '@odata.type': '#microsoft.graph.accessPackageAnswerString', value, displayValue, answeredQuestion: question };
  });
  if (options.requireAll) {
    for (const question of questions) {
      if (!question.isRequired) continue;
      const given = stored.find((a) => (a.answeredQuestion as Question).id === question.id);
      if (!given || given.value === '') throw new ValidationError(`Property 'answers' is missing an answer to the required question '${question.text}'.`, 'answers');
    }
  }
  return stored;
}

/**
 * Matches in linear time (RE2). A stored pattern RE2 cannot run (saved before patterns were checked)
 * fails closed: the answer is refused rather than matched by a backtracking engine.
 */
function matchesPattern(pattern: string, value: string): boolean {
  try {
    return answerMatches(pattern, value);
  } catch {
    return false;
  }
}
