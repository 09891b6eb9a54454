import { newId, type CommandContext, type Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { scheduleTimer } from '../../jobs/timers';
import type { AccessReviewDecisionsTable, AccessReviewDefinitionsTable, AccessReviewInstancesTable, AccessReviewReviewersTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { reviewerResolver } from './resolveReviewers';
import { reviewEnd, type ReviewSettings } from './schedule';
import { reviewTimerKinds } from './syncDefinitions';

/** Graph's `recommendation` values; `NoInfoAvailable` when recommendations are off. */
export type Recommendation = 'Approve' | 'Deny' | 'NoInfoAvailable';

/** Recent activity: a sign-in within this long before the review starts recommends keeping access. */
export const recommendationLookBackMs = 30 * 24 * 3600 * 1000;

/** States of an assignment that holds access (delivering ones are not reviewed yet). */
const reviewedStates = ['delivered', 'partiallyDelivered'];
const insertChunk = 200;

/**
 * Recommendation for one person, from their last sign-in to Portier (users.lastSignInDateTime, kept
 * with hourly precision by bot/auth/principal.ts): `Approve` when within 30 days before the review
 * starts, `Deny` otherwise (including never), `NoInfoAvailable` when recommendations are off.
 */
export function recommendationFor(enabled: boolean, lastSignInDateTime: string | null, reviewStart: Date): Recommendation {
  if (!enabled) return 'NoInfoAvailable';
  if (!lastSignInDateTime) return 'Deny';
  return Date.parse(lastSignInDateTime) >= reviewStart.getTime() - recommendationLookBackMs ? 'Approve' : 'Deny';
}

/**
 * Starts one review of a definition's series, now: one decision per active assignment of the policy
 * (for people in the directory), each with its reviewers (bot/commands/reviews/resolveReviewers.ts)
 * and a recommendation; the `reviewStarted` event tells the reviewers; a timer ends it.
 */
export async function startReview(tx: Tx, ctx: CommandContext, definition: AccessReviewDefinitionsTable, settings: ReviewSettings): Promise<AccessReviewInstancesTable> {
  const now = ctx.clock.now();
  const instance: AccessReviewInstancesTable = {
    id: newId(),
    definitionId: definition.id,
    startDateTime: now.toISOString(),
    endDateTime: reviewEnd(settings, now).toISOString(),
    status: 'InProgress',
    createdDateTime: now.toISOString(),
  };
  await tx.insertInto('access_review_instances').values(instance).execute();

  const accessPackage = await tx.selectFrom('access_packages').select(['id', 'displayName']).where('id', '=', definition.accessPackageId).executeTakeFirst();
  const resource = JSON.stringify({ id: definition.accessPackageId, displayName: accessPackage?.displayName ?? definition.displayName, type: 'accessPackage' });
  const assignments = await tx
    .selectFrom('assignments as a')
    .innerJoin('subjects as s', 's.id', 'a.targetId')
    .innerJoin('users as u', 'u.id', 's.objectId')
    .select(['a.id as assignmentId', 's.objectId', 's.connectedOrganizationId', 'u.displayName', 'u.userPrincipalName', 'u.lastSignInDateTime', 'u.accountEnabled'])
    .where('a.assignmentPolicyId', '=', definition.assignmentPolicyId)
    .where('a.activeKey', 'is not', null)
    .where('a.state', 'in', reviewedStates)
    .orderBy('a.id')
    .execute();

  const resolve = reviewerResolver(tx, settings, definition.catalogId, definition.assignmentPolicyId);
  const decisions: AccessReviewDecisionsTable[] = [];
  const reviewers: AccessReviewReviewersTable[] = [];
  const reviewerIds = new Set<string>();
  let withoutReviewer = 0;
  for (const a of assignments) {
    const objectId = a.objectId as string;
    const resolved = await resolve({ objectId, connectedOrganizationId: a.connectedOrganizationId, accountEnabled: a.accountEnabled === 1 });
    const decision: AccessReviewDecisionsTable = {
      id: newId(),
      instanceId: instance.id,
      definitionId: definition.id,
      assignmentId: a.assignmentId,
      principalId: objectId,
      principal: JSON.stringify({ '@odata.type': '#microsoft.graph.userIdentity', id: objectId, displayName: a.displayName, userPrincipalName: a.userPrincipalName }),
      resource,
      decision: 'NotReviewed',
      recommendation: recommendationFor(settings.isRecommendationEnabled, a.lastSignInDateTime, now),
      justification: null,
      reviewedById: null,
      reviewedBy: null,
      reviewedDateTime: null,
      appliedBy: null,
      appliedDateTime: null,
      applyResult: 'New',
    };
    decisions.push(decision);
    if (resolved.reviewers.length === 0) withoutReviewer++;
    for (const r of resolved.reviewers) {
      reviewers.push({ decisionId: decision.id, instanceId: instance.id, userId: r.userId, kind: r.kind });
      reviewerIds.add(r.userId);
    }
  }
  for (let i = 0; i < decisions.length; i += insertChunk) await tx.insertInto('access_review_decisions').values(decisions.slice(i, i + insertChunk)).execute();
  for (let i = 0; i < reviewers.length; i += insertChunk) await tx.insertInto('access_review_reviewers').values(reviewers.slice(i, i + insertChunk)).execute();

  await scheduleTimer(tx, { kind: reviewTimerKinds.end, subjectId: instance.id, dueAt: new Date(instance.endDateTime) }, now);
  await tx.updateTable('access_review_definitions').set({ status: 'InProgress' }).where('id', '=', definition.id).execute();
  await emit(tx, ctx, eventTypes.reviewStarted, instance.id, {
    definitionId: definition.id,
    instanceId: instance.id,
    accessPackageId: definition.accessPackageId,
    displayName: definition.displayName,
    reviewerIds: [...reviewerIds].sort(),
    decisionCount: decisions.length,
    startDateTime: instance.startDateTime,
    endDateTime: instance.endDateTime,
  });
  await writeAudit(tx, ctx, {
    activityDisplayName: 'Start access review',
    operationType: 'Add',
    targets: [
      { id: instance.id, displayName: definition.displayName, type: 'AccessReviewInstance' },
      { id: definition.id, displayName: definition.displayName, type: 'AccessReviewScheduleDefinition' },
      { id: definition.accessPackageId, displayName: accessPackage?.displayName ?? null, type: 'AccessPackage' },
    ],
    details: {
      decisions: String(decisions.length),
      reviewers: [...reviewerIds].sort().join(', ') || '(none)',
      // Nobody could review these (no reviewer, fallback or catalog owner): expirationBehavior decides.
      decisionsWithoutReviewer: withoutReviewer > 0 ? String(withoutReviewer) : null,
      endDateTime: instance.endDateTime,
    },
  });
  return instance;
}
