import { sql } from 'kysely';
import { cancelRequest, createAssignmentRequest, deleteRequest, reprocessRequest } from '../../../commands/requests/manageRequest';
import { createAssignmentRequestBody } from '../../../commands/requests/schemas';
import { subjectOfPrincipal } from '../../../commands/requests/subjects';
import { ValidationError } from '../../../domain/errors';
import { catalogsWithRole, isAdmin } from '../../../policies';
import type { Scope } from '../../odata/engine';
import { presentRows } from '../../odata/engine';
import { entity } from '../../odata/model';
import { created, GraphRequest, GraphRouter, noContent } from '../../router';
import { parseBody } from '../../validate';
import { listOf, oneOf } from '../helpers';
import { em } from '../paths';

const requests = `${em}/assignmentRequests`;
const context = 'identityGovernance/entitlementManagement/assignmentRequests';

/**
 * Requests the caller may read: all (administrators), their catalogs' (catalog roles), their own,
 * and those they are asked to approve (what `filterByCurrentUser(on='approver')` lists).
 */
async function visibleRequests(req: GraphRequest): Promise<Scope | undefined> {
  const p = req.ctx.principal;
  if (isAdmin(p)) return undefined;
  const catalogs = catalogsWithRole(p);
  const mine = await subjectOfPrincipal(req.ctx.db, p);
  return (alias) => {
    const parts = [];
    if (catalogs.length > 0) parts.push(sql`${sql.ref(`${alias}.catalogId`)} in (${sql.join(catalogs)})`);
    if (mine) parts.push(sql`${sql.ref(`${alias}.targetId`)} = ${mine.id} or ${sql.ref(`${alias}.requestorId`)} = ${mine.id}`);
    if (p.userId) parts.push(sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref('requestId')} from ${sql.table('approval_stage_approvers')} where ${sql.ref('userId')} = ${p.userId})`);
    return parts.length === 0 ? sql`1 = 0` : sql`(${sql.join(parts, sql` or `)})`;
  };
}

/** `filterByCurrentUser(on='target'|'createdBy'|'approver')`. */
async function currentUserScope(req: GraphRequest): Promise<Scope> {
  const on = req.functionArgs.on;
  const p = req.ctx.principal;
  if (on === 'approver') {
    if (!p.userId) return () => sql`1 = 0`;
    return (alias) => sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref('requestId')} from ${sql.table('approval_stage_approvers')} where ${sql.ref('userId')} = ${p.userId})`;
  }
  if (on !== 'target' && on !== 'createdBy') throw new ValidationError("The function parameter 'on' must be 'target', 'createdBy' or 'approver'.", 'on');
  const mine = await subjectOfPrincipal(req.ctx.db, p);
  if (!mine) return () => sql`1 = 0`;
  return (alias) => sql`${sql.ref(`${alias}.${on === 'target' ? 'targetId' : 'requestorId'}`)} = ${mine.id}`;
}

/** Access package assignment requests: submit (every request type), read, cancel, reprocess, delete. */
export function registerAssignmentRequests(router: GraphRouter): void {
  router
    .add('GET', requests, async (req) => listOf(req, 'accessPackageAssignmentRequest', context, await visibleRequests(req)))
    .add('GET', `${requests}/filterByCurrentUser()`, async (req) => listOf(req, 'accessPackageAssignmentRequest', context, await currentUserScope(req)))
    .add('POST', requests, async (req) => {
      const row = await createAssignmentRequest(req.ctx, parseBody(createAssignmentRequestBody, req.body, 'accessPackageAssignmentRequest'));
      const [value] = await presentRows(req.ctx.db, entity('accessPackageAssignmentRequest'), [row as unknown as Record<string, unknown>], { expand: req.options.expand, select: req.options.select });
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    })
    .add('GET', `${requests}/{id}`, async (req) => oneOf(req, 'accessPackageAssignmentRequest', req.params.id, context, await visibleRequests(req)))
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
