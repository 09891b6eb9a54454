import { systemContext, type EngineDeps } from '../../context';
import type { TimerHandler } from '../../jobs/runner';
import { scheduleTimer } from '../../jobs/timers';
import { completeReview } from './completeReview';
import type { ReviewSettings } from './schedule';
import { startReview } from './startReview';
import { reviewSyncIntervalMs, reviewTimerKinds, scheduleNextReview, syncDefinitions } from './syncDefinitions';

/**
 * Access reviews as timers:
 * - `reviews.sweep` (one for the database, created by ensureRecurringTimers): syncs the definitions
 *   with the policies' reviewSettings and schedules each series' next start; then sleeps
 *   `reviewSyncIntervalMs` (a policy command may wake it with `requestReviewSync`).
 * - `review.start` (per definition, due at the scheduled start): starts the review and schedules the
 *   series' next one — so starts are exact to the second and cost nothing until due.
 * - `review.end` (per instance): applies the decisions.
 */
export function reviewTimers(deps: EngineDeps): Record<string, TimerHandler> {
  return {
    [reviewTimerKinds.sweep]: async (timer, { tx, now }) => {
      // A slice at a time (a few ms of the single writer), the next one shortly after, then it sleeps.
      const { more } = await syncDefinitions(tx, systemContext(deps, timer.id, tx));
      await scheduleTimer(tx, { kind: reviewTimerKinds.sweep, subjectId: 'global', dueAt: new Date(now.getTime() + (more ? 50 : reviewSyncIntervalMs)) }, now);
    },
    [reviewTimerKinds.sync]: async (timer, { tx }) => {
      await syncDefinitions(tx, systemContext(deps, timer.id, tx), { policyIds: [timer.subjectId] });
    },
    [reviewTimerKinds.start]: async (timer, { tx, now }) => {
      const ctx = systemContext(deps, timer.id, tx);
      const definition = await tx.selectFrom('access_review_definitions').selectAll().where('id', '=', timer.subjectId).executeTakeFirst();
      if (!definition || definition.status === 'Completed') return;
      const policy = await tx.selectFrom('assignment_policies').select('reviewSettings').where('id', '=', definition.assignmentPolicyId).executeTakeFirst();
      // Settings saved since the sweep last looked wait for it (it reschedules this timer).
      if (!policy || policy.reviewSettings !== definition.settings) return;
      const settings = JSON.parse(definition.settings) as ReviewSettings;
      if (!settings.isEnabled) return;
      await startReview(tx, ctx, definition, settings);
      // A review started now covers every start missed until now: the next one is the first after now.
      await scheduleNextReview(tx, definition, settings, now, now);
    },
    [reviewTimerKinds.end]: async (timer, { tx }) => {
      await completeReview(tx, systemContext(deps, timer.id, tx), timer.subjectId);
    },
  };
}

/** Kinds that run forever as one sweep timer for the whole database. */
export const recurringReviewTimers: readonly string[] = [reviewTimerKinds.sweep];
