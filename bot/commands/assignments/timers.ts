import type { EngineDeps } from '../../context';
import type { TimerHandler } from '../../jobs/runner';

/** Timer kinds of this area (placeholder until implemented). */
export function assignmentTimers(_deps: EngineDeps): Record<string, TimerHandler> {
  return {};
}

/** Kinds that run forever as one sweep timer for the whole database. */
export const recurringAssignmentTimers: readonly string[] = [];
