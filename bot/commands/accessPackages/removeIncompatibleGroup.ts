import { CommandContext, inTransaction } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { loadAccessPackageForWrite } from './loadAccessPackage';

/** Removes a group from an access package's incompatible groups; 404 when it is not one of them. */
export async function removeIncompatibleGroup(ctx: CommandContext, accessPackageId: string, groupId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, accessPackageId);
    const deleted = await tx.deleteFrom('incompatible_groups').where('accessPackageId', '=', accessPackageId).where('groupId', '=', groupId).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError(`Group '${groupId}' is not incompatible with '${pkg.displayName}'.`);
    const group = await tx.selectFrom('groups').select('displayName').where('id', '=', groupId).executeTakeFirst();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Remove incompatible group',
      operationType: 'Delete',
      targets: [
        { id: accessPackageId, displayName: pkg.displayName, type: 'AccessPackage' },
        { id: groupId, displayName: group?.displayName ?? null, type: 'Group' },
      ],
    });
  });
}
