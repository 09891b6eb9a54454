import { CommandContext, inTransaction } from '../../context';
import { ConflictError, NotFoundError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { hasActiveAssignments, loadAccessPackageForWrite } from './loadAccessPackage';

/**
 * Removes a resource role from an access package. Refused while the package has active
 * assignments: their holders were granted the role through it and would keep it unnoticed.
 */
export async function removeResourceRoleScope(ctx: CommandContext, accessPackageId: string, roleScopeId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, accessPackageId);
    const roleScope = await tx
      .selectFrom('resource_role_scopes as rrs')
      .innerJoin('resource_roles as r', 'r.id', 'rrs.roleId')
      .select(['rrs.id', 'r.id as roleId', 'r.displayName as roleName'])
      .where('rrs.id', '=', roleScopeId)
      .where('rrs.accessPackageId', '=', accessPackageId)
      .executeTakeFirst();
    if (!roleScope) throw new NotFoundError(`No accessPackageResourceRoleScope with id '${roleScopeId}' was found in access package '${pkg.displayName}'.`);
    if (await hasActiveAssignments(tx, accessPackageId)) {
      throw new ConflictError(`Access package '${pkg.displayName}' has active assignments; its resource roles cannot be removed until they end.`, 'ResourceInUse');
    }
    await tx.deleteFrom('resource_role_scopes').where('id', '=', roleScopeId).execute();
    await tx.updateTable('access_packages').set({ modifiedDateTime: ctx.clock.now().toISOString() }).where('id', '=', accessPackageId).execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Remove resource role from access package',
      operationType: 'Delete',
      targets: [
        { id: accessPackageId, displayName: pkg.displayName, type: 'AccessPackage' },
        { id: roleScope.roleId, displayName: roleScope.roleName, type: 'AccessPackageResourceRole' },
      ],
    });
  });
}
