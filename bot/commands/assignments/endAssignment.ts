import { PostgresAdapter } from 'kysely';
import type { CommandContext, Tx } from '../../context';
import { revokeRoleFromUsers } from '../../directory/provisioner';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { cancelTimer } from '../../jobs/timers';
import type { AssignmentsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { chunked } from '../guests/guests';
import { onAssignmentEnded } from '../guests/lifecycle';
import { closeOpenRequests } from './closeOpenRequests';

export const deliverAssignmentTimer = 'assignment.deliver';

export type EndKind = 'expired' | 'removed';

/**
 * Ends an assignment inside the caller's transaction: it becomes `expired` (status `Expired` or
 * `Removed`), its roles are taken away unless another active assignment grants the same role,
 * requests still open about it end (see `closeOpenRequests`), and the guest lifecycle hears of it.
 * Returns false when it had already ended (nothing is done twice). `endDateTime` is cleared: it is
 * the expiry sweep's due time, so only live assignments keep one (the end stays in `schedule`).
 * The expiry sweep does the same for many assignments at once (expireAssignments.ts).
 */
export async function endAssignment(tx: Tx, ctx: CommandContext, assignment: Pick<AssignmentsTable, 'id'>, kind: EndKind, reason: string | null = null): Promise<boolean> {
  const now = ctx.clock.now().toISOString();
  const ended = await tx
    .updateTable('assignments')
    .set({ state: 'expired', status: kind === 'expired' ? 'Expired' : 'Removed', activeKey: null, expiredDateTime: now, endDateTime: null, nextNoticeDateTime: null })
    .where('id', '=', assignment.id)
    .where('activeKey', 'is not', null)
    .returningAll()
    .executeTakeFirst();
  if (!ended) return false;
  await revokeGrants(tx, [ended], now);
  await cancelTimer(tx, deliverAssignmentTimer, ended.id);
  await closeOpenRequests(tx, ctx, [ended.id], kind === 'expired' ? 'The assignment expired.' : 'The assignment was removed.');
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
 * Takes away what the given assignments granted, except roles another active assignment of the same
 * person still grants: a role two assignments grant stays until the last one ends. The assignments
 * must already be ended (`activeKey` null) in this transaction. Set-based — a few statements per
 * thousand assignments whatever the number of grants — so the expiry sweep can use it for batches.
 */
export async function revokeGrants(tx: Tx, ended: ReadonlyArray<{ id: string; targetId: string }>, now: string): Promise<void> {
  for (const batch of chunked(ended, 1000)) {
    const ids = batch.map((a) => a.id);
    // One pass over the grants: every one still in force becomes `removed`. Those that had been
    // granted (a grant gets grantedDateTime exactly when it is made, and a made grant never fails
    // again) are the roles to take away; pending and failed ones were never in the directory.
    const grants = (
      await tx
        .updateTable('assignment_grants')
        .set({ state: 'removed', removedDateTime: now })
        .where('assignmentId', 'in', ids)
        .where('state', 'in', ['granted', 'pending', 'failed'])
        .returning(['assignmentId', 'userId', 'originSystem', 'resourceOriginId', 'roleOriginId', 'grantedDateTime'])
        .execute()
    ).filter((g) => g.grantedDateTime !== null);
    if (grants.length === 0) continue;

    const roleKey = (g: { originSystem: string; resourceOriginId: string; roleOriginId: string }) => `${g.originSystem}\n${g.resourceOriginId}\n${g.roleOriginId}`;
    const kept = new Set<string>();
    // Most people lose their only assignment: look for other grants only for those who still have
    // another assignment (the (targetId, state) index answers that without reading the rows).
    const others = await tx.selectFrom('assignments').select('targetId').distinct().where('targetId', 'in', [...new Set(batch.map((a) => a.targetId))]).where('state', '<>', 'expired').execute();
    if (others.length > 0) {
      const withOthers = new Set(others.map((o) => o.targetId));
      const assignmentsWithOthers = new Set(batch.filter((a) => withOthers.has(a.targetId)).map((a) => a.id));
      const users = [...new Set(grants.filter((g) => assignmentsWithOthers.has(g.assignmentId) && g.userId).map((g) => g.userId as string))];
      for (const slice of chunked(users, 1000)) {
        const query = tx
          .selectFrom('assignment_grants as g')
          .innerJoin('assignments as a', 'a.id', 'g.assignmentId')
          .select(['g.userId', 'g.originSystem', 'g.resourceOriginId', 'g.roleOriginId'])
          .where('g.userId', 'in', slice)
          .where('g.state', '=', 'granted')
          .where('a.activeKey', 'is not', null);
        // On PostgreSQL the assignments that keep a role are share-locked: one ending at this very
        // moment in another transaction is either seen ended (we wait for it, then re-check) or waits
        // for us and then sees ours ended — never both keeping the role for each other.
        const stillGranted = await (isPostgres(tx) ? query.forShare(['a']) : query).execute();
        for (const g of stillGranted) kept.add(`${g.userId}\n${roleKey(g)}`);
      }
    }
    // Revoke role by role: one statement removes a role from every user of the batch losing it.
    const byRole = new Map<string, { grant: (typeof grants)[number]; userIds: Set<string> }>();
    for (const grant of grants) {
      if (!grant.userId || kept.has(`${grant.userId}\n${roleKey(grant)}`)) continue;
      const entry = byRole.get(roleKey(grant)) ?? { grant, userIds: new Set<string>() };
      entry.userIds.add(grant.userId);
      byRole.set(roleKey(grant), entry);
    }
    for (const { grant, userIds } of byRole.values()) {
      for (const slice of chunked([...userIds], 1000)) await revokeRoleFromUsers(tx, grant, slice);
    }
  }
}

function isPostgres(tx: Tx): boolean {
  return tx.getExecutor().adapter instanceof PostgresAdapter;
}
