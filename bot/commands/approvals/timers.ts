import { systemContext, type CommandContext, type EngineDeps, type Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import type { TimerHandler } from '../../jobs/runner';
import { writeAudit } from '../audit';
import type { ApprovalStage } from '../policies/schemas';
import { addApprovers, denyRequest, lockRequest, stageTimerKinds, systemIdentity } from './requestFlow';
import { resolveWithFallback } from './resolveApprovers';

/** Locks the request a stage belongs to (see `lockRequest`), before the stage is re-read. */
async function lockRequestOfStage(tx: Tx, ctx: CommandContext, stageId: string): Promise<void> {
  const stage = await tx.selectFrom('approval_stages').select('requestId').where('id', '=', stageId).executeTakeFirst();
  if (stage) await lockRequest(tx, ctx, stage.requestId);
}

/**
 * Timers of an approval stage (subject: the stage id). Each locks the request, re-reads the stage
 * and does nothing when it was decided meanwhile, so a decision racing a timer never yields two
 * outcomes.
 */
export function approvalTimers(deps: EngineDeps): Record<string, TimerHandler> {
  return {
    // Nobody decided in time: the request ends denied with status Expired.
    [stageTimerKinds.autoDeny]: async (timer, { tx }) => {
      const ctx = systemContext(deps, timer.id, tx);
      const now = ctx.clock.now().toISOString();
      await lockRequestOfStage(tx, ctx, timer.subjectId);
      const expired = await tx
        .updateTable('approval_stages')
        .set({ status: 'Expired', reviewResult: 'Deny', justification: 'No decision was made in time.', reviewedBy: JSON.stringify(systemIdentity), reviewedDateTime: now })
        .where('id', '=', timer.subjectId)
        .where('status', '=', 'InProgress')
        .where('reviewResult', '=', 'NotReviewed')
        .returningAll()
        .executeTakeFirst();
      if (!expired) return;
      const request = await tx.selectFrom('assignment_requests').selectAll().where('id', '=', expired.requestId).executeTakeFirstOrThrow();
      await denyRequest(tx, ctx, request, { status: 'Expired', reason: 'No approver decided before the request expired.' });
    },
    // Escalation: the escalation approvers (or their fallback) join; the first approvers keep their right.
    [stageTimerKinds.escalate]: async (timer, { tx }) => {
      const ctx = systemContext(deps, timer.id, tx);
      await lockRequestOfStage(tx, ctx, timer.subjectId);
      const stage = await tx
        .updateTable('approval_stages')
        .set({ isEscalated: 1 })
        .where('id', '=', timer.subjectId)
        .where('status', '=', 'InProgress')
        .where('isEscalated', '=', 0)
        .returningAll()
        .executeTakeFirst();
      if (!stage) return;
      const request = await tx.selectFrom('assignment_requests').selectAll().where('id', '=', stage.requestId).executeTakeFirstOrThrow();
      const settings = JSON.parse(stage.settings) as ApprovalStage;
      const target = await tx.selectFrom('subjects').selectAll().where('id', '=', request.targetId).executeTakeFirstOrThrow();
      const creator = await tx.selectFrom('subjects').select('objectId').where('id', '=', request.requestorId).executeTakeFirst();
      const { ids, usedFallback } = await resolveWithFallback(tx, settings.escalationApprovers, settings.fallbackEscalationApprovers, target, [target.objectId, creator?.objectId ?? null], request.assignmentPolicyId);
      await addApprovers(tx, stage.id, request.id, ids, usedFallback ? 'fallbackEscalation' : 'escalation', ctx.clock.now());
      await emit(tx, ctx, eventTypes.stageEscalated, request.id, { requestId: request.id, stageId: stage.id, approverIds: ids, dueDateTime: stage.dueDateTime });
      await writeAudit(tx, ctx, {
        activityDisplayName: 'Escalate access package assignment request',
        operationType: 'Update',
        targets: [{ id: request.id, displayName: null, type: 'AccessPackageAssignmentRequest' }],
        details: { stage: String(stage.stageIndex + 1), escalationApprovers: ids.join(', ') || '(none resolved)' },
      });
    },
    [stageTimerKinds.remind]: async (timer, { tx }) => {
      const ctx = systemContext(deps, timer.id, tx);
      await lockRequestOfStage(tx, ctx, timer.subjectId);
      const stage = await tx.selectFrom('approval_stages').selectAll().where('id', '=', timer.subjectId).where('status', '=', 'InProgress').executeTakeFirst();
      if (!stage) return;
      const approverIds = (await tx.selectFrom('approval_stage_approvers').select('userId').where('stageId', '=', stage.id).execute()).map((a) => a.userId);
      await emit(tx, ctx, eventTypes.approvalReminder, stage.requestId, { requestId: stage.requestId, stageId: stage.id, approverIds, dueDateTime: stage.dueDateTime });
    },
  };
}

