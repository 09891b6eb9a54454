import { CommandContext, inTransaction, newId } from '../../context';
import { catalogScope, entitlementRoles } from '../../domain/roles';
import { authorize, isAdmin } from '../../policies';
import type { CatalogsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import type { CreateCatalogInput } from './schemas';

/**
 * Creates a catalog. A catalog creator who is not an administrator becomes its first owner, as in
 * Entra, so they can manage what they made.
 */
export async function createCatalog(ctx: CommandContext, input: CreateCatalogInput): Promise<CatalogsTable> {
  authorize(ctx.principal, 'catalog.create');
  const now = ctx.clock.now().toISOString();
  const row: CatalogsTable = {
    id: newId(),
    displayName: input.displayName,
    description: input.description ?? null,
    catalogType: 'userManaged',
    state: input.state ?? 'published',
    isExternallyVisible: input.isExternallyVisible === false ? 0 : 1,
    createdDateTime: now,
    modifiedDateTime: now,
  };
  await inTransaction(ctx, async (tx) => {
    await tx.insertInto('catalogs').values(row).execute();
    if (!isAdmin(ctx.principal) && ctx.principal.userId) {
      await tx
        .insertInto('role_assignments')
        .values({
          id: newId(),
          provider: 'entitlementManagement',
          principalId: ctx.principal.userId,
          roleDefinitionId: entitlementRoles.catalogOwner,
          directoryScopeId: '/',
          appScopeId: catalogScope(row.id),
          createdDateTime: now,
        })
        .execute();
    }
    await writeAudit(tx, ctx, { activityDisplayName: 'Create access package catalog', operationType: 'Add', targets: [{ id: row.id, displayName: row.displayName, type: 'AccessPackageCatalog' }] });
  });
  return row;
}
