import type { CommandContext } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { readScopes } from '../../policies/visibility';
import type { ApprovalStagesTable } from '../../store/schema';

/**
 * Reading approvals (`accessPackageAssignmentApprovals`): an approval is its request's approval
 * stages, so whoever may read the request (bot/policies/visibility.ts: its approvers, the person it is
 * for or by, catalog staff) reads the approval; anyone else gets 404, so approvals cannot be probed.
 */
export interface Approval {
  id: string;
  stages: ApprovalStagesTable[];
  /** Stages the caller is an approver of (for `assignedToMe`). */
  myStageIds: ReadonlySet<string>;
}

export function approvalNotFound(id: string): NotFoundError {
  return new NotFoundError(`No approval with id '${id}' was found.`);
}

/** `GET …/accessPackageAssignmentApprovals/{id}` (and its stages). */
export async function getApproval(ctx: CommandContext, id: string): Promise<Approval> {
  const request = await ctx.db.selectFrom('assignment_requests').select(['id', 'stageCount']).where('id', '=', id).executeTakeFirst();
  if (!request || request.stageCount === 0 || !(await readScopes(ctx).isReadable('accessPackageAssignmentRequest', id))) throw approvalNotFound(id);
  const [approval] = await loadApprovals(ctx, [id]);
  return approval;
}

/**
 * `filterByCurrentUser(on='approver')`: the approvals waiting for the caller's decision (a stage in
 * progress they are an approver of), oldest first.
 */
export async function pendingApprovals(ctx: CommandContext, top: number): Promise<Approval[]> {
  const me = ctx.principal.userId;
  if (!me || top === 0) return [];
  const rows = await ctx.db
    .selectFrom('approval_stage_approvers as a')
    .innerJoin('approval_stages as s', 's.id', 'a.stageId')
    .select('s.requestId')
    .where('a.userId', '=', me)
    .where('s.status', '=', 'InProgress')
    .orderBy('s.startedDateTime')
    .orderBy('s.requestId')
    .limit(top)
    .execute();
  return loadApprovals(ctx, [...new Set(rows.map((r) => r.requestId))]);
}

/** The stages of several approvals in two queries, in the order of `ids`. */
async function loadApprovals(ctx: CommandContext, ids: string[]): Promise<Approval[]> {
  if (ids.length === 0) return [];
  const stages = await ctx.db.selectFrom('approval_stages').selectAll().where('requestId', 'in', ids).orderBy('requestId').orderBy('stageIndex').execute();
  const mine = ctx.principal.userId
    ? await ctx.db.selectFrom('approval_stage_approvers').select('stageId').where('requestId', 'in', ids).where('userId', '=', ctx.principal.userId).execute()
    : [];
  const myStageIds = new Set(mine.map((m) => m.stageId));
  return ids.map((id) => ({ id, stages: stages.filter((s) => s.requestId === id), myStageIds }));
}
