import { CommandContext, inTransaction, newId } from '../../context';
import { ConflictError, ForbiddenError, ValidationError } from '../../domain/errors';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { scheduleTimer } from '../../jobs/timers';
import { can } from '../../policies';
import type { AccessPackagesTable, AssignmentPoliciesTable, AssignmentRequestsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { isUniqueViolation } from '../directory/loadDirectory';
import type { Question } from '../policies/schemas';
import type { CreateAssignmentRequestInput } from '../requests/schemas';
import { ensureSubject, requesterOfPrincipal } from '../requests/subjects';
import { processRequestTimer } from '../requests/submitAddRequest';
import { validateAnswers } from '../requests/validateAnswers';
import { loadVisibleAssignment, type Assignment } from './loadAssignment';
import { assignmentEnd, checkRequestedSchedule, endOf, type Expiration, type Schedule } from './schedule';

/**
 * `userRemove`/`adminRemove` and `userUpdate`/`adminUpdate` (extension) of an existing assignment
 * (`assignment.id`). Like an add request, the request is stored `submitted` with its event and a
 * processing timer due now; processing (approval stages for a `userUpdate` when the policy asks for
 * them, then `applyRemoveRequest`/`applyUpdateRequest`) follows after the commit.
 *
 * One change at a time: a change request holds the open key `package|target|change` while open, so a
 * second extension or a removal while an extension waits for approval gets 409. It is distinct from
 * an add request's `package|target`, which a delivery that failed and is being retried may still
 * hold; that one never blocks removing (or extending) the assignment.
 */
export async function submitRemoveRequest(ctx: CommandContext, input: CreateAssignmentRequestInput): Promise<AssignmentRequestsTable> {
  const isAdmin = input.requestType === 'adminRemove';
  const target = await loadAssignmentToChange(ctx, input, isAdmin);
  const { assignment, policy, accessPackage } = target;
  if (!isAdmin && !requestorSettingsOf(policy).enableTargetsToSelfRemoveAccess) {
    throw new ForbiddenError(`The policy of access package '${accessPackage.displayName}' does not let users remove their own access; ask an administrator.`, 'SelfRemoveNotAllowed');
  }
  if (!['delivered', 'partiallyDelivered', 'deliveryFailed'].includes(assignment.state)) {
    throw new ConflictError(`The assignment is still being delivered ('${assignment.state}'); cancel its request instead.`, 'AssignmentNotDelivered');
  }
  return insertChangeRequest(ctx, input, target, {
    needsApproval: false,
    justification: input.justification?.trim() || null,
    answers: [],
    schedule: {},
    auditName: isAdmin ? 'Administrator removes access package assignment' : 'User removes access package assignment',
  });
}

export async function submitUpdateRequest(ctx: CommandContext, input: CreateAssignmentRequestInput): Promise<AssignmentRequestsTable> {
  const isAdmin = input.requestType === 'adminUpdate';
  const target = await loadAssignmentToChange(ctx, input, isAdmin);
  const { assignment, policy, accessPackage } = target;
  const requestor = requestorSettingsOf(policy);
  if (!isAdmin && !requestor.enableTargetsToSelfUpdateAccess) {
    throw new ForbiddenError(`The policy of access package '${accessPackage.displayName}' does not let users extend their access; ask an administrator.`, 'SelfUpdateNotAllowed');
  }
  if (assignment.state !== 'delivered') {
    throw new ConflictError(`Only a delivered assignment can be extended; this one is '${assignment.state}'.`, 'AssignmentNotDelivered');
  }
  if (!isAdmin && !assignment.endDateTime) {
    throw new ConflictError(`The assignment to '${accessPackage.displayName}' does not expire; there is nothing to extend.`, 'AssignmentDoesNotExpire');
  }
  const approval = JSON.parse(policy.requestApprovalSettings) as { isApprovalRequiredForUpdate?: boolean; isRequestorJustificationRequired?: boolean; stages?: unknown[] };
  const justification = input.justification?.trim() || null;
  if (!isAdmin && approval.isRequestorJustificationRequired && !justification) {
    throw new ValidationError("Property 'justification' is required: this access package's policy asks requestors to justify their request.", 'justification');
  }
  // The questions were answered when access was requested; answers given again are checked, not required.
  const answers = validateAnswers(JSON.parse(policy.questions) as Question[], input.answers, { requireAll: false });
  const now = ctx.clock.now();
  const schedule = checkRequestedSchedule(input.schedule ?? input.assignment.schedule, JSON.parse(policy.expiration) as Expiration, { mayChoose: isAdmin || !!requestor.allowCustomAssignmentSchedule, now, startsWhenApplied: true });
  if (!isAdmin && assignment.endDateTime) {
    const end = assignmentEnd(JSON.parse(policy.expiration) as Expiration, schedule.expiration, now);
    if (end && end.getTime() <= Date.parse(assignment.endDateTime)) {
      throw new ConflictError(
        `The access already lasts until ${assignment.endDateTime}, which is as long as this policy allows; it cannot be extended now.`,
        'ExtensionNotPossible',
      );
    }
  }
  const stages = approval.stages ?? [];
  return insertChangeRequest(ctx, input, target, {
    needsApproval: !isAdmin && !!approval.isApprovalRequiredForUpdate && stages.length > 0,
    justification,
    answers,
    schedule,
    auditName: isAdmin ? 'Administrator updates access package assignment' : 'User requests access package assignment extension',
  });
}

interface AssignmentToChange {
  assignment: Assignment;
  policy: AssignmentPoliciesTable;
  accessPackage: AccessPackagesTable;
}

/**
 * The assignment a change request names, with the rules every change shares: 404 unless the caller
 * may see it (its target, or catalog staff); `admin*` needs `assignment.manage` in its catalog,
 * `user*` only for the caller's own assignment; it must still be active.
 */
async function loadAssignmentToChange(ctx: CommandContext, input: CreateAssignmentRequestInput, isAdmin: boolean): Promise<AssignmentToChange> {
  const p = ctx.principal;
  if (p.userType === 'System') throw new ForbiddenError();
  const type = input.requestType;
  const id = input.assignment.id;
  if (!id) throw new ValidationError(`Property 'assignment.id' is required in a '${type}' request: it names the assignment to change.`, 'assignment.id');
  for (const field of ['targetId', 'target', 'assignmentPolicyId'] as const) {
    if (input.assignment[field] !== undefined) throw new ValidationError(`Property 'assignment.${field}' is not allowed in a '${type}' request; the assignment is named by 'assignment.id'.`, `assignment.${field}`);
  }
  const { assignment, own } = await loadVisibleAssignment(ctx, id);
  if (input.assignment.accessPackageId && input.assignment.accessPackageId !== assignment.accessPackageId) {
    throw new ValidationError(`Invalid value for 'assignment.accessPackageId': assignment '${id}' is of another access package.`, 'assignment.accessPackageId');
  }
  if (isAdmin && !can(p, 'assignment.manage', { catalogId: assignment.catalogId })) {
    throw new ForbiddenError(`Only catalog owners, access package managers and assignment managers can make an '${type}' request.`);
  }
  if (!isAdmin && !own) {
    throw new ForbiddenError(`A '${type}' request is for the caller's own assignment; use '${type.replace('user', 'admin')}' to change someone else's.`, 'RequestorNotAllowed');
  }
  if (assignment.activeKey === null) {
    throw new ConflictError(`The assignment has already ended (${assignment.status ?? assignment.state}).`, 'AssignmentNotActive');
  }
  const policy = await ctx.db.selectFrom('assignment_policies').selectAll().where('id', '=', assignment.assignmentPolicyId).executeTakeFirst();
  const accessPackage = await ctx.db.selectFrom('access_packages').selectAll().where('id', '=', assignment.accessPackageId).executeTakeFirst();
  if (!policy || !accessPackage) throw new ConflictError("The assignment's policy no longer exists; only an administrator can remove it.", 'PolicyNotFound');
  return { assignment, policy, accessPackage };
}

function requestorSettingsOf(policy: AssignmentPoliciesTable): { enableTargetsToSelfUpdateAccess?: boolean; enableTargetsToSelfRemoveAccess?: boolean; allowCustomAssignmentSchedule?: boolean } {
  return JSON.parse(policy.requestorSettings) as { enableTargetsToSelfUpdateAccess?: boolean; enableTargetsToSelfRemoveAccess?: boolean; allowCustomAssignmentSchedule?: boolean };
}

/** Stores the change request `submitted` with its event, audit and processing timer; processing follows the commit. */
async function insertChangeRequest(
  ctx: CommandContext,
  input: CreateAssignmentRequestInput,
  { assignment, policy, accessPackage }: AssignmentToChange,
  change: { needsApproval: boolean; justification: string | null; answers: unknown[]; schedule: Schedule | Record<string, never>; auditName: string },
): Promise<AssignmentRequestsTable> {
  const now = ctx.clock.now();
  const stageCount = change.needsApproval ? ((JSON.parse(policy.requestApprovalSettings) as { stages?: unknown[] }).stages ?? []).length : 0;
  const request = await inTransaction(ctx, async (tx) => {
    const requestor = await ensureSubject(tx, await requesterOfPrincipal(tx, ctx.principal), now);
    const target = await tx.selectFrom('subjects').select(['id', 'objectId', 'displayName']).where('id', '=', assignment.targetId).executeTakeFirstOrThrow();
    const row: AssignmentRequestsTable = {
      id: newId(),
      requestType: input.requestType,
      state: 'submitted',
      status: 'Accepted',
      accessPackageId: accessPackage.id,
      assignmentPolicyId: policy.id,
      catalogId: assignment.catalogId,
      assignmentId: assignment.id,
      targetId: assignment.targetId,
      requestorId: requestor.id,
      justification: change.justification,
      answers: JSON.stringify(change.answers),
      schedule: JSON.stringify(change.schedule),
      createdDateTime: now.toISOString(),
      completedDateTime: null,
      currentStage: null,
      stageCount,
      resultReason: null,
      openKey: `${accessPackage.id}|${assignment.targetId}|change`,
    };
    try {
      await tx.insertInto('assignment_requests').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`There is already an open request to change the assignment to '${accessPackage.displayName}' for this user; wait for it or cancel it.`, 'PendingRequestExists');
      }
      throw error;
    }
    // It may have ended between the first read and this transaction (expiry, another removal).
    const active = await tx.selectFrom('assignments').select('id').where('id', '=', assignment.id).where('activeKey', 'is not', null).executeTakeFirst();
    if (!active) throw new ConflictError('The assignment has already ended.', 'AssignmentNotActive');
    await emit(tx, ctx, eventTypes.requestSubmitted, row.id, {
      requestId: row.id,
      accessPackageId: accessPackage.id,
      assignmentId: assignment.id,
      targetId: row.targetId,
      requestorId: requestor.id,
      requestType: row.requestType,
    });
    await scheduleTimer(tx, { kind: processRequestTimer, subjectId: row.id, dueAt: now }, now);
    await writeAudit(tx, ctx, {
      activityDisplayName: change.auditName,
      operationType: 'Update',
      targets: [
        { id: row.id, displayName: null, type: 'AccessPackageAssignmentRequest' },
        { id: assignment.id, displayName: null, type: 'AccessPackageAssignment' },
        { id: accessPackage.id, displayName: accessPackage.displayName, type: 'AccessPackage' },
        { id: target.objectId ?? target.id, displayName: target.displayName, type: target.objectId ? 'User' : 'AccessPackageSubject' },
      ],
      details: { requestType: row.requestType, justification: change.justification },
    });
    return row;
  });
  ctx.wake();
  return request;
}
