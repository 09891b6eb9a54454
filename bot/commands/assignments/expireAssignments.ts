import type { CommandContext, Tx } from '../../context';
import { eventTypes } from '../../events/types';
import { writeAudits } from '../audit';
import { emitMany } from '../guests/guests';
import { onAssignmentEnded } from '../guests/lifecycle';
import { closeOpenRequests } from './closeOpenRequests';
import { revokeGrants } from './endAssignment';

/**
 * Expires up to `limit` assignments whose end has come, set-based, inside the caller's transaction:
 * what `endAssignment(…, 'expired')` does for one, for a batch in a fixed number of statements —
 * one conditional UPDATE … RETURNING claims the batch, grants are revoked role by role (a role
 * another active assignment grants stays), open requests about them close, and the events, audit
 * records and guest lifecycle hooks are written in multi-row inserts. Returns how many expired.
 *
 * The UPDATE only touches rows still active and still due, so an assignment removed or extended by
 * a concurrent transaction is never expired (PostgreSQL re-checks the conditions on the row version
 * it finally updates), and nothing is expired twice.
 */
export async function expireAssignments(tx: Tx, ctx: CommandContext, limit: number): Promise<number> {
  const now = ctx.clock.now().toISOString();
  const ended = await tx
    .updateTable('assignments')
    // endDateTime is cleared so that the due index only ever holds live assignments (see endAssignment).
    // nextNoticeDateTime is cleared below, only where set: writing a null over a null still moves
    // the row's entry in that index, a page write per row for nothing.
    .set({ state: 'expired', status: 'Expired', activeKey: null, expiredDateTime: now, endDateTime: null })
    .where('id', 'in', (eb) =>
      eb.selectFrom('assignments').select('id').where('endDateTime', '<=', now).where('activeKey', 'is not', null).orderBy('endDateTime').orderBy('id').limit(limit),
    )
    .where('endDateTime', '<=', now)
    .where('activeKey', 'is not', null)
    .returning(['id', 'accessPackageId', 'targetId'])
    .execute();
  if (ended.length === 0) return 0;
  const ids = ended.map((a) => a.id);
  for (let i = 0; i < ids.length; i += 1000) {
    await tx.updateTable('assignments').set({ nextNoticeDateTime: null }).where('id', 'in', ids.slice(i, i + 1000)).where('nextNoticeDateTime', 'is not', null).execute();
  }
  await revokeGrants(tx, ended, now);
  await closeOpenRequests(tx, ctx, ids, 'The assignment expired.');

  const targetIds = [...new Set(ended.map((a) => a.targetId))];
  const packageIds = [...new Set(ended.map((a) => a.accessPackageId))];
  const subjects = new Map<string, { objectId: string | null; displayName: string | null }>();
  for (let i = 0; i < targetIds.length; i += 1000) {
    const rows = await tx.selectFrom('subjects').select(['id', 'objectId', 'displayName']).where('id', 'in', targetIds.slice(i, i + 1000)).execute();
    for (const row of rows) subjects.set(row.id, row);
  }
  const packages = new Map((await tx.selectFrom('access_packages').select(['id', 'displayName']).where('id', 'in', packageIds).execute()).map((p) => [p.id, p.displayName]));

  await emitMany(
    tx,
    ctx,
    ended.map((a) => ({
      type: eventTypes.assignmentExpired,
      subjectId: a.id,
      payload: { assignmentId: a.id, accessPackageId: a.accessPackageId, targetId: a.targetId, targetUserId: subjects.get(a.targetId)?.objectId ?? null },
    })),
  );
  await writeAudits(
    tx,
    ctx,
    ended.map((a) => {
      const subject = subjects.get(a.targetId);
      return {
        activityDisplayName: 'Access package assignment expired',
        operationType: 'Unassign' as const,
        targets: [
          { id: a.id, displayName: null, type: 'AccessPackageAssignment' },
          { id: a.accessPackageId, displayName: packages.get(a.accessPackageId) ?? null, type: 'AccessPackage' },
          { id: subject?.objectId ?? a.targetId, displayName: subject?.displayName ?? null, type: subject?.objectId ? 'User' : 'AccessPackageSubject' },
        ],
      };
    }),
  );
  await onAssignmentEnded(tx, ctx, targetIds);
  return ended.length;
}
