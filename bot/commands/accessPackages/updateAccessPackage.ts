import { CommandContext, inTransaction } from '../../context';
import { ValidationError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { requestReviewSync } from '../reviews/syncDefinitions';
import { loadAccessPackageForWrite } from './loadAccessPackage';
import type { UpdateAccessPackageInput } from './schemas';

/** Updates an access package's name, description or visibility. Packages never move between catalogs. */
export async function updateAccessPackage(ctx: CommandContext, id: string, input: UpdateAccessPackageInput): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, id);
    if (input.catalog !== undefined && input.catalog.id !== pkg.catalogId) {
      throw new ValidationError("An access package cannot be moved to another catalog; property 'catalog' cannot be changed.", 'catalog');
    }
    const changes = {
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.isHidden !== undefined ? { isHidden: input.isHidden ? 1 : 0 } : {}),
    };
    await tx
      .updateTable('access_packages')
      .set({ ...changes, modifiedDateTime: ctx.clock.now().toISOString() })
      .where('id', '=', id)
      .execute();
    if (input.displayName !== undefined && input.displayName !== pkg.displayName) {
      // Review definitions carry the package's name.
      const policies = await tx.selectFrom('assignment_policies').select('id').where('accessPackageId', '=', id).execute();
      for (const policy of policies) await requestReviewSync(tx, ctx.clock.now(), policy.id);
    }
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Update access package',
      operationType: 'Update',
      targets: [{ id, displayName: changes.displayName ?? pkg.displayName, type: 'AccessPackage' }],
      details: { changedProperties: Object.keys(changes).join(', ') },
    });
  });
}
