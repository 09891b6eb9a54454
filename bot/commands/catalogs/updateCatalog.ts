import { CommandContext, inTransaction } from '../../context';
import { authorize, requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import { loadCatalog } from './loadCatalog';
import type { UpdateCatalogInput } from './schemas';

/** Updates a catalog's name, description, state or external visibility. */
export async function updateCatalog(ctx: CommandContext, id: string, input: UpdateCatalogInput): Promise<void> {
  requireVisible(ctx.principal, 'catalog.read', { catalogId: id }, 'Catalog');
  authorize(ctx.principal, 'catalog.update', { catalogId: id });
  await inTransaction(ctx, async (tx) => {
    const catalog = await loadCatalog(tx, id);
    const changes = {
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.state !== undefined ? { state: input.state } : {}),
      ...(input.isExternallyVisible !== undefined ? { isExternallyVisible: input.isExternallyVisible ? 1 : 0 } : {}),
    };
    await tx
      .updateTable('catalogs')
      .set({ ...changes, modifiedDateTime: ctx.clock.now().toISOString() })
      .where('id', '=', id)
      .execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Update access package catalog',
      operationType: 'Update',
      targets: [{ id, displayName: changes.displayName ?? catalog.displayName, type: 'AccessPackageCatalog' }],
      details: { changedProperties: Object.keys(changes).join(', ') },
    });
  });
}
