import type { CommandContext, Tx } from '../../context';
import { scheduleTimers } from '../../jobs/timers';
import { eventTypes } from '../../events/types';
import { stageTimerKinds } from '../approvals/requestFlow';
import { writeAudits } from '../audit';
import { chunked, emitMany } from '../guests/guests';
import { processRequestTimer } from '../requests/submitAddRequest';

/**
 * A request `closeOpenRequests` had to skip on PostgreSQL (its row was locked by a decision or a stage
 * timer at that moment): closed by this timer, due at once, which runs after the holder committed.
 * Its holder may have read the assignment before it ended and left the request open.
 */
export const closeSkippedRequestTimer = 'request.closeAfterAssignmentEnded';

/** Request types that end an assignment themselves: they are the reason it ends, not a victim of it. */
const removalTypes = ['userRemove', 'adminRemove'];

/**
 * Some assignments ended (expired or removed): requests still open about them can no longer do
 * anything — an extension waiting for approval, or the add request of a delivery that failed and is
 * being retried — so they end `canceled` with the reason, their approval stages close, their timers
 * go (an automatic denial must not fire later), and requestors and approvers hear of it (event
 * `assignmentRequest.canceled`, which updates the approvers' cards). Set-based for the expiry sweep:
 * one indexed UPDATE per thousand assignments, more only when something was open.
 */
export async function closeOpenRequests(tx: Tx, ctx: CommandContext, assignmentIds: readonly string[], reason: string): Promise<void> {
  const now = ctx.clock.now().toISOString();
  for (const ids of chunked(assignmentIds, 1000)) {
    const open = tx
      .selectFrom('assignment_requests')
      .select('id')
      .where('assignmentId', 'in', ids)
      .where('openKey', 'is not', null)
      .where('requestType', 'not in', removalTypes);
    const closed = await tx
      .updateTable('assignment_requests')
      .set({ state: 'canceled', status: 'Canceled', completedDateTime: now, openKey: null, currentStage: null, resultReason: reason })
      // On PostgreSQL a request locked right now (being decided or processed, see `lockRequest`) is
      // skipped rather than waited for: its holder may be waiting for the assignment rows this
      // transaction holds. Its holder may have read the assignment before it ended, so a timer due at
      // once (`closeSkippedRequestTimer`) closes it after the holder committed.
      .where('id', 'in', ctx.dialect === 'postgres' ? open.forUpdate().skipLocked() : open)
      .where('openKey', 'is not', null)
      .returning(['id', 'accessPackageId', 'targetId'])
      .execute();
    if (ctx.dialect === 'postgres') await followSkipped(tx, ctx, ids, closed.map((r) => r.id), reason);
    if (closed.length === 0) continue;
    const requestIds = closed.map((r) => r.id);
    const stageIds = (await tx.selectFrom('approval_stages').select('id').where('requestId', 'in', requestIds).execute()).map((s) => s.id);
    for (const slice of chunked(stageIds, 1000)) {
      await tx.deleteFrom('timers').where('kind', 'in', Object.values(stageTimerKinds)).where('subjectId', 'in', slice).execute();
    }
    await tx.updateTable('approval_stages').set({ status: 'Completed' }).where('requestId', 'in', requestIds).where('status', 'in', ['InProgress', 'NotStarted']).execute();
    await tx.deleteFrom('timers').where('kind', '=', processRequestTimer).where('subjectId', 'in', requestIds).execute();
    await emitMany(
      tx,
      ctx,
      closed.map((r) => ({ type: eventTypes.requestCanceled, subjectId: r.id, payload: { requestId: r.id, accessPackageId: r.accessPackageId, targetId: r.targetId, canceledBy: null, reason } })),
    );
    await writeAudits(
      tx,
      ctx,
      closed.map((r) => ({
        activityDisplayName: 'Cancel access package assignment request',
        operationType: 'Update' as const,
        targets: [{ id: r.id, displayName: null, type: 'AccessPackageAssignmentRequest' }],
        details: { reason },
      })),
    );
  }
}

/**
 * The open requests of `assignmentIds` that the skip-locked update left open (locked by another
 * transaction): each gets a `closeSkippedRequestTimer`, which closes it once the lock is gone (and
 * schedules itself again should it be locked again).
 */
async function followSkipped(tx: Tx, ctx: CommandContext, assignmentIds: readonly string[], closedIds: readonly string[], reason: string): Promise<void> {
  const closed = new Set(closedIds);
  const open = await tx
    .selectFrom('assignment_requests')
    .select(['id', 'assignmentId'])
    .where('assignmentId', 'in', assignmentIds)
    .where('openKey', 'is not', null)
    .where('requestType', 'not in', removalTypes)
    .execute();
  const skipped = open.filter((r) => !closed.has(r.id) && r.assignmentId);
  if (skipped.length === 0) return;
  const now = ctx.clock.now();
  await scheduleTimers(
    tx,
    skipped.map((r) => ({ kind: closeSkippedRequestTimer, subjectId: r.id, dueAt: now, payload: { assignmentId: r.assignmentId, reason } })),
    now,
  );
}
