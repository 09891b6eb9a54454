import { type Insertable, type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import type { CommandContext, Tx } from '../../context';
import { newId } from '../../context';
import { catalogScope, entitlementRoles } from '../../domain/roles';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { cancelTimers, scheduleTimer, scheduleTimers } from '../../jobs/timers';
import { insertRows, prepared } from '../../store/prepared';
import type { ApprovalStagesTable, AssignmentRequestsTable, AssignmentsTable, Database } from '../../store/schema';
import { applyRemoveRequest, applyUpdateRequest } from '../assignments/applyRequest';
import { deliverAssignmentTimer } from '../assignments/endAssignment';
import type { Schedule } from '../assignments/schedule';
import { writeAudit } from '../audit';
import { isUniqueViolation } from '../directory/loadDirectory';
import { durationToMilliseconds } from '../policies/durations';
import type { ApprovalStage } from '../policies/schemas';
import { resolveWithFallback } from './resolveApprovers';

/**
 * The request state machine after submission: approval stages one after the other, then the change
 * the request asks for. Every step runs inside the transaction of whatever moved it (the processing
 * timer, a decision, an automatic denial), so states, timers, events and audit land together.
 */
export const stageTimerKinds = { autoDeny: 'approval.autoDeny', escalate: 'approval.escalate', remind: 'approval.remind' } as const;

const addTypes = new Set(['userAdd', 'adminAdd']);
const updateTypes = new Set(['userUpdate', 'adminUpdate']);

/**
 * Reads a request and, on PostgreSQL, locks its row until the transaction ends. Everything that
 * moves a request on (processing, a decision, a stage timer, cancel, delivery) takes this lock
 * before it touches the request's stages, assignment or timers, so they happen one after the other
 * in one order — never two outcomes, and no deadlock between, say, a cancel and the processing
 * timer. (SQLite runs one writer at a time already.)
 */
export async function lockRequest(tx: Tx, ctx: Pick<CommandContext, 'dialect'>, requestId: string): Promise<AssignmentRequestsTable | undefined> {
  return (ctx.dialect === 'postgres' ? requestForUpdate : requestById).first(tx, { id: requestId });
}

const requestById = prepared((db, p: { id: string }) => db.selectFrom('assignment_requests').selectAll().where('id', '=', p.id));
const requestForUpdate = prepared((db, p: { id: string }) => db.selectFrom('assignment_requests').selectAll().where('id', '=', p.id).forUpdate());

/**
 * `lockRequest` with more facts read in the same statement: scalar subqueries in the select list,
 * so on PostgreSQL only the request's row is locked.
 */
function lockRequestWith<K extends string>(facts: Record<K, () => RawBuilder<string | null>>) {
  const build = (db: Kysely<Database>, id: string) =>
    db
      .selectFrom('assignment_requests')
      .selectAll()
      .select(Object.entries<() => RawBuilder<string | null>>(facts).map(([name, fact]) => fact().as(name)))
      .where('id', '=', id);
  const plain = prepared((db, p: { id: string }) => build(db, p.id));
  const forUpdate = prepared((db, p: { id: string }) => build(db, p.id).forUpdate());
  return (tx: Tx, ctx: Pick<CommandContext, 'dialect'>, requestId: string) => (ctx.dialect === 'postgres' ? forUpdate : plain).first(tx, { id: requestId }) as Promise<(AssignmentRequestsTable & Record<K, string | null>) | undefined>;
}

/** `lockRequest`, with the approval settings of the request's policy (null when it has none, or it was deleted). */
const lockRequestWithApprovalSettings = lockRequestWith({
  policyApprovalSettings: () => sql<string | null>`(select ${sql.ref('p.requestApprovalSettings')} from ${sql.table('assignment_policies')} as ${sql.ref('p')} where ${sql.ref('p.id')} = ${sql.ref('assignment_requests.assignmentPolicyId')})`,
});

/** A column of the request's target or requestor subject, as a scalar subquery. */
const partyFact = (party: 'targetId' | 'requestorId', column: 'objectId' | 'homeTenantId' | 'homeObjectId') => () =>
  sql<string | null>`(select ${sql.ref(`s.${column}`)} from ${sql.table('subjects')} as ${sql.ref('s')} where ${sql.ref('s.id')} = ${sql.ref(`assignment_requests.${party}`)})`;

/**
 * `lockRequest` for a decision: the name of the request's package (for the audit record), its
 * policy's id (null when it has none, or it was deleted: the last approval then denies, see
 * `createAssignment`), and who the target and the requestor are (no one decides their own request).
 */
export const lockRequestForDecision = lockRequestWith({
  packageDisplayName: () => sql<string | null>`(select ${sql.ref('ap.displayName')} from ${sql.table('access_packages')} as ${sql.ref('ap')} where ${sql.ref('ap.id')} = ${sql.ref('assignment_requests.accessPackageId')})`,
  existingPolicyId: () => sql<string | null>`(select ${sql.ref('ep.id')} from ${sql.table('assignment_policies')} as ${sql.ref('ep')} where ${sql.ref('ep.id')} = ${sql.ref('assignment_requests.assignmentPolicyId')})`,
  targetObjectId: partyFact('targetId', 'objectId'),
  targetHomeTenantId: partyFact('targetId', 'homeTenantId'),
  targetHomeObjectId: partyFact('targetId', 'homeObjectId'),
  requestorObjectId: partyFact('requestorId', 'objectId'),
  requestorHomeTenantId: partyFact('requestorId', 'homeTenantId'),
  requestorHomeObjectId: partyFact('requestorId', 'homeObjectId'),
});

/** Moves a `submitted` request on: into its first approval stage, or straight to what it asks for. */
export async function processRequest(tx: Tx, ctx: CommandContext, requestId: string): Promise<void> {
  const locked = await lockRequestWithApprovalSettings(tx, ctx, requestId);
  if (!locked || locked.state !== 'submitted') return; // canceled meanwhile, or processed already
  const { policyApprovalSettings, ...request } = locked;
  const policy = request.assignmentPolicyId && policyApprovalSettings !== null ? { requestApprovalSettings: policyApprovalSettings } : undefined;
  // Fail closed: a request whose policy was deleted is never granted without the approval it asked for.
  if (request.assignmentPolicyId && !policy) return denyRequest(tx, ctx, request, { status: 'Denied', reason: policyGoneReason });
  if (request.stageCount > 0 && policy) {
    const stages = (JSON.parse(policy.requestApprovalSettings) as { stages: ApprovalStage[] }).stages ?? [];
    if (stages.length > 0) {
      const rows: ApprovalStagesTable[] = stages.map((settings, index) => ({
            id: newId(),
            requestId: request.id,
            stageIndex: index,
            displayName: `Stage ${index + 1}`,
            status: 'NotStarted',
            reviewResult: 'NotReviewed',
            justification: null,
            reviewedById: null,
            reviewedBy: null,
            reviewedDateTime: null,
            startedDateTime: null,
            dueDateTime: null,
            escalationDateTime: null,
            isEscalated: 0,
            settings: JSON.stringify(settings),
          }));
      // Nothing else writes a request's stages, and its row is locked (or SQLite's one writer): the
      // rows are new, so stage 1 is written already started (its approvers resolved first) instead
      // of inserted and then updated. Should stages exist after all, stage 1 starts from the table.
      const start = await planStageStart(tx, ctx, request, rows[0]);
      const firstStarted = [startedRow(rows[0], start), ...rows.slice(1)];
      const inserted = await insertRows(tx, 'approval_stages', firstStarted, { onConflictDoNothing: [] });
      if (inserted === rows.length) await applyStageStart(tx, ctx, request, firstStarted[0], start, { rowWritten: true });
      else await startStage(tx, ctx, request, 0);
      return;
    }
  }
  // Here the request has no policy (then no assignment) or its policy was just read.
  await completeRequest(tx, ctx, request, { policyExists: !!policy });
}

/** Starts stage `index`: resolves its approvers (or fallback), sets its deadlines, tells the approvers. No one → denied. */
export async function startStage(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable, index: number): Promise<void> {
  const stage = await stageByIndex.first(tx, { requestId: request.id, index });
  if (!stage) throw new Error(`request ${request.id} has no stage ${index}`);
  await applyStageStart(tx, ctx, request, stage, await planStageStart(tx, ctx, request, stage), { rowWritten: false });
}

/** How a stage starts: its approvers and deadlines, or, with no one to approve, denied at once. */
type StageStart =
  | { kind: 'started'; now: Date; ids: string[]; usedFallback: boolean; due: Date; escalation: Date | null }
  | { kind: 'noApprover'; now: Date; reason: string };

/** Resolves the stage's approvers and computes its deadlines; writes nothing. */
async function planStageStart(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable, stage: ApprovalStagesTable): Promise<StageStart> {
  const now = ctx.clock.now();
  const settings = JSON.parse(stage.settings) as ApprovalStage;
  const target = await subjectById.first(tx, { id: request.targetId });
  if (!target) throw new Error(`request ${request.id}: its target subject is missing`);
  const creator = request.requestorId === request.targetId ? target : await subjectById.first(tx, { id: request.requestorId });
  const { ids, usedFallback } = await resolveWithFallback(tx, settings.primaryApprovers, settings.fallbackPrimaryApprovers, target, [target.objectId, creator?.objectId ?? null], request.assignmentPolicyId);
  if (ids.length === 0) {
    return { kind: 'noApprover', now, reason: `No approver could be found for stage ${stage.stageIndex + 1}: neither the approvers nor the fallback approvers resolve to anyone who may decide.` };
  }
  const due = new Date(now.getTime() + durationToMilliseconds(settings.durationBeforeAutomaticDenial));
  const escalation = settings.isEscalationEnabled && settings.durationBeforeEscalation ? new Date(now.getTime() + durationToMilliseconds(settings.durationBeforeEscalation)) : null;
  return { kind: 'started', now, ids, usedFallback, due, escalation };
}

/** The stage's row as `applyStageStart` leaves it. */
function startedRow(stage: ApprovalStagesTable, start: StageStart): ApprovalStagesTable {
  const now = start.now.toISOString();
  if (start.kind === 'noApprover') return { ...stage, status: 'Completed', reviewResult: 'Deny', justification: start.reason, reviewedBy: JSON.stringify(systemIdentity), reviewedDateTime: now, startedDateTime: now };
  return { ...stage, status: 'InProgress', startedDateTime: now, dueDateTime: start.due.toISOString(), escalationDateTime: start.escalation?.toISOString() ?? null };
}

/**
 * Starts the stage as planned: its row (unless `rowWritten`: inserted as `startedRow` already), approvers,
 * the request's current stage, deadlines and the event; with no approver, the request is denied.
 */
async function applyStageStart(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable, stage: ApprovalStagesTable, start: StageStart, options: { rowWritten: boolean }): Promise<void> {
  const now = start.now;
  const index = stage.stageIndex;
  if (start.kind === 'noApprover') {
    if (!options.rowWritten) {
      const { status, reviewResult, justification, reviewedBy, reviewedDateTime, startedDateTime } = startedRow(stage, start);
      await tx.updateTable('approval_stages').set({ status, reviewResult, justification, reviewedBy, reviewedDateTime, startedDateTime }).where('id', '=', stage.id).execute();
    }
    const owners = await tx
      .selectFrom('role_assignments')
      .select('principalId')
      .where('roleDefinitionId', '=', entitlementRoles.catalogOwner)
      .where('appScopeId', '=', catalogScope(request.catalogId))
      .execute();
    await denyRequest(tx, ctx, request, { status: 'Denied', reason: start.reason, catalogOwnerIds: owners.map((o) => o.principalId) });
    return;
  }
  const { ids, usedFallback, due, escalation } = start;
  if (!options.rowWritten) await startedStage.run(tx, { id: stage.id, startedDateTime: now.toISOString(), dueDateTime: due.toISOString(), escalationDateTime: escalation?.toISOString() ?? null });
  await addApprovers(tx, stage.id, request.id, ids, usedFallback ? 'fallbackPrimary' : 'primary', now);
  await requestPending.run(tx, { id: request.id, index });
  // One reminder half-way to the first deadline (escalation, or automatic denial).
  const reminder = new Date(now.getTime() + ((escalation ?? due).getTime() - now.getTime()) / 2);
  await scheduleTimers(
    tx,
    [
      { kind: stageTimerKinds.autoDeny, subjectId: stage.id, dueAt: due, payload: { requestId: request.id } },
      ...(escalation ? [{ kind: stageTimerKinds.escalate, subjectId: stage.id, dueAt: escalation, payload: { requestId: request.id } }] : []),
      { kind: stageTimerKinds.remind, subjectId: stage.id, dueAt: reminder, payload: { requestId: request.id } },
    ],
    now,
  );
  await emit(tx, ctx, eventTypes.stageStarted, request.id, { requestId: request.id, stageId: stage.id, stageIndex: index, approverIds: ids, usedFallback, dueDateTime: due.toISOString() });
}

export async function addApprovers(tx: Tx, stageId: string, requestId: string, userIds: readonly string[], kind: 'primary' | 'fallbackPrimary' | 'escalation' | 'fallbackEscalation', now: Date): Promise<void> {
  if (userIds.length === 0) return;
  await insertRows(
    tx,
    'approval_stage_approvers',
    userIds.map((userId) => ({ stageId, requestId, userId, kind, addedDateTime: now.toISOString() })),
    { onConflictDoNothing: [] },
  );
}

const stageByIndex = prepared((db, p: { requestId: string; index: number }) => db.selectFrom('approval_stages').selectAll().where('requestId', '=', p.requestId).where('stageIndex', '=', p.index));
const subjectById = prepared((db, p: { id: string }) => db.selectFrom('subjects').selectAll().where('id', '=', p.id));
const startedStage = prepared((db, p: { id: string; startedDateTime: string; dueDateTime: string; escalationDateTime: string | null }) =>
  db.updateTable('approval_stages').set({ status: 'InProgress', startedDateTime: p.startedDateTime, dueDateTime: p.dueDateTime, escalationDateTime: p.escalationDateTime }).where('id', '=', p.id),
);
const requestPending = prepared((db, p: { id: string; index: number }) =>
  db.updateTable('assignment_requests').set({ state: 'pendingApproval', status: 'PendingApproval', currentStage: p.index }).where('id', '=', p.id),
);

const policyGoneReason = 'The assignment policy of this request was deleted before access could be granted.';

export const systemIdentity = { id: '00000000-0000-0000-0000-000000000000', displayName: 'Entitlement Management' };

/** Ends a request denied (by an approver, nobody to approve, or nobody in time: status `Expired`). */
export async function denyRequest(
  tx: Tx,
  ctx: CommandContext,
  request: Pick<AssignmentRequestsTable, 'id' | 'targetId' | 'accessPackageId' | 'catalogId'>,
  outcome: { status: 'Denied' | 'Expired'; reason: string | null; catalogOwnerIds?: string[]; deciderId?: string | null },
): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await tx
    .updateTable('assignment_requests')
    .set({ state: 'denied', status: outcome.status, completedDateTime: now, openKey: null, currentStage: null, resultReason: outcome.reason })
    .where('id', '=', request.id)
    .execute();
  await cancelStageTimers(tx, request.id);
  const target = await tx.selectFrom('subjects').select(['objectId', 'displayName']).where('id', '=', request.targetId).executeTakeFirst();
  const payload = { requestId: request.id, accessPackageId: request.accessPackageId, targetId: request.targetId, targetUserId: target?.objectId ?? null, reason: outcome.reason, deciderId: outcome.deciderId ?? null };
  if (outcome.status === 'Expired') await emit(tx, ctx, eventTypes.requestExpired, request.id, payload);
  else await emit(tx, ctx, eventTypes.requestDenied, request.id, { ...payload, ...(outcome.catalogOwnerIds ? { catalogOwnerIds: outcome.catalogOwnerIds } : {}) });
  await writeAudit(tx, ctx, {
    activityDisplayName: outcome.status === 'Expired' ? 'Access package assignment request expired' : 'Deny access package assignment request',
    operationType: 'Update',
    targets: [{ id: request.id, displayName: null, type: 'AccessPackageAssignmentRequest' }, { id: target?.objectId ?? request.targetId, displayName: target?.displayName ?? null, type: 'User' }],
    details: { reason: outcome.reason },
  });
}

/**
 * Cancels every pending timer of the request's stages (decided, denied, canceled). As `cancelTimers`:
 * on PostgreSQL a timer whose handler runs right now (its row locked) is left to it, and the handler
 * finds the request moved on. On SQLite one statement finds the stages by a subquery. On PostgreSQL
 * the stages are read first and their timers deleted by (kind, subject id): with the stages as a
 * subquery (even as `= any(array(…))`), statistics taken while few stage timers existed — timers come
 * and go all day — made the planner search the index by kind alone and walk every undecided stage's
 * timer in the database, ~15 ms per decision at 2,000 open requests.
 */
export async function cancelStageTimers(tx: Tx, requestId: string): Promise<void> {
  if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) {
    await deleteStageTimers.run(tx, { requestId });
    return;
  }
  const stages = await stageIdsOfRequest.all(tx, { requestId });
  await cancelTimers(tx, stageKinds, stages.map((s) => s.id));
}

const stageKinds = Object.values(stageTimerKinds);
const stageIdsOfRequest = prepared((db, p: { requestId: string }) => db.selectFrom('approval_stages').select('id').where('requestId', '=', p.requestId));
const deleteStageTimers = prepared((db, p: { requestId: string }) =>
  db.deleteFrom('timers').where('kind', 'in', stageKinds).where('subjectId', 'in', db.selectFrom('approval_stages').select('id').where('requestId', '=', p.requestId)),
);

/**
 * The last stage approved (or none needed): do what the request asks for. `known.policyExists`: the
 * caller read in this transaction whether the request's policy exists (else it is read here).
 */
export async function completeRequest(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable, known: { policyExists?: boolean } = {}): Promise<void> {
  if (addTypes.has(request.requestType)) return createAssignment(tx, ctx, request, known.policyExists);
  if (updateTypes.has(request.requestType)) return applyUpdateRequest(tx, ctx, request);
  return applyRemoveRequest(tx, ctx, request);
}

/**
 * An approved add request becomes an assignment in `delivering`; delivery (a timer due now, or at
 * the requested start) invites the guest and grants the roles. The assignment's clock starts then.
 */
async function createAssignment(tx: Tx, ctx: CommandContext, request: AssignmentRequestsTable, policyKnownToExist?: boolean): Promise<void> {
  const now = ctx.clock.now();
  const policy = request.assignmentPolicyId ? (policyKnownToExist ?? !!(await policyExists.first(tx, { id: request.assignmentPolicyId }))) : false;
  if (!policy) return denyRequest(tx, ctx, request, { status: 'Denied', reason: policyGoneReason });
  const schedule = JSON.parse(request.schedule) as Schedule;
  const start = schedule.startDateTime ? new Date(schedule.startDateTime) : now;
  const scheduled = start.getTime() > now.getTime();
  const assignment: Insertable<AssignmentsTable> & { id: string } = {
    id: newId(),
    accessPackageId: request.accessPackageId,
    assignmentPolicyId: request.assignmentPolicyId as string,
    catalogId: request.catalogId,
    targetId: request.targetId,
    state: 'delivering',
    status: scheduled ? 'Scheduled' : 'Delivering',
    schedule: JSON.stringify({ startDateTime: schedule.startDateTime ?? null, expiration: schedule.expiration ?? null, recurrence: null }),
    expiredDateTime: null,
    createdDateTime: now.toISOString(),
    activeKey: `${request.accessPackageId}|${request.targetId}`,
    requestId: request.id,
    deliveredDateTime: null,
    startDateTime: null,
    endDateTime: null,
    nextNoticeDateTime: null,
  };
  try {
    await insertRows(tx, 'assignments', [assignment]);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Another request of the same person for the same package was delivered meanwhile.
    await denyRequest(tx, ctx, request, { status: 'Denied', reason: 'The user already has this access package.' });
    return;
  }
  await requestAssigned.run(tx, { id: request.id, state: scheduled ? 'scheduled' : 'delivering', status: scheduled ? 'Scheduled' : 'Delivering', assignmentId: assignment.id });
  await scheduleTimer(tx, { kind: deliverAssignmentTimer, subjectId: assignment.id, dueAt: scheduled ? start : now }, now);
  ctx.wake();
}

const policyExists = prepared((db, p: { id: string }) => db.selectFrom('assignment_policies').select('id').where('id', '=', p.id));
const requestAssigned = prepared((db, p: { id: string; state: string; status: string; assignmentId: string }) =>
  db.updateTable('assignment_requests').set({ state: p.state, status: p.status, assignmentId: p.assignmentId, currentStage: null }).where('id', '=', p.id),
);

export type { ApprovalStagesTable };
