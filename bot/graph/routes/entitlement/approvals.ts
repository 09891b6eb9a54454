import { decideStage } from '../../../commands/approvals/decideStage';
import { type Approval, getApproval, pendingApprovals } from '../../../commands/approvals/readApprovals';
import { decideStageBody } from '../../../commands/requests/schemas';
import { NotFoundError, ValidationError } from '../../../domain/errors';
import type { ApprovalStagesTable } from '../../../store/schema';
import { GraphRouter, noContent, ok, prefersRepresentation } from '../../router';
import { parseBody } from '../../validate';
import { em } from '../paths';

const approvals = `${em}/accessPackageAssignmentApprovals`;
const context = 'identityGovernance/entitlementManagement/accessPackageAssignmentApprovals';

/**
 * `reviewedBy` is declared `identity` in Graph: a person who decided is a `userIdentity` (with their
 * userPrincipalName) and says so; Entitlement Management itself (automatic denial) is a plain identity.
 */
function presentReviewer(stored: Record<string, unknown>): Record<string, unknown> {
  return 'userPrincipalName' in stored ? { '@odata.type': '#microsoft.graph.userIdentity', ...stored } : stored;
}

/** Graph's `approvalStage`; `assignedToMe`: the stage waits for a decision the caller may make. */
function presentStage(stage: ApprovalStagesTable, mine: boolean) {
  return {
    id: stage.id,
    displayName: stage.displayName,
    status: stage.status,
    reviewResult: stage.reviewResult,
    justification: stage.justification,
    reviewedBy: stage.reviewedBy ? presentReviewer(JSON.parse(stage.reviewedBy) as Record<string, unknown>) : null,
    reviewedDateTime: stage.reviewedDateTime,
    assignedToMe: mine && stage.status === 'InProgress',
  };
}

/** Graph's `approval`: its id (the request's) and its stages. */
function presentApproval(approval: Approval) {
  return { id: approval.id, stages: approval.stages.map((s) => presentStage(s, approval.myStageIds.has(s.id))) };
}

function topOf(value: string | undefined): number {
  const top = value === undefined ? 100 : Number(value);
  if (!/^\d+$/.test(value ?? '100') || !Number.isInteger(top) || top < 0 || top > 999) throw new ValidationError("Invalid value for '$top': expected an integer from 0 to 999.", '$top');
  return top;
}

/** Approvals: the caller's pending ones, one approval with its stages, and the decision (PATCH a stage). */
export function registerApprovals(router: GraphRouter): void {
  router
    .add('GET', `${approvals}/filterByCurrentUser()`, async (req) => {
      if (req.functionArgs.on !== 'approver') throw new ValidationError("The function parameter 'on' must be 'approver'.", 'on');
      const value = (await pendingApprovals(req.ctx, topOf(req.options.top))).map(presentApproval);
      return ok({ '@odata.context': `${req.serviceRoot}/$metadata#Collection(microsoft.graph.approval)`, value });
    })
    .add('GET', `${approvals}/{id}`, async (req) => ok({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...presentApproval(await getApproval(req.ctx, req.params.id)) }))
    .add('GET', `${approvals}/{id}/stages`, async (req) =>
      ok({ '@odata.context': `${req.serviceRoot}/$metadata#${context}('${req.params.id}')/stages`, value: presentApproval(await getApproval(req.ctx, req.params.id)).stages }),
    )
    .add('GET', `${approvals}/{id}/stages/{stageId}`, async (req) => {
      const stage = presentApproval(await getApproval(req.ctx, req.params.id)).stages.find((s) => s.id === req.params.stageId);
      if (!stage) throw new NotFoundError(`No approval stage '${req.params.stageId}' was found.`);
      return ok({ '@odata.context': `${req.serviceRoot}/$metadata#${context}('${req.params.id}')/stages/$entity`, ...stage });
    })
    .add('PATCH', `${approvals}/{id}/stages/{stageId}`, async (req) => {
      const stage = await decideStage(req.ctx, req.params.id, req.params.stageId, parseBody(decideStageBody, req.body, 'approvalStage'));
      // OData's `Prefer: return=representation`: the stage as the decision left it (the caller is its approver;
      // `assignedToMe` is false once decided), which spares a client its next read. Otherwise 204, as Graph answers.
      if (!prefersRepresentation(req)) return noContent();
      return {
        status: 200,
        body: { '@odata.context': `${req.serviceRoot}/$metadata#${context}('${req.params.id}')/stages/$entity`, ...presentStage(stage, true) },
        headers: { 'Preference-Applied': 'return=representation' },
      };
    });
}
