import { CommandContext, inTransaction } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { loadAccessPackageForWrite } from './loadAccessPackage';

/** Removes the incompatibility between an access package and `otherId`; 404 when they are not linked. */
export async function removeIncompatibleAccessPackage(ctx: CommandContext, accessPackageId: string, otherId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, accessPackageId);
    const deleted = await tx
      .deleteFrom('incompatible_access_packages')
      .where('accessPackageId', '=', accessPackageId)
      .where('incompatibleAccessPackageId', '=', otherId)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError(`Access package '${otherId}' is not incompatible with '${pkg.displayName}'.`);
    const other = await tx.selectFrom('access_packages').select('displayName').where('id', '=', otherId).executeTakeFirst();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Remove incompatible access package',
      operationType: 'Delete',
      targets: [
        { id: accessPackageId, displayName: pkg.displayName, type: 'AccessPackage' },
        { id: otherId, displayName: other?.displayName ?? null, type: 'AccessPackage' },
      ],
    });
  });
}
