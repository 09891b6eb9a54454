import { sql } from 'kysely';
import { reprocessAssignment } from '../../../commands/assignments/reprocessAssignment';
import { subjectOfPrincipal } from '../../../commands/requests/subjects';
import { NotFoundError, ValidationError } from '../../../domain/errors';
import { can } from '../../../policies';
import type { Scope } from '../../odata/engine';
import { GraphRequest, GraphRouter } from '../../router';
import { listOf, oneOf } from '../helpers';
import { em } from '../paths';

const assignments = `${em}/assignments`;
const context = 'identityGovernance/entitlementManagement/assignments';
const addTypes = ['userAdd', 'adminAdd'];

/**
 * `filterByCurrentUser(on='target'|'createdBy')`: the caller's own assignments, or those created by
 * an add request the caller made (for someone else too, as an administrator).
 */
async function currentUserScope(req: GraphRequest): Promise<Scope> {
  const on = req.functionArgs.on;
  if (on !== 'target' && on !== 'createdBy') throw new ValidationError("The function parameter 'on' must be 'target' or 'createdBy'.", 'on');
  const mine = await subjectOfPrincipal(req.ctx.db, req.ctx.principal);
  if (!mine) return () => sql`1 = 0`;
  if (on === 'target') return (alias) => sql`${sql.ref(`${alias}.targetId`)} = ${mine.id}`;
  return (alias) =>
    sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref('assignmentId')} from ${sql.table('assignment_requests')} where ${sql.ref('requestorId')} = ${mine.id} and ${sql.ref('requestType')} in (${sql.join(addTypes)}))`;
}

/**
 * `additionalAccess(accessPackageId='…',incompatibleAccessPackageId='…')`: active assignments of the
 * first package whose targets also hold an active assignment of the second — the people who would
 * keep both if the packages were made incompatible. For the first package's catalog staff only.
 */
async function additionalAccessScope(req: GraphRequest): Promise<Scope> {
  const { accessPackageId, incompatibleAccessPackageId } = req.functionArgs;
  if (!accessPackageId) throw new ValidationError("The function parameter 'accessPackageId' is required.", 'accessPackageId');
  if (!incompatibleAccessPackageId) throw new ValidationError("The function parameter 'incompatibleAccessPackageId' is required.", 'incompatibleAccessPackageId');
  const accessPackage = await req.ctx.db.selectFrom('access_packages').select(['id', 'catalogId']).where('id', '=', accessPackageId).executeTakeFirst();
  if (!accessPackage || !can(req.ctx.principal, 'assignment.read', { catalogId: accessPackage.catalogId })) {
    throw new NotFoundError(`No accessPackage with id '${accessPackageId}' was found.`);
  }
  return (alias) => sql`${sql.ref(`${alias}.accessPackageId`)} = ${accessPackageId} and ${sql.ref(`${alias}.activeKey`)} is not null and ${sql.ref(`${alias}.targetId`)} in (
    select ${sql.ref('o.targetId')} from ${sql.table('assignments')} as ${sql.ref('o')}
     where ${sql.ref('o.accessPackageId')} = ${incompatibleAccessPackageId} and ${sql.ref('o.activeKey')} is not null)`;
}

/** Access package assignments: read (with the caller's visibility), the current user's, additional access, reprocess. */
export function registerAssignments(router: GraphRouter): void {
  router
    .add('GET', assignments, async (req) => listOf(req, 'accessPackageAssignment', context))
    .add('GET', `${assignments}/filterByCurrentUser()`, async (req) => listOf(req, 'accessPackageAssignment', context, await currentUserScope(req)))
    .add('GET', `${assignments}/additionalAccess()`, async (req) => listOf(req, 'accessPackageAssignment', context, await additionalAccessScope(req)))
    .add('GET', `${assignments}/{id}`, async (req) => oneOf(req, 'accessPackageAssignment', req.params.id, context))
    .add('POST', `${assignments}/{id}/reprocess`, async (req) => {
      await reprocessAssignment(req.ctx, req.params.id);
      return { status: 202 };
    });
}
