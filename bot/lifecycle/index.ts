import type { Kysely } from 'kysely';
import type { EngineDeps } from '../context';
import type { EventConsumer } from '../events/consumer';
import type { TimerAbandonHandler, TimerHandler } from '../jobs/runner';
import type { Database } from '../store/schema';
import { approvalTimers } from '../commands/approvals/timers';
import { requestTimers } from '../commands/requests/timers';
import { assignmentTimers, recurringAssignmentTimers } from '../commands/assignments/timers';
import { reviewTimers, recurringReviewTimers } from '../commands/reviews/timers';
import { guestTimers } from '../commands/guests/timers';
import { deliveryAbandonHandlers, deliveryTimers } from '../commands/delivery/timers';
import { notifierConsumer } from '../events/notifier';

/**
 * The entitlement engine's background work, by timer kind. Each handler runs in the transaction that
 * completes its timer (bot/jobs/runner.ts), acting as the system.
 */
export function timerHandlers(deps: EngineDeps): Record<string, TimerHandler> {
  return { ...requestTimers(deps), ...approvalTimers(deps), ...deliveryTimers(deps), ...assignmentTimers(deps), ...reviewTimers(deps), ...guestTimers(deps) };
}

/**
 * How the item of a timer kind ends when the timer fails for good (a permanent error, or too many
 * attempts). Kinds not listed are removed with their `timer.failed` event only.
 */
export function timerAbandonHandlers(deps: EngineDeps): Record<string, TimerAbandonHandler> {
  return { ...deliveryAbandonHandlers(deps) };
}

/** The consumers every Portier runs. The bot adds its own when it starts. */
export function builtInConsumers(): Record<string, EventConsumer> {
  return { notifier: notifierConsumer };
}

/**
 * Sweeps that run forever (expiry and notices, review starts): one timer each, created once for
 * the whole database whatever the number of instances, and rescheduled by its own handler.
 */
export async function ensureRecurringTimers(db: Kysely<Database>, now: Date): Promise<void> {
  for (const kind of [...recurringAssignmentTimers, ...recurringReviewTimers]) {
    await db
      .insertInto('timers')
      .values({ id: `${kind}:global`, kind, subjectId: 'global', dueAt: now.toISOString(), payload: '{}', attempts: 0, leaseOwner: null, leaseUntil: null, lastError: null, createdDateTime: now.toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}
