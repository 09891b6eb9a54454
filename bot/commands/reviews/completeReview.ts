import type { CommandContext, Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { writeAudit } from '../audit';
import { endAssignment } from '../assignments/endAssignment';
import { hasReviewInProgress, reviewTimerKinds } from './syncDefinitions';
import type { ReviewSettings } from './schedule';

/** Who applies decisions when a review ends: entitlement management itself, as Graph shows it. */
export const reviewSystemIdentity = { id: '00000000-0000-0000-0000-000000000000', displayName: 'Entitlement Management', userPrincipalName: null };

export type ReviewOutcome = 'keep' | 'remove';

/**
 * What a decision does when the review ends: `Approve` keeps, `Deny` removes; `NotReviewed` and
 * `DontKnow` follow `expirationBehavior` — `keepAccess` keeps, `removeAccess` removes,
 * `acceptAccessRecommendation` removes only on a `Deny` recommendation.
 */
export function outcomeOf(decision: string, recommendation: string, expirationBehavior: ReviewSettings['expirationBehavior']): ReviewOutcome {
  if (decision === 'Approve') return 'keep';
  if (decision === 'Deny') return 'remove';
  if (expirationBehavior === 'removeAccess') return 'remove';
  if (expirationBehavior === 'acceptAccessRecommendation' && recommendation === 'Deny') return 'remove';
  return 'keep';
}

/**
 * Ends a review instance and applies its decisions (timer `review.end`): the instance is closed
 * first, with a conditional write, so it is applied once and a reviewer's PATCH arriving now gets
 * 409 (it reads the instance FOR SHARE on PostgreSQL; SQLite writes one at a time). Removals go
 * through `endAssignment` (roles revoked, events, audit, guest lifecycle). Returns false when the
 * instance had already ended.
 */
export async function completeReview(tx: Tx, ctx: CommandContext, instanceId: string): Promise<boolean> {
  const now = ctx.clock.now().toISOString();
  const instance = await tx.updateTable('access_review_instances').set({ status: 'Completed' }).where('id', '=', instanceId).where('status', '=', 'InProgress').returningAll().executeTakeFirst();
  if (!instance) return false;
  const definition = await tx.selectFrom('access_review_definitions').selectAll().where('id', '=', instance.definitionId).executeTakeFirstOrThrow();
  const settings = JSON.parse(definition.settings) as ReviewSettings;
  const decisions = await tx
    .selectFrom('access_review_decisions as d')
    .leftJoin('assignments as a', 'a.id', 'd.assignmentId')
    .select(['d.id', 'd.assignmentId', 'd.decision', 'd.recommendation', 'a.activeKey'])
    .where('d.instanceId', '=', instance.id)
    .where('d.applyResult', '=', 'New')
    .orderBy('d.id')
    .execute();

  const byResult = new Map<string, string[]>();
  const record = (result: string, id: string) => byResult.set(result, [...(byResult.get(result) ?? []), id]);
  let removed = 0;
  let kept = 0;
  for (const d of decisions) {
    if (outcomeOf(d.decision, d.recommendation, settings.expirationBehavior) === 'remove') {
      const reason = d.decision === 'Deny' ? 'Denied in access review' : `Not reviewed in access review (${settings.expirationBehavior})`;
      const ended = await endAssignment(tx, ctx, { id: d.assignmentId }, 'removed', reason);
      if (ended) removed++;
      record(ended ? 'AppliedSuccessfully' : 'AppliedSuccessfullyButObjectNotFound', d.id);
    } else {
      if (d.activeKey) kept++;
      record(d.activeKey ? 'AppliedSuccessfully' : 'AppliedSuccessfullyButObjectNotFound', d.id);
    }
  }
  const appliedBy = JSON.stringify(reviewSystemIdentity);
  for (const [applyResult, ids] of byResult) {
    for (let i = 0; i < ids.length; i += 500) {
      await tx.updateTable('access_review_decisions').set({ applyResult, appliedBy, appliedDateTime: now }).where('id', 'in', ids.slice(i, i + 500)).execute();
    }
  }

  // The series is over when no next review is scheduled and no other one is still running.
  const nextStart = await tx.selectFrom('timers').select('id').where('kind', '=', reviewTimerKinds.start).where('subjectId', '=', definition.id).executeTakeFirst();
  if (!nextStart && !(await hasReviewInProgress(tx, definition.id))) {
    await tx.updateTable('access_review_definitions').set({ status: 'Completed' }).where('id', '=', definition.id).execute();
  }
  const notReviewed = decisions.filter((d) => d.decision === 'NotReviewed' || d.decision === 'DontKnow').length;
  await emit(tx, ctx, eventTypes.reviewCompleted, instance.id, {
    definitionId: definition.id,
    instanceId: instance.id,
    accessPackageId: definition.accessPackageId,
    displayName: definition.displayName,
    removed,
    kept,
  });
  await writeAudit(tx, ctx, {
    activityDisplayName: 'Apply access review decisions',
    operationType: 'Update',
    targets: [
      { id: instance.id, displayName: definition.displayName, type: 'AccessReviewInstance' },
      { id: definition.id, displayName: definition.displayName, type: 'AccessReviewScheduleDefinition' },
    ],
    details: { decisions: String(decisions.length), removed: String(removed), kept: String(kept), notReviewed: String(notReviewed), expirationBehavior: settings.expirationBehavior },
  });
  return true;
}
