import { CommandContext, inTransaction } from '../../context';
import { ConflictError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { hasActiveAssignments, inactiveAssignmentStates, loadAccessPackageForWrite } from './loadAccessPackage';

/**
 * Deletes an access package with its policies, resource roles and incompatibilities. Refused while
 * anyone still has (or is getting) access through it, as Entra requires: remove the assignments first.
 */
export async function deleteAccessPackage(ctx: CommandContext, id: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, id);
    if (await hasActiveAssignments(tx, id)) {
      throw new ConflictError(`Access package '${pkg.displayName}' still has active assignments; remove them before deleting the access package.`, 'ResourceInUse');
    }
    // Finished assignments are history of this package only; they hold its policies in place (FK).
    await tx.deleteFrom('assignments').where('accessPackageId', '=', id).where('state', 'in', [...inactiveAssignmentStates]).execute();
    await tx.deleteFrom('assignment_policies').where('accessPackageId', '=', id).execute();
    await tx.deleteFrom('resource_role_scopes').where('accessPackageId', '=', id).execute();
    await tx.deleteFrom('incompatible_access_packages').where((eb) => eb.or([eb('accessPackageId', '=', id), eb('incompatibleAccessPackageId', '=', id)])).execute();
    await tx.deleteFrom('incompatible_groups').where('accessPackageId', '=', id).execute();
    await tx.deleteFrom('access_packages').where('id', '=', id).execute();
    await writeAudit(tx, ctx, { activityDisplayName: 'Delete access package', operationType: 'Delete', targets: [{ id, displayName: pkg.displayName, type: 'AccessPackage' }] });
  });
}
