import { createRoleAssignment } from '../../../commands/directory/createRoleAssignment';
import { deleteRoleAssignment } from '../../../commands/directory/deleteRoleAssignment';
import { createRoleAssignmentBody } from '../../../commands/directory/schemas';
import { authorize } from '../../../policies';
import { created, GraphRouter, noContent } from '../../router';
import { parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';

const base = 'roleManagement/entitlementManagement';

/**
 * Entitlement-management roles: the built-in definitions, and who holds which role where.
 * Members read (administrators all assignments, others those of their catalogs and their own).
 */
export function registerRoleManagement(router: GraphRouter): void {
  router
    .add('GET', `${base}/roleDefinitions`, (req) => {
      authorize(req.ctx.principal, 'roleAssignment.read');
      return listOf(req, 'unifiedRoleDefinition', `${base}/roleDefinitions`);
    })
    .add('GET', `${base}/roleDefinitions/{id}`, (req) => {
      authorize(req.ctx.principal, 'roleAssignment.read');
      return oneOf(req, 'unifiedRoleDefinition', req.params.id, `${base}/roleDefinitions`);
    })
    .add('GET', `${base}/roleAssignments`, (req) => {
      authorize(req.ctx.principal, 'roleAssignment.read');
      return listOf(req, 'unifiedRoleAssignment', `${base}/roleAssignments`);
    })
    .add('POST', `${base}/roleAssignments`, async (req) => {
      const row = await createRoleAssignment(req.ctx, parseBody(createRoleAssignmentBody, req.body, 'unifiedRoleAssignment'));
      const value = await presentOne(req, 'unifiedRoleAssignment', row, {});
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${base}/roleAssignments/$entity`, ...value });
    })
    .add('GET', `${base}/roleAssignments/{id}`, (req) => {
      authorize(req.ctx.principal, 'roleAssignment.read');
      return oneOf(req, 'unifiedRoleAssignment', req.params.id, `${base}/roleAssignments`);
    })
    .add('DELETE', `${base}/roleAssignments/{id}`, async (req) => {
      await deleteRoleAssignment(req.ctx, req.params.id);
      return noContent();
    });
}
