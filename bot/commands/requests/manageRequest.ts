import { CommandContext, inTransaction } from '../../context';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { cancelTimers, scheduleTimer } from '../../jobs/timers';
import { can } from '../../policies';
import { readScopes } from '../../policies/visibility';
import type { AssignmentRequestsTable } from '../../store/schema';
import { cancelStageTimers } from '../approvals/requestFlow';
import { deliverAssignmentTimer } from '../assignments/endAssignment';
import { writeAudit } from '../audit';
import type { CreateAssignmentRequestInput } from './schemas';
import { subjectOfPrincipal } from './subjects';
import { submitAddRequest } from './submitAddRequest';
import { submitRemoveRequest, submitUpdateRequest } from '../assignments/submitChangeRequest';

/** `POST /assignmentRequests`: one entry point, one command per request type. */
export function createAssignmentRequest(ctx: CommandContext, input: CreateAssignmentRequestInput): Promise<AssignmentRequestsTable> {
  switch (input.requestType) {
    case 'userAdd':
    case 'adminAdd':
      return submitAddRequest(ctx, input);
    case 'userRemove':
    case 'adminRemove':
      return submitRemoveRequest(ctx, input);
    default:
      return submitUpdateRequest(ctx, input);
  }
}

/**
 * Reads a request for a change: 404 unless the caller may read it (bot/policies/visibility.ts:
 * catalog staff, the person it is for or by, its approvers); whoever may read it but not act on it
 * gets 403 from the command. `staff`: catalog owners and assignment managers, who may act.
 */
async function loadForChange(ctx: CommandContext, id: string): Promise<{ request: AssignmentRequestsTable; own: boolean; staff: boolean }> {
  const request = await ctx.db.selectFrom('assignment_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (!request || !(await readScopes(ctx).isReadable('accessPackageAssignmentRequest', id))) throw new NotFoundError(`No accessPackageAssignmentRequest with id '${id}' was found.`);
  const mine = await subjectOfPrincipal(ctx.db, ctx.principal);
  const own = !!mine && (mine.id === request.targetId || mine.id === request.requestorId);
  const staff = can(ctx.principal, 'assignment.manage', { catalogId: request.catalogId });
  return { request, own, staff };
}

const cancelable = ['submitted', 'pendingApproval', 'scheduled'];

/** `POST …/assignmentRequests/{id}/cancel`: the requestor, or an assignment manager, while it is not delivered yet. */
export async function cancelRequest(ctx: CommandContext, id: string): Promise<void> {
  const { request, own, staff } = await loadForChange(ctx, id);
  if (!own && !staff) throw new ForbiddenError('Only the requestor or an assignment manager can cancel this request.');
  await inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now().toISOString();
    // What the request holds is read from this write, not from before it: it may have been approved
    // (and scheduled, with an assignment) since `loadForChange`.
    const canceled = await tx
      .updateTable('assignment_requests')
      .set({ state: 'canceled', status: 'Canceled', completedDateTime: now, openKey: null, currentStage: null })
      .where('id', '=', id)
      .where('state', 'in', cancelable)
      .returning(['assignmentId'])
      .executeTakeFirst();
    if (!canceled) {
      const current = await tx.selectFrom('assignment_requests').select('state').where('id', '=', id).executeTakeFirstOrThrow();
      throw new ConflictError(`A request in state '${current.state}' cannot be canceled.`, 'RequestNotCancelable');
    }
    await cancelStageTimers(tx, id);
    await tx.updateTable('approval_stages').set({ status: 'Completed' }).where('requestId', '=', id).where('status', 'in', ['InProgress', 'NotStarted']).execute();
    await cancelTimers(tx, ['request.process'], [id]);
    if (canceled.assignmentId) {
      // A scheduled request already holds its (undelivered) assignment: it never starts.
      await tx.updateTable('assignments').set({ state: 'expired', status: 'Canceled', activeKey: null, expiredDateTime: now }).where('id', '=', canceled.assignmentId).where('state', '=', 'delivering').execute();
      await cancelTimers(tx, [deliverAssignmentTimer], [canceled.assignmentId]);
    }
    await emit(tx, ctx, eventTypes.requestCanceled, id, { requestId: id, accessPackageId: request.accessPackageId, targetId: request.targetId, canceledBy: ctx.principal.userId });
    await writeAudit(tx, ctx, { activityDisplayName: 'Cancel access package assignment request', operationType: 'Update', targets: [{ id, displayName: null, type: 'AccessPackageAssignmentRequest' }] });
  });
}

/** `POST …/assignmentRequests/{id}/reprocess`: retries a failed delivery now (the requestor or an assignment manager). */
export async function reprocessRequest(ctx: CommandContext, id: string): Promise<void> {
  const { request, own, staff } = await loadForChange(ctx, id);
  if (!own && !staff) throw new ForbiddenError('Only the requestor or an assignment manager can reprocess this request.');
  if (!['deliveryFailed', 'partiallyDelivered'].includes(request.state) || !request.assignmentId) {
    throw new ConflictError(`Only requests whose delivery failed can be reprocessed; this one is '${request.state}'.`, 'RequestNotReprocessable');
  }
  await reprocessAssignmentDelivery(ctx, request.assignmentId, id);
}

/** Schedules the delivery of an assignment now; shared by request and assignment `reprocess`. */
export async function reprocessAssignmentDelivery(ctx: CommandContext, assignmentId: string, requestId: string | null): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const assignment = await tx.selectFrom('assignments').select(['id', 'state']).where('id', '=', assignmentId).where('activeKey', 'is not', null).executeTakeFirst();
    if (!assignment || !['deliveryFailed', 'partiallyDelivered'].includes(assignment.state)) {
      throw new ConflictError('Only an assignment whose delivery failed can be reprocessed.', 'AssignmentNotReprocessable');
    }
    await scheduleTimer(tx, { kind: deliverAssignmentTimer, subjectId: assignmentId, dueAt: now }, now);
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Reprocess access package assignment',
      operationType: 'Update',
      targets: [{ id: assignmentId, displayName: null, type: 'AccessPackageAssignment' }, ...(requestId ? [{ id: requestId, displayName: null, type: 'AccessPackageAssignmentRequest' }] : [])],
    });
  });
  ctx.wake();
}

/** `DELETE …/assignmentRequests/{id}`: assignment managers remove a finished request that holds no active assignment. */
export async function deleteRequest(ctx: CommandContext, id: string): Promise<void> {
  const { request, staff } = await loadForChange(ctx, id);
  if (!staff) throw new ForbiddenError('Only an assignment manager can delete requests.');
  await inTransaction(ctx, async (tx) => {
    const current = await tx.selectFrom('assignment_requests').select(['state', 'openKey', 'assignmentId']).where('id', '=', id).executeTakeFirst();
    if (!current) throw new NotFoundError(`No accessPackageAssignmentRequest with id '${id}' was found.`);
    if (current.openKey !== null) throw new ConflictError(`The request is still open ('${current.state}'); cancel it first.`, 'RequestStillOpen');
    if (current.assignmentId && ['userAdd', 'adminAdd'].includes(request.requestType)) {
      const active = await tx.selectFrom('assignments').select('id').where('id', '=', current.assignmentId).where('activeKey', 'is not', null).executeTakeFirst();
      if (active) throw new ConflictError('The request has an active assignment; remove the assignment first.', 'ResourceInUse');
    }
    await tx.deleteFrom('assignment_requests').where('id', '=', id).execute();
    await writeAudit(tx, ctx, { activityDisplayName: 'Delete access package assignment request', operationType: 'Delete', targets: [{ id, displayName: null, type: 'AccessPackageAssignmentRequest' }] });
  });
}
