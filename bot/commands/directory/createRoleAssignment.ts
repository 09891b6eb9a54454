import { CommandContext, inTransaction, newId } from '../../context';
import { ConflictError, ValidationError } from '../../domain/errors';
import { catalogScope, entitlementRoles } from '../../domain/roles';
import { authorize } from '../../policies';
import type { RoleAssignmentsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { isUniqueViolation } from './loadDirectory';
import type { CreateRoleAssignmentInput } from './schemas';

const catalogScopePattern = /^\/AccessPackageCatalog\/([^/]+)$/;
const duplicate = () => new ConflictError('The principal already holds this role at this scope.', 'RoleAssignmentExists');

/**
 * Grants an entitlement-management role: catalog creator tenant-wide (`appScopeId` `/`), or a
 * catalog role in one catalog (`/AccessPackageCatalog/{id}`). Administrators grant any; catalog
 * owners grant the catalog roles of their catalogs.
 */
export async function createRoleAssignment(ctx: CommandContext, input: CreateRoleAssignmentInput): Promise<RoleAssignmentsTable> {
  const appScopeId = input.appScopeId ?? '/';
  const directoryScopeId = input.directoryScopeId ?? '/';
  if (directoryScopeId !== '/') {
    throw new ValidationError("Entitlement management roles take directoryScopeId '/'; scope a catalog role with appScopeId '/AccessPackageCatalog/{id}'.", 'directoryScopeId');
  }
  const catalogMatch = catalogScopePattern.exec(appScopeId);
  if (appScopeId !== '/' && !catalogMatch) {
    throw new ValidationError("appScopeId must be '/' or '/AccessPackageCatalog/{catalogId}'.", 'appScopeId');
  }
  authorize(ctx.principal, 'roleAssignment.write', { appScopeId, roleDefinitionId: input.roleDefinitionId });

  const row: RoleAssignmentsTable = {
    id: newId(),
    provider: 'entitlementManagement',
    principalId: input.principalId,
    roleDefinitionId: input.roleDefinitionId,
    directoryScopeId,
    appScopeId,
    createdDateTime: ctx.clock.now().toISOString(),
  };
  await inTransaction(ctx, async (tx) => {
    const role = await tx.selectFrom('role_definitions').select(['id', 'displayName']).where('id', '=', input.roleDefinitionId).where('provider', '=', 'entitlementManagement').executeTakeFirst();
    if (!role) throw new ValidationError(`roleDefinitionId '${input.roleDefinitionId}' is not an entitlement management role definition.`, 'roleDefinitionId');
    const principal = await tx.selectFrom('users').select(['id', 'displayName']).where('id', '=', input.principalId).executeTakeFirst();
    if (!principal) throw new ValidationError(`principalId '${input.principalId}' is not a user of this directory.`, 'principalId');
    const isCreatorRole = role.id === entitlementRoles.catalogCreator;
    if (isCreatorRole && appScopeId !== '/') throw new ValidationError("The catalog creator role is granted tenant-wide: appScopeId must be '/'.", 'appScopeId');
    if (!isCreatorRole && !catalogMatch) throw new ValidationError(`'${role.displayName}' is a catalog role: appScopeId must be '/AccessPackageCatalog/{catalogId}'.`, 'appScopeId');
    let catalogName: string | null = null;
    if (catalogMatch) {
      const catalog = await tx.selectFrom('catalogs').select(['id', 'displayName']).where('id', '=', catalogMatch[1]).executeTakeFirst();
      if (!catalog) throw new ValidationError(`appScopeId '${appScopeId}' names no existing catalog.`, 'appScopeId');
      row.appScopeId = catalogScope(catalog.id);
      catalogName = catalog.displayName;
    }
    const existing = await tx
      .selectFrom('role_assignments')
      .select('id')
      .where('provider', '=', 'entitlementManagement')
      .where('principalId', '=', row.principalId)
      .where('roleDefinitionId', '=', row.roleDefinitionId)
      .where('appScopeId', '=', row.appScopeId)
      .where('directoryScopeId', '=', row.directoryScopeId)
      .executeTakeFirst();
    if (existing) throw duplicate();
    try {
      await tx.insertInto('role_assignments').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicate();
      throw error;
    }
    await writeAudit(tx, ctx, {
      category: 'EntitlementManagement',
      activityDisplayName: 'Create role assignment',
      operationType: 'Assign',
      targets: [
        { id: principal.id, displayName: principal.displayName, type: 'User' },
        { id: role.id, displayName: role.displayName, type: 'RoleDefinition' },
      ],
      details: { appScopeId: row.appScopeId, catalog: catalogName },
    });
  });
  return row;
}
