import { sql } from 'kysely';
import { cancelRequest, createAssignmentRequest, deleteRequest, reprocessRequest } from '../../../commands/requests/manageRequest';
import { createAssignmentRequestBody } from '../../../commands/requests/schemas';
import { subjectOfPrincipal } from '../../../commands/requests/subjects';
import { ValidationError } from '../../../domain/errors';
import type { Scope } from '../../odata/engine';
import { created, GraphRequest, GraphRouter, noContent } from '../../router';
import { parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';
import { em } from '../paths';

const requests = `${em}/assignmentRequests`;
const context = 'identityGovernance/entitlementManagement/assignmentRequests';

/** `filterByCurrentUser(on='target'|'createdBy'|'approver')`. */
async function currentUserScope(req: GraphRequest): Promise<Scope> {
  const on = req.functionArgs.on;
  const p = req.ctx.principal;
  if (on === 'approver') {
    // Graph: the requests waiting for the caller's decision — a stage in progress they may decide.
    if (!p.userId) return () => sql`1 = 0`;
    const me = p.userId;
    return (alias) => sql`${sql.ref(`${alias}.state`)} = 'pendingApproval' and ${sql.ref(`${alias}.id`)} in (
      select ${sql.ref('a.requestId')} from ${sql.table('approval_stage_approvers')} as ${sql.ref('a')}
        join ${sql.table('approval_stages')} as ${sql.ref('s')} on ${sql.ref('s.id')} = ${sql.ref('a.stageId')}
       where ${sql.ref('a.userId')} = ${me} and ${sql.ref('s.status')} = 'InProgress')`;
  }
  if (on !== 'target' && on !== 'createdBy') throw new ValidationError("The function parameter 'on' must be 'target', 'createdBy' or 'approver'.", 'on');
  const mine = await subjectOfPrincipal(req.ctx.db, p);
  if (!mine) return () => sql`1 = 0`;
  return (alias) => sql`${sql.ref(`${alias}.${on === 'target' ? 'targetId' : 'requestorId'}`)} = ${mine.id}`;
}

/** Access package assignment requests: submit (every request type), read, cancel, reprocess, delete. */
export function registerAssignmentRequests(router: GraphRouter): void {
  router
    .add('GET', requests, async (req) => listOf(req, 'accessPackageAssignmentRequest', context))
    .add('GET', `${requests}/filterByCurrentUser()`, async (req) => listOf(req, 'accessPackageAssignmentRequest', context, await currentUserScope(req)))
    .add('POST', requests, async (req) => {
      const row = await createAssignmentRequest(req.ctx, parseBody(createAssignmentRequestBody, req.body, 'accessPackageAssignmentRequest'));
      const value = await presentOne(req, 'accessPackageAssignmentRequest', row, { expand: req.options.expand, select: req.options.select });
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    })
    .add('GET', `${requests}/{id}`, async (req) => oneOf(req, 'accessPackageAssignmentRequest', req.params.id, context))
    .add('DELETE', `${requests}/{id}`, async (req) => {
      await deleteRequest(req.ctx, req.params.id);
      return noContent();
    })
    .add('POST', `${requests}/{id}/cancel`, async (req) => {
      await cancelRequest(req.ctx, req.params.id);
      return noContent();
    })
    .add('POST', `${requests}/{id}/reprocess`, async (req) => {
      await reprocessRequest(req.ctx, req.params.id);
      return { status: 202 };
    });
}
