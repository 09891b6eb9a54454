import type { CommandContext, Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import type { AssignmentRequestsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { endAssignment } from './endAssignment';
import { assignmentEnd, nextNotice, type Expiration, type Schedule } from './schedule';

/**
 * What an approved (or approval-free) update or removal request does to its assignment, inside the
 * transaction that completes the request (processing timer, or the last approval).
 */

/**
 * An extension: the assignment gets a new term starting now — the requested expiration, capped by
 * what the policy allows counted from now — its expiry notices start over, and the request is
 * delivered. If the assignment ended before the extension could be applied, the request ends
 * `canceled` (ending the assignment normally closes it already; this covers a race).
 */
export async function applyUpdateRequest(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable): Promise<void> {
  const now = ctx.clock.now();
  const assignment = request.assignmentId
    ? await tx.selectFrom('assignments').selectAll().where('id', '=', request.assignmentId).where('activeKey', 'is not', null).where('state', '=', 'delivered').executeTakeFirst()
    : undefined;
  if (!assignment) {
    await finishRequest(tx, ctx, request, { state: 'canceled', status: 'Canceled', reason: 'The assignment ended before the extension could be applied.' });
    return;
  }
  const policy = await tx.selectFrom('assignment_policies').select('expiration').where('id', '=', assignment.assignmentPolicyId).executeTakeFirst();
  const requested = (JSON.parse(request.schedule) as Schedule).expiration ?? null;
  const policyExpiration = policy ? (JSON.parse(policy.expiration) as Expiration) : requested;
  const end = assignmentEnd(policyExpiration, requested, now);
  const expiration = requested && requested.type !== 'notSpecified' ? requested : (policyExpiration ?? { type: 'noExpiration' as const });
  const schedule = { startDateTime: now.toISOString(), expiration: { type: expiration.type, duration: expiration.duration ?? null, endDateTime: end?.toISOString() ?? null }, recurrence: null };
  const extended = await tx
    .updateTable('assignments')
    .set({
      startDateTime: now.toISOString(),
      endDateTime: end?.toISOString() ?? null,
      nextNoticeDateTime: nextNotice(now, end, 0)?.toISOString() ?? null,
      noticesSent: 0,
      schedule: JSON.stringify(schedule),
      requestId: request.id,
    })
    .where('id', '=', assignment.id)
    // Still active when the write happens (the expiry sweep may have ended it since the read above).
    .where('activeKey', 'is not', null)
    .where('state', '=', 'delivered')
    .executeTakeFirst();
  if (Number(extended.numUpdatedRows) !== 1) {
    await finishRequest(tx, ctx, request, { state: 'canceled', status: 'Canceled', reason: 'The assignment ended before the extension could be applied.' });
    return;
  }
  await finishRequest(tx, ctx, request, { state: 'delivered', status: 'Delivered', reason: null });
  const subject = await tx.selectFrom('subjects').select(['objectId', 'displayName']).where('id', '=', assignment.targetId).executeTakeFirst();
  const accessPackage = await tx.selectFrom('access_packages').select('displayName').where('id', '=', assignment.accessPackageId).executeTakeFirst();
  await emit(tx, ctx, eventTypes.assignmentExtended, assignment.id, {
    assignmentId: assignment.id,
    requestId: request.id,
    accessPackageId: assignment.accessPackageId,
    targetId: assignment.targetId,
    targetUserId: subject?.objectId ?? null,
    previousEndDateTime: assignment.endDateTime,
    endDateTime: end?.toISOString() ?? null,
  });
  await writeAudit(tx, ctx, {
    activityDisplayName: 'Extend access package assignment',
    operationType: 'Update',
    targets: [
      { id: assignment.id, displayName: null, type: 'AccessPackageAssignment' },
      { id: assignment.accessPackageId, displayName: accessPackage?.displayName ?? null, type: 'AccessPackage' },
      { id: subject?.objectId ?? assignment.targetId, displayName: subject?.displayName ?? null, type: subject?.objectId ? 'User' : 'AccessPackageSubject' },
    ],
    details: { requestId: request.id, requestType: request.requestType, previousEndDateTime: assignment.endDateTime ?? 'never', endDateTime: end?.toISOString() ?? 'never', justification: request.justification },
  });
}

/**
 * A removal: the assignment ends `Removed` (roles revoked unless another assignment still grants
 * them) and the request is delivered. An assignment that ended meanwhile is already what the
 * request asked for; the request is delivered with that reason.
 */
export async function applyRemoveRequest(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable): Promise<void> {
  const reason = request.justification ?? (request.requestType === 'userRemove' ? 'The user removed their own access.' : 'An administrator removed the access.');
  const ended = request.assignmentId ? await endAssignment(tx, ctx, { id: request.assignmentId }, 'removed', reason) : false;
  await finishRequest(tx, ctx, request, { state: 'delivered', status: 'Delivered', reason: ended ? null : 'The assignment had already ended.' });
}

async function finishRequest(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable, outcome: { state: 'delivered' | 'canceled'; status: 'Delivered' | 'Canceled'; reason: string | null }): Promise<void> {
  await tx
    .updateTable('assignment_requests')
    .set({ state: outcome.state, status: outcome.status, completedDateTime: ctx.clock.now().toISOString(), openKey: null, currentStage: null, resultReason: outcome.reason })
    .where('id', '=', request.id)
    .execute();
  if (outcome.state === 'canceled') {
    await emit(tx, ctx, eventTypes.requestCanceled, request.id, { requestId: request.id, accessPackageId: request.accessPackageId, targetId: request.targetId, canceledBy: null, reason: outcome.reason });
  }
}
