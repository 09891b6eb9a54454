import { CommandContext, inTransaction, newId } from '../../context';
import { authorize, requireVisible } from '../../policies';
import type { AccessPackagesTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { loadCatalog } from '../catalogs/loadCatalog';
import type { CreateAccessPackageInput } from './schemas';

/** Creates an access package in a catalog; catalog owners and access package managers of that catalog may. */
export async function createAccessPackage(ctx: CommandContext, input: CreateAccessPackageInput): Promise<AccessPackagesTable> {
  const catalogId = input.catalog.id;
  requireVisible(ctx.principal, 'catalog.read', { catalogId }, 'Catalog');
  authorize(ctx.principal, 'accessPackage.write', { catalogId });
  const now = ctx.clock.now().toISOString();
  const row: AccessPackagesTable = {
    id: newId(),
    catalogId,
    displayName: input.displayName,
    description: input.description ?? null,
    isHidden: input.isHidden ? 1 : 0,
    createdDateTime: now,
    modifiedDateTime: now,
  };
  await inTransaction(ctx, async (tx) => {
    const catalog = await loadCatalog(tx, catalogId);
    await tx.insertInto('access_packages').values(row).execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Create access package',
      operationType: 'Add',
      targets: [
        { id: row.id, displayName: row.displayName, type: 'AccessPackage' },
        { id: catalog.id, displayName: catalog.displayName, type: 'AccessPackageCatalog' },
      ],
    });
  });
  return row;
}
