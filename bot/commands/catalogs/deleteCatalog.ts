import { CommandContext, inTransaction } from '../../context';
import { ConflictError } from '../../domain/errors';
import { catalogScope } from '../../domain/roles';
import { authorize, requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import { loadCatalog } from './loadCatalog';

/**
 * Deletes a catalog with its resources and role assignments. A catalog that still holds access
 * packages is refused: delete the packages first, as Entra requires.
 */
export async function deleteCatalog(ctx: CommandContext, id: string): Promise<void> {
  requireVisible(ctx.principal, 'catalog.read', { catalogId: id }, 'Catalog');
  authorize(ctx.principal, 'catalog.delete', { catalogId: id });
  await inTransaction(ctx, async (tx) => {
    const catalog = await loadCatalog(tx, id);
    const packages = await tx.selectFrom('access_packages').select('id').where('catalogId', '=', id).limit(1).execute();
    if (packages.length > 0) {
      throw new ConflictError(`Catalog '${catalog.displayName}' still contains access packages; delete them before deleting the catalog.`, 'ResourceInUse');
    }
    await tx.deleteFrom('resource_requests').where('catalogId', '=', id).execute();
    // Roles and scopes go with their resources (ON DELETE CASCADE).
    await tx.deleteFrom('resources').where('catalogId', '=', id).execute();
    await tx.deleteFrom('role_assignments').where('appScopeId', '=', catalogScope(id)).execute();
    await tx.deleteFrom('catalogs').where('id', '=', id).execute();
    await writeAudit(tx, ctx, { activityDisplayName: 'Delete access package catalog', operationType: 'Delete', targets: [{ id, displayName: catalog.displayName, type: 'AccessPackageCatalog' }] });
  });
}
