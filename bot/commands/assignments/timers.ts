import { performance } from 'node:perf_hooks';
import { systemContext, type CommandContext, type EngineDeps, type Tx } from '../../context';
import type { TimerHandler } from '../../jobs/runner';
import { scheduleTimer } from '../../jobs/timers';
import { closeOpenRequests, closeSkippedRequestTimer } from './closeOpenRequests';
import { expireAssignments } from './expireAssignments';
import { sendExpiryNotices } from './sendExpiryNotices';

/**
 * Expiry and expiry notices run as ONE recurring sweep timer for the whole database (created once by
 * `ensureRecurringTimers`; its lease makes it single-runner across instances). Each run works in
 * set-based batches until nothing is due or its time budget is spent, then reschedules itself: due
 * at once when work is left (the job runner's pass picks it up again right away, letting other
 * transactions in between), otherwise after `sweepPeriodMs`, so ends and notices of assignments
 * lasting only seconds are met within about a second.
 */
export const sweepTimerKind = 'assignments.sweep';

/** How often the sweep looks for due ends and notices when it found nothing left to do. */
export const sweepPeriodMs = 1000;

/** Rows per statement: large enough to amortize, small enough to keep every statement short. */
export const sweepBatchSize = 2000;

/**
 * How long one run may keep its transaction (and on SQLite the write lock) before it commits and
 * lets other work in; the run always does at least one batch of each kind.
 */
export const sweepBudgetMs = 1000;

export interface SweepResult {
  expired: number;
  notices: number;
  /** True when the budget ran out with work still due. */
  more: boolean;
}

/** One run of the sweep: expiries first (an assignment past its end gets no notice), then notices. */
export async function sweepAssignments(tx: Tx, ctx: CommandContext, options: { batchSize?: number; budgetMs?: number } = {}): Promise<SweepResult> {
  const batchSize = options.batchSize ?? sweepBatchSize;
  const budgetMs = options.budgetMs ?? sweepBudgetMs;
  const started = performance.now();
  const result: SweepResult = { expired: 0, notices: 0, more: false };
  for (;;) {
    const n = await expireAssignments(tx, ctx, batchSize);
    result.expired += n;
    if (n < batchSize) break;
    if (performance.now() - started > budgetMs) return { ...result, more: true };
  }
  for (;;) {
    const n = await sendExpiryNotices(tx, ctx, batchSize);
    result.notices += n;
    if (n < batchSize) break;
    if (performance.now() - started > budgetMs) return { ...result, more: true };
  }
  return result;
}

/**
 * When the sweep should look again: in `sweepPeriodMs`, or at the next end or notice if that comes
 * sooner, so a term of seconds ends on time. Two index lookups (only live assignments keep an
 * `endDateTime` or a `nextNoticeDateTime`); a value already past would be something the sweep does
 * not act on, so it never makes the sweep spin.
 */
async function nextSweep(tx: Tx, now: Date): Promise<Date> {
  const later = now.getTime() + sweepPeriodMs;
  const end = await tx.selectFrom('assignments').select((eb) => eb.fn.min('endDateTime').as('at')).executeTakeFirst();
  const notice = await tx.selectFrom('assignments').select((eb) => eb.fn.min('nextNoticeDateTime').as('at')).executeTakeFirst();
  const soonest = [end?.at, notice?.at]
    .filter((at): at is string => typeof at === 'string')
    .map((at) => Date.parse(at))
    .filter((at) => at > now.getTime() && at < later);
  return new Date(Math.min(later, ...soonest));
}

/** Timer kinds of this area. */
export function assignmentTimers(deps: EngineDeps): Record<string, TimerHandler> {
  return {
    [sweepTimerKind]: async (timer, { tx }) => {
      const ctx = systemContext(deps, timer.id, tx);
      const { more } = await sweepAssignments(tx, ctx);
      const now = ctx.clock.now();
      await scheduleTimer(tx, { kind: sweepTimerKind, subjectId: 'global', dueAt: more ? now : await nextSweep(tx, now) }, now);
    },
    // A request the expiry or removal of its assignment could not close at once (see `closeOpenRequests`).
    [closeSkippedRequestTimer]: async (timer, { tx }) => {
      const { assignmentId, reason } = timer.data;
      if (typeof assignmentId !== 'string' || typeof reason !== 'string') throw new Error(`timer ${timer.id}: payload lacks assignmentId or reason`);
      await closeOpenRequests(tx, systemContext(deps, timer.id, tx), [assignmentId], reason);
    },
  };
}

/** Kinds that run forever as one sweep timer for the whole database. */
export const recurringAssignmentTimers: readonly string[] = [sweepTimerKind];
