import { CommandContext, inTransaction } from '../../context';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { readScopes } from '../../policies/visibility';
import { prepared } from '../../store/prepared';
import type { ApprovalStagesTable } from '../../store/schema';
import { writeAudit } from '../audit';
import type { ApprovalStage } from '../policies/schemas';
import type { DecideStageInput } from '../requests/schemas';
import { cancelStageTimers, completeRequest, denyRequest, lockRequestForDecision, startStage } from './requestFlow';

/**
 * An approver decides a stage (`PATCH …/accessPackageAssignmentApprovals/{id}/stages/{stageId}`).
 * One decision ends a stage: the write is conditional on the stage still being undecided, so of two
 * approvers deciding at the same moment one wins and the other gets 409, whatever the instance.
 * The requestor never decides their own request; approver justification is enforced when required.
 * Returns the stage as the decision left it (its row as written, read no further).
 */
export async function decideStage(ctx: CommandContext, approvalId: string, stageId: string, input: DecideStageInput): Promise<ApprovalStagesTable> {
  const p = ctx.principal;
  const decidedStage = await inTransaction(ctx, async (tx) => {
    // The request first (locked on PostgreSQL), like every step that moves a request on.
    const locked = await lockRequestForDecision(tx, ctx, approvalId);
    // The stage with its approvers, one row per approver (or one with no approver): read once for
    // whether the caller is one, and whom the decision event tells.
    const stageRows = locked ? await stageWithApprovers.all(tx, { stageId, requestId: approvalId }) : [];
    if (stageRows.length === 0 || !locked) throw new NotFoundError(`No approval stage '${stageId}' in approval '${approvalId}' was found.`);
    const stage = stageRows[0];
    const approvers = stageRows.flatMap((r) => (r.approverUserId === null ? [] : [{ userId: r.approverUserId, kind: r.approverKind }]));
    const { packageDisplayName, existingPolicyId, targetObjectId, targetHomeTenantId, targetHomeObjectId, requestorObjectId, requestorHomeTenantId, requestorHomeObjectId, ...request } = locked;
    // The target and the requestor as read with the request (null when a subject row is missing: no match).
    const parties = [
      { objectId: targetObjectId, homeTenantId: targetHomeTenantId, homeObjectId: targetHomeObjectId },
      { objectId: requestorObjectId, homeTenantId: requestorHomeTenantId, homeObjectId: requestorHomeObjectId },
    ];
    const isOwnRequest = parties.some((s) => (p.userId && s.objectId === p.userId) || (s.homeTenantId === p.tenantId && s.homeObjectId === p.homeObjectId && !!p.homeObjectId));
    const approver = p.userId ? approvers.find((a) => a.userId === p.userId) : undefined;
    if (isOwnRequest) throw new ForbiddenError('You cannot decide your own access request.', 'RequestorCannotApprove');
    if (!approver) {
      // Whoever may read the request (catalog staff, an approver of another stage) knows it exists; anyone else does not.
      if (await readScopes({ db: tx, principal: p }).isReadable('accessPackageAssignmentRequest', request.id)) throw new ForbiddenError('You are not an approver of this stage.', 'NotAnApprover');
      throw new NotFoundError(`No approval stage '${stageId}' in approval '${approvalId}' was found.`);
    }
    if (stage.status !== 'InProgress' || stage.reviewResult !== 'NotReviewed') throw alreadyDecided(stage);
    const settings = JSON.parse(stage.settings) as ApprovalStage;
    const justification = input.justification?.trim() || null;
    if (settings.isApproverJustificationRequired && !justification) {
      throw new ValidationError("Property 'justification' is required: approvers of this stage must justify their decision.", 'justification');
    }
    const now = ctx.clock.now().toISOString();
    const reviewedBy = { id: p.userId, displayName: p.displayName, userPrincipalName: p.userPrincipalName };
    const written = { reviewResult: input.reviewResult, justification, reviewedById: p.userId, reviewedBy: JSON.stringify(reviewedBy), reviewedDateTime: now };
    const decided = await decideOpenStage.run(tx, { id: stage.id, ...written });
    if (decided !== 1) {
      const current = await tx.selectFrom('approval_stages').selectAll().where('id', '=', stage.id).executeTakeFirstOrThrow();
      throw alreadyDecided(current);
    }
    await cancelStageTimers(tx, request.id);
    // Approvers are added only by processing and escalation, which take the request first, as this did.
    const approverIds = approvers.map((a) => a.userId);
    await emit(tx, ctx, eventTypes.stageDecided, request.id, { requestId: request.id, stageId: stage.id, stageIndex: stage.stageIndex, reviewResult: input.reviewResult, reviewedById: p.userId, approverIds, justification });
    await writeAudit(tx, ctx, {
      activityDisplayName: input.reviewResult === 'Approve' ? 'Approve access package assignment request' : 'Deny access package assignment request',
      operationType: 'Update',
      targets: [
        { id: request.id, displayName: null, type: 'AccessPackageAssignmentRequest' },
        { id: request.accessPackageId, displayName: packageDisplayName, type: 'AccessPackage' },
      ],
      details: { stage: String(stage.stageIndex + 1), justification },
    });
    if (input.reviewResult === 'Deny') {
      await denyRequest(tx, ctx, request, { status: 'Denied', reason: justification, deciderId: p.userId });
    } else if (stage.stageIndex + 1 < request.stageCount) {
      await startStage(tx, ctx, request, stage.stageIndex + 1);
    } else {
      await completeRequest(tx, ctx, request, { policyExists: existingPolicyId !== null });
    }
    return { ...stage, ...written, status: 'Completed' };
  });
  ctx.wake();
  return decidedStage;
}

const stageWithApprovers = prepared((db, p: { stageId: string; requestId: string }) =>
  db
    .selectFrom('approval_stages as st')
    .leftJoin('approval_stage_approvers as a', 'a.stageId', 'st.id')
    .selectAll('st')
    .select(['a.userId as approverUserId', 'a.kind as approverKind'])
    .where('st.id', '=', p.stageId)
    .where('st.requestId', '=', p.requestId),
);
const decideOpenStage = prepared(
  (db, p: { id: string; reviewResult: string; justification: string | null; reviewedById: string | null; reviewedBy: string; reviewedDateTime: string }) =>
    db
      .updateTable('approval_stages')
      .set({ status: 'Completed', reviewResult: p.reviewResult, justification: p.justification, reviewedById: p.reviewedById, reviewedBy: p.reviewedBy, reviewedDateTime: p.reviewedDateTime })
      .where('id', '=', p.id)
      .where('status', '=', 'InProgress')
      .where('reviewResult', '=', 'NotReviewed'),
);

function alreadyDecided(stage: { reviewResult: string; reviewedBy: string | null; status: string }): ConflictError {
  if (stage.reviewResult === 'NotReviewed') return new ConflictError(`This approval stage is ${stage.status === 'NotStarted' ? 'not started yet' : 'no longer open'}.`, 'ApprovalStageNotInProgress');
  const by = stage.reviewedBy ? (JSON.parse(stage.reviewedBy) as { displayName?: string }).displayName : undefined;
  const verb = stage.reviewResult === 'Approve' ? 'approved' : 'denied';
  return new ConflictError(`This approval stage was already ${verb}${by ? ` by ${by}` : ''}.`, 'ApprovalStageAlreadyDecided');
}
