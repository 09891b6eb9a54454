import { RE2JS } from 're2js';

/**
 * Question `regexPattern`s in linear time. JavaScript's RegExp backtracks: an innocent-looking
 * pattern such as `([A-Za-z0-9]+ ?)+` takes time doubling with every character of a non-matching
 * answer, and answers come from anyone who may request (partners included). RE2 (re2js) matches in
 * time linear in the answer, and refuses what needs backtracking (back-references, lookaround) and
 * repetitions that would blow up the program — such patterns are refused when the policy is saved.
 */

const cache = new Map<string, RE2JS>();
const cacheLimit = 200;

/** Compiles `pattern` with RE2; throws with RE2's reason when it cannot. */
export function compileAnswerPattern(pattern: string): RE2JS {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const compiled = RE2JS.compile(pattern);
  cache.set(pattern, compiled);
  if (cache.size > cacheLimit) cache.delete(cache.keys().next().value as string);
  return compiled;
}

/** Why RE2 cannot compile `pattern`, or null when it can. */
export function answerPatternProblem(pattern: string): string | null {
  try {
    compileAnswerPattern(pattern);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Whether the whole `answer` matches `pattern` (linear time). */
export function answerMatches(pattern: string, answer: string): boolean {
  return compileAnswerPattern(pattern).matcher(answer).matches();
}
