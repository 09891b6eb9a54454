import type { Kysely, Selectable } from 'kysely';
import type { AssignmentGrantsTable, AssignmentRequestsTable, AssignmentsTable, Database, DirectoryAuditsTable } from '../../store/schema';
import type { CommandContext, Tx } from '../../context';
import { newId } from '../../context';
import { grantRole, inviteGuest, ProvisioningError } from '../../directory/provisioner';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { scheduleTimer } from '../../jobs/timers';
import { deliverAssignmentTimer } from '../assignments/endAssignment';
import { endOf, nextNotice, type Schedule } from '../assignments/schedule';
import { auditRow, writeAudit } from '../audit';
import { onAssignmentDelivered } from '../guests/lifecycle';
import { lockRequest } from '../approvals/requestFlow';
import { insertRows, prepared } from '../../store/prepared';

/** Automatic retries of a failed delivery: 30 s, 1 min, 2 min, 4 min, 8 min; `reprocess` retries at any time. */
export const maxDeliveryAttempts = 5;
export function deliveryRetryDelayMs(attempt: number): number {
  return 30_000 * 2 ** Math.max(0, attempt - 1);
}

/**
 * Delivers an assignment inside the timer's transaction: an external requestor is invited as a
 * governed guest first, then every resource role of the package is granted and recorded as a grant
 * (one row per role, so a retry never grants twice). When everything is granted the assignment is
 * `delivered` and its clock starts now; a failure leaves `deliveryFailed` (or `partiallyDelivered`)
 * with a retry timer.
 */
export async function deliverAssignment(tx: Tx, ctx: CommandContext, assignmentId: string): Promise<void> {
  const now = ctx.clock.now();
  // The request first (see `lockRequest`), then the assignment (locked on PostgreSQL too): a cancel
  // or an end of the assignment (removal, expiry) waits for the delivery, or the delivery sees it.
  // SQLite has no row locks (one writer at a time): the assignment names its request, whose row is
  // read with it (only whether it is there: the delivery writes to it by id).
  let request: Pick<AssignmentRequestsTable, 'id'> | undefined;
  let assignment: Deliverable | undefined;
  if (ctx.dialect === 'postgres') {
    const requestOf = await requestOfAssignment.first(tx, { id: assignmentId });
    if (requestOf?.requestId) request = await lockRequest(tx, ctx, requestOf.requestId);
    assignment = await deliverableForUpdate.first(tx, { id: assignmentId });
  } else {
    const row = await deliverableWithRequest.first(tx, { id: assignmentId });
    if (row) {
      const { requestRowId, ...rest } = row;
      assignment = rest;
      if (requestRowId) request = { id: requestRowId };
    }
  }
  if (!assignment) return;
  if (assignment.requestId !== request?.id) request = undefined;
  const subject = await subjectById.first(tx, { id: assignment.targetId });
  if (!subject) throw new Error(`assignment ${assignment.id}: its subject is missing`);
  let failure: string | null = null;
  let userId = subject.objectId;
  // A guest created by this delivery has no lifecycle to stop yet (`onAssignmentDelivered` would find nothing).
  let invitedNow = false;
  const audits: DirectoryAuditsTable[] = [];
  if (!userId) {
    try {
      const guest = await inviteGuest(tx, subject, now);
      userId = guest.id;
      invitedNow = guest.created;
      await subjectUser.run(tx, { id: subject.id, objectId: userId });
      // Recorded with the delivery's own record below, in one statement.
      audits.push(
        auditRow(ctx, {
          category: 'UserManagement',
          activityDisplayName: 'Invite external user',
          operationType: 'Add',
          targets: [{ id: userId, displayName: subject.displayName, type: 'User' }],
          details: { invitedUserEmailAddress: subject.email, reason: `Access package assignment ${assignment.id}` },
        }),
      );
    } catch (error) {
      if (!(error instanceof ProvisioningError)) throw error;
      failure = error.message;
    }
  }

  let granted = 0;
  let failed = 0;
  if (userId) {
    const planned = await planGrants(tx, assignment.id, assignment.accessPackageId, userId);
    // A first delivery has no grants but the ones just planned (a failed attempt counts, and a
    // crashed one wrote nothing): no need to read them back.
    const grants = assignment.deliveryAttempts === 0 && planned.inserted === planned.rows.length ? planned.rows : await grantsOf.all(tx, { assignmentId: assignment.id });
    const grantedNow: string[] = [];
    for (const grant of grants) {
      if (grant.state === 'granted') {
        granted++;
        continue;
      }
      try {
        await grantRole(tx, grant, userId);
        grantedNow.push(grant.id);
        granted++;
      } catch (error) {
        if (!(error instanceof ProvisioningError)) throw error;
        await tx.updateTable('assignment_grants').set({ state: 'failed', userId, lastError: error.message }).where('id', '=', grant.id).execute();
        failure ??= error.message;
        failed++;
      }
    }
    // Every grant granted now, recorded in one statement (all of the assignment's not yet granted, when none failed).
    if (grantedNow.length > 0 && failed === 0) await grantsGranted.run(tx, { assignmentId: assignment.id, userId, grantedDateTime: now.toISOString() });
    else for (const id of grantedNow) await grantGranted.run(tx, { id, userId, grantedDateTime: now.toISOString() });
  }

  const auditTargets = [
    { id: assignment.id, displayName: null, type: 'AccessPackageAssignment' },
    { id: assignment.accessPackageId, displayName: assignment.packageDisplayName, type: 'AccessPackage' },
    { id: userId ?? subject.id, displayName: subject.displayName, type: userId ? 'User' : 'AccessPackageSubject' },
  ];

  if (failure === null) {
    const schedule = JSON.parse(assignment.schedule) as Schedule;
    const end = endOf(schedule.expiration, now);
    const delivered = {
      state: 'delivered',
      status: 'Delivered',
      deliveredDateTime: now.toISOString(),
      startDateTime: now.toISOString(),
      endDateTime: end?.toISOString() ?? null,
      nextNoticeDateTime: nextNotice(now, end, 0)?.toISOString() ?? null,
      noticesSent: 0,
      schedule: JSON.stringify({ startDateTime: now.toISOString(), expiration: { ...(schedule.expiration ?? { type: 'noExpiration', duration: null }), endDateTime: end?.toISOString() ?? null }, recurrence: null }),
    };
    await markDelivered.run(tx, { id: assignment.id, ...delivered });
    if (request) await requestDelivered.run(tx, { id: request.id, completedDateTime: now.toISOString() });
    await emit(tx, ctx, eventTypes.assignmentDelivered, assignment.id, { assignmentId: assignment.id, requestId: request?.id ?? null, accessPackageId: assignment.accessPackageId, targetId: subject.id, targetUserId: userId, endDateTime: delivered.endDateTime });
    audits.push(auditRow(ctx, { activityDisplayName: 'Access package assignment delivered', operationType: 'Assign', targets: auditTargets, details: { roles: String(granted), endDateTime: delivered.endDateTime } }));
    await insertRows(tx, 'directory_audits', audits);
    if (!invitedNow) await onAssignmentDelivered(tx, ctx, subject.id);
    return;
  }

  const attempts = assignment.deliveryAttempts + 1;
  const state = granted > 0 && failed > 0 ? 'partiallyDelivered' : 'deliveryFailed';
  const status = state === 'partiallyDelivered' ? 'PartiallyDelivered' : 'DeliveryFailed';
  const retryAt = attempts < maxDeliveryAttempts ? new Date(now.getTime() + deliveryRetryDelayMs(attempts)) : null;
  await tx.updateTable('assignments').set({ state, status, deliveryAttempts: attempts }).where('id', '=', assignment.id).execute();
  if (request) await tx.updateTable('assignment_requests').set({ state, status, resultReason: failure }).where('id', '=', request.id).execute();
  if (retryAt) await scheduleTimer(tx, { kind: deliverAssignmentTimer, subjectId: assignment.id, dueAt: retryAt }, now);
  await emit(tx, ctx, eventTypes.deliveryFailed, assignment.id, { assignmentId: assignment.id, requestId: request?.id ?? null, accessPackageId: assignment.accessPackageId, targetId: subject.id, targetUserId: userId, error: failure, attempts, nextAttemptDateTime: retryAt?.toISOString() ?? null });
  audits.push(auditRow(ctx, { activityDisplayName: 'Access package assignment delivery failed', operationType: 'Assign', targets: auditTargets, result: 'failure', resultReason: failure, details: { attempts: String(attempts) } }));
  await insertRows(tx, 'directory_audits', audits);
}

/**
 * Ends a delivery that failed for good (its timer hit a permanent error, see `JobRunner`): the
 * assignment and its request end `deliveryFailed` with the reason, and `assignment.deliveryFailed`
 * says no retry follows. `reprocess` may still try again later.
 */
export async function abandonDelivery(tx: Tx, ctx: CommandContext, assignmentId: string, reason: string): Promise<void> {
  const assignment = await tx
    .selectFrom('assignments')
    .selectAll()
    .where('id', '=', assignmentId)
    .where('activeKey', 'is not', null)
    .where('state', 'in', ['delivering', 'deliveryFailed', 'partiallyDelivered'])
    .executeTakeFirst();
  if (!assignment) return;
  const failure = `Delivery failed and will not be retried automatically: ${reason}`;
  const attempts = assignment.deliveryAttempts + 1;
  await tx.updateTable('assignments').set({ state: 'deliveryFailed', status: 'DeliveryFailed', deliveryAttempts: attempts }).where('id', '=', assignment.id).execute();
  if (assignment.requestId) await tx.updateTable('assignment_requests').set({ state: 'deliveryFailed', status: 'DeliveryFailed', resultReason: failure }).where('id', '=', assignment.requestId).execute();
  const subject = await tx.selectFrom('subjects').select(['id', 'objectId', 'displayName']).where('id', '=', assignment.targetId).executeTakeFirst();
  await emit(tx, ctx, eventTypes.deliveryFailed, assignment.id, { assignmentId: assignment.id, requestId: assignment.requestId, accessPackageId: assignment.accessPackageId, targetId: assignment.targetId, targetUserId: subject?.objectId ?? null, error: failure, attempts, nextAttemptDateTime: null });
  await writeAudit(tx, ctx, {
    activityDisplayName: 'Access package assignment delivery failed',
    operationType: 'Assign',
    targets: [
      { id: assignment.id, displayName: null, type: 'AccessPackageAssignment' },
      { id: assignment.targetId, displayName: subject?.displayName ?? null, type: 'AccessPackageSubject' },
    ],
    result: 'failure',
    resultReason: failure,
    details: { attempts: String(attempts) },
  });
}

/**
 * Records a pending grant for each resource role the package grants now (a role added since an earlier
 * delivery included); grants already recorded are kept as they are (unique per assignment and role).
 */
export async function planGrants(tx: Tx, assignmentId: string, accessPackageId: string, userId: string): Promise<{ rows: AssignmentGrantsTable[]; inserted: number }> {
  const roles = await packageRoles.all(tx, { accessPackageId });
  if (roles.length === 0) return { rows: [], inserted: 0 };
  const rows = roles.map(
    (r): AssignmentGrantsTable => ({ id: newId(), assignmentId, userId, originSystem: r.originSystem, resourceOriginId: r.resourceOriginId, roleOriginId: r.roleOriginId, roleDisplayName: r.roleDisplayName, state: 'pending', grantedDateTime: null, removedDateTime: null, lastError: null }),
  );
  const inserted = await insertRows(tx, 'assignment_grants', rows, { onConflictDoNothing: [] });
  return { rows, inserted };
}

const packageRoles = prepared((db, p: { accessPackageId: string }) =>
  db
    .selectFrom('resource_role_scopes as rs')
    .innerJoin('resource_roles as r', 'r.id', 'rs.roleId')
    .innerJoin('resources as res', 'res.id', 'r.resourceId')
    .select(['r.originSystem', 'res.originId as resourceOriginId', 'r.originId as roleOriginId', 'r.displayName as roleDisplayName'])
    .where('rs.accessPackageId', '=', p.accessPackageId),
);

const requestOfAssignment = prepared((db, p: { id: string }) => db.selectFrom('assignments').select('requestId').where('id', '=', p.id));
const deliverableStates = ['delivering', 'deliveryFailed', 'partiallyDelivered'];
/** The assignment, and its package's name for the audit record (a subquery: FOR UPDATE locks the assignment only). */
const deliverableQuery = (db: Kysely<Database>, id: string) =>
  db
    .selectFrom('assignments')
    .selectAll('assignments')
    .select((eb) => eb.selectFrom('access_packages as ap').select('ap.displayName').whereRef('ap.id', '=', 'assignments.accessPackageId').as('packageDisplayName'))
    .where('assignments.id', '=', id)
    .where('assignments.activeKey', 'is not', null)
    .where('assignments.state', 'in', deliverableStates);
type Deliverable = Selectable<AssignmentsTable> & { packageDisplayName: string | null };
/** SQLite: the assignment with its request's id when that row exists (a scalar subquery). */
const deliverableWithRequest = prepared((db, p: { id: string }) =>
  deliverableQuery(db, p.id).select((eb) => eb.selectFrom('assignment_requests as rq').select('rq.id').whereRef('rq.id', '=', 'assignments.requestId').as('requestRowId')),
);
const deliverableForUpdate = prepared((db, p: { id: string }) => deliverableQuery(db, p.id).forUpdate());
const subjectUser = prepared((db, p: { id: string; objectId: string }) => db.updateTable('subjects').set({ objectId: p.objectId }).where('id', '=', p.id));
const subjectById = prepared((db, p: { id: string }) => db.selectFrom('subjects').selectAll().where('id', '=', p.id));
const grantsOf = prepared((db, p: { assignmentId: string }) => db.selectFrom('assignment_grants').selectAll().where('assignmentId', '=', p.assignmentId));
const grantGranted = prepared((db, p: { id: string; userId: string; grantedDateTime: string }) =>
  db.updateTable('assignment_grants').set({ state: 'granted', userId: p.userId, grantedDateTime: p.grantedDateTime, lastError: null }).where('id', '=', p.id),
);
const grantsGranted = prepared((db, p: { assignmentId: string; userId: string; grantedDateTime: string }) =>
  db.updateTable('assignment_grants').set({ state: 'granted', userId: p.userId, grantedDateTime: p.grantedDateTime, lastError: null }).where('assignmentId', '=', p.assignmentId).where('state', '<>', 'granted'),
);
const markDelivered = prepared(
  (db, p: { id: string; state: string; status: string; deliveredDateTime: string; startDateTime: string; endDateTime: string | null; nextNoticeDateTime: string | null; noticesSent: number; schedule: string }) =>
    db
      .updateTable('assignments')
      .set({ state: p.state, status: p.status, deliveredDateTime: p.deliveredDateTime, startDateTime: p.startDateTime, endDateTime: p.endDateTime, nextNoticeDateTime: p.nextNoticeDateTime, noticesSent: p.noticesSent, schedule: p.schedule })
      .where('id', '=', p.id),
);
const requestDelivered = prepared((db, p: { id: string; completedDateTime: string }) =>
  db.updateTable('assignment_requests').set({ state: 'delivered', status: 'Delivered', completedDateTime: p.completedDateTime, openKey: null }).where('id', '=', p.id),
);
