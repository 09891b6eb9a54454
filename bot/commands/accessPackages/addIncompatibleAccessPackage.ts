import { CommandContext, inTransaction } from '../../context';
import { ConflictError, ValidationError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { loadAccessPackage, loadAccessPackageForWrite } from './loadAccessPackage';

/**
 * Marks `otherId` as incompatible with an access package: people holding the other package cannot
 * request this one. The other package must be one the caller can see (it may be in another catalog).
 */
export async function addIncompatibleAccessPackage(ctx: CommandContext, accessPackageId: string, otherId: string): Promise<void> {
  if (otherId === accessPackageId) throw new ValidationError('An access package cannot be incompatible with itself.', '@odata.id');
  await inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, accessPackageId);
    const other = await loadAccessPackage(tx, ctx.principal, otherId);
    const inserted = await tx
      .insertInto('incompatible_access_packages')
      .values({ accessPackageId, incompatibleAccessPackageId: otherId })
      .onConflict((oc) => oc.columns(['accessPackageId', 'incompatibleAccessPackageId']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new ConflictError(`Access package '${other.displayName}' is already incompatible with '${pkg.displayName}'.`, 'Conflict');
    }
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Add incompatible access package',
      operationType: 'Add',
      targets: [
        { id: accessPackageId, displayName: pkg.displayName, type: 'AccessPackage' },
        { id: other.id, displayName: other.displayName, type: 'AccessPackage' },
      ],
    });
  });
}
