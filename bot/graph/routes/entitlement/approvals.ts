import { decideStage } from '../../../commands/approvals/decideStage';
import { decideStageBody } from '../../../commands/requests/schemas';
import { subjectOfPrincipal } from '../../../commands/requests/subjects';
import type { CommandContext } from '../../../context';
import { NotFoundError, ValidationError } from '../../../domain/errors';
import { can } from '../../../policies';
import type { ApprovalStagesTable } from '../../../store/schema';
import { GraphRequest, GraphRouter, noContent, ok } from '../../router';
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

/** Graph's `approvalStage`, with `assignedToMe` for the caller. */
function presentStage(stage: ApprovalStagesTable, assignedToMe: boolean) {
  return {
    id: stage.id,
    displayName: stage.displayName,
    status: stage.status,
    reviewResult: stage.reviewResult,
    justification: stage.justification,
    reviewedBy: stage.reviewedBy ? presentReviewer(JSON.parse(stage.reviewedBy) as Record<string, unknown>) : null,
    reviewedDateTime: stage.reviewedDateTime,
    assignedToMe,
  };
}

/**
 * One approval (its id is the request's): visible to its approvers, the person it is for or by, and
 * catalog staff. Anyone else gets 404, so approvals cannot be probed.
 */
async function loadApproval(ctx: CommandContext, id: string) {
  const request = await ctx.db.selectFrom('assignment_requests').select(['id', 'catalogId', 'targetId', 'requestorId', 'stageCount']).where('id', '=', id).executeTakeFirst();
  const notFound = new NotFoundError(`No approval with id '${id}' was found.`);
  if (!request || request.stageCount === 0) throw notFound;
  const p = ctx.principal;
  const mine = p.userId ? await ctx.db.selectFrom('approval_stage_approvers').select('stageId').where('requestId', '=', id).where('userId', '=', p.userId).execute() : [];
  const myStages = new Set(mine.map((m) => m.stageId));
  if (myStages.size === 0 && !can(p, 'assignment.read', { catalogId: request.catalogId })) {
    const subject = await subjectOfPrincipal(ctx.db, p);
    if (!subject || (subject.id !== request.targetId && subject.id !== request.requestorId)) throw notFound;
  }
  const stages = await ctx.db.selectFrom('approval_stages').selectAll().where('requestId', '=', id).orderBy('stageIndex').execute();
  // assignedToMe: the stage is waiting for a decision the caller may make.
  return { id, stages: stages.map((s) => presentStage(s, myStages.has(s.id) && s.status === 'InProgress')) };
}

async function pendingForMe(req: GraphRequest) {
  if (req.functionArgs.on !== 'approver') throw new ValidationError("The function parameter 'on' must be 'approver'.", 'on');
  const p = req.ctx.principal;
  if (!p.userId) return [];
  const top = req.options.top === undefined ? 100 : Number(req.options.top);
  if (!Number.isInteger(top) || top < 0 || top > 999) throw new ValidationError("Invalid value for '$top': expected an integer from 0 to 999.", '$top');
  const rows = await req.ctx.db
    .selectFrom('approval_stage_approvers as a')
    .innerJoin('approval_stages as s', 's.id', 'a.stageId')
    .select('s.requestId')
    .where('a.userId', '=', p.userId)
    .where('s.status', '=', 'InProgress')
    .orderBy('s.startedDateTime')
    .limit(top)
    .execute();
  return Promise.all(rows.map((r) => loadApproval(req.ctx, r.requestId)));
}

/** Approvals: the caller's pending ones, one approval with its stages, and the decision (PATCH a stage). */
export function registerApprovals(router: GraphRouter): void {
  router
    .add('GET', `${approvals}/filterByCurrentUser()`, async (req) => ok({ '@odata.context': `${req.serviceRoot}/$metadata#Collection(microsoft.graph.approval)`, value: await pendingForMe(req) }))
    .add('GET', `${approvals}/{id}`, async (req) => ok({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...(await loadApproval(req.ctx, req.params.id)) }))
    .add('GET', `${approvals}/{id}/stages`, async (req) => ok({ '@odata.context': `${req.serviceRoot}/$metadata#${context}('${req.params.id}')/stages`, value: (await loadApproval(req.ctx, req.params.id)).stages }))
    .add('GET', `${approvals}/{id}/stages/{stageId}`, async (req) => {
      const stage = (await loadApproval(req.ctx, req.params.id)).stages.find((s) => s.id === req.params.stageId);
      if (!stage) throw new NotFoundError(`No approval stage '${req.params.stageId}' was found.`);
      return ok({ '@odata.context': `${req.serviceRoot}/$metadata#${context}('${req.params.id}')/stages/$entity`, ...stage });
    })
    .add('PATCH', `${approvals}/{id}/stages/{stageId}`, async (req) => {
      await decideStage(req.ctx, req.params.id, req.params.stageId, parseBody(decideStageBody, req.body, 'approvalStage'));
      return noContent();
    });
}
