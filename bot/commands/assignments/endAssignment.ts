import type { CommandContext, Tx } from '../../context';
import { revokeRole } from '../../directory/provisioner';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { cancelTimer } from '../../jobs/timers';
import type { AssignmentsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { onAssignmentEnded } from '../guests/lifecycle';

export const deliverAssignmentTimer = 'assignment.deliver';

export type EndKind = 'expired' | 'removed';

/**
 * Ends an assignment inside the caller's transaction: it becomes `expired` (status `Expired` or
 * `Removed`), its roles are taken away unless another active assignment grants the same role, and
 * the guest lifecycle hears of it. Returns false when it had already ended (nothing is done twice).
 */
export async function endAssignment(tx: Tx, ctx: CommandContext, assignment: Pick<AssignmentsTable, 'id'>, kind: EndKind, reason: string | null = null): Promise<boolean> {
  const now = ctx.clock.now().toISOString();
  const ended = await tx
    .updateTable('assignments')
    .set({ state: 'expired', status: kind === 'expired' ? 'Expired' : 'Removed', activeKey: null, expiredDateTime: now, nextNoticeDateTime: null })
    .where('id', '=', assignment.id)
    .where('activeKey', 'is not', null)
    .returningAll()
    .executeTakeFirst();
  if (!ended) return false;
  await revokeGrants(tx, [ended.id], now);
  await cancelTimer(tx, deliverAssignmentTimer, ended.id);
  const accessPackage = await tx.selectFrom('access_packages').select(['id', 'displayName']).where('id', '=', ended.accessPackageId).executeTakeFirst();
  const subject = await tx.selectFrom('subjects').select(['id', 'objectId', 'displayName']).where('id', '=', ended.targetId).executeTakeFirst();
  await emit(tx, ctx, kind === 'expired' ? eventTypes.assignmentExpired : eventTypes.assignmentRemoved, ended.id, {
    assignmentId: ended.id,
    accessPackageId: ended.accessPackageId,
    targetId: ended.targetId,
    targetUserId: subject?.objectId ?? null,
    ...(kind === 'removed' ? { reason } : {}),
  });
  await writeAudit(tx, ctx, {
    activityDisplayName: kind === 'expired' ? 'Access package assignment expired' : 'Remove access package assignment',
    operationType: 'Unassign',
    targets: [
      { id: ended.id, displayName: null, type: 'AccessPackageAssignment' },
      { id: ended.accessPackageId, displayName: accessPackage?.displayName ?? null, type: 'AccessPackage' },
      { id: subject?.objectId ?? ended.targetId, displayName: subject?.displayName ?? null, type: subject?.objectId ? 'User' : 'AccessPackageSubject' },
    ],
    details: { reason },
  });
  await onAssignmentEnded(tx, ctx, [ended.targetId]);
  return true;
}

/**
 * Takes away what the given (now ended) assignments granted, except roles another active assignment
 * of the same user still grants: a role two assignments grant stays until the last one ends.
 */
export async function revokeGrants(tx: Tx, assignmentIds: readonly string[], now: string): Promise<void> {
  if (assignmentIds.length === 0) return;
  const grants = await tx.selectFrom('assignment_grants').selectAll().where('assignmentId', 'in', assignmentIds).where('state', '=', 'granted').execute();
  for (const grant of grants) {
    if (grant.userId) {
      const stillGranted = await tx
        .selectFrom('assignment_grants as g')
        .innerJoin('assignments as a', 'a.id', 'g.assignmentId')
        .select('g.id')
        .where('g.userId', '=', grant.userId)
        .where('g.resourceOriginId', '=', grant.resourceOriginId)
        .where('g.roleOriginId', '=', grant.roleOriginId)
        .where('g.originSystem', '=', grant.originSystem)
        .where('g.state', '=', 'granted')
        .where('g.assignmentId', 'not in', assignmentIds)
        .where('a.activeKey', 'is not', null)
        .executeTakeFirst();
      if (!stillGranted) await revokeRole(tx, grant, grant.userId);
    }
  }
  await tx.updateTable('assignment_grants').set({ state: 'removed', removedDateTime: now }).where('assignmentId', 'in', assignmentIds).where('state', 'in', ['granted', 'pending', 'failed']).execute();
}
