import { CommandContext, inTransaction } from '../../context';
import { ConflictError, NotFoundError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { loadAccessPackageForWrite } from './loadAccessPackage';

/** Marks a group as incompatible with an access package: its members cannot request the package. */
export async function addIncompatibleGroup(ctx: CommandContext, accessPackageId: string, groupId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, accessPackageId);
    const group = await tx.selectFrom('groups').select(['id', 'displayName']).where('id', '=', groupId).executeTakeFirst();
    if (!group) throw new NotFoundError(`No group with id '${groupId}' was found.`);
    const inserted = await tx
      .insertInto('incompatible_groups')
      .values({ accessPackageId, groupId })
      .onConflict((oc) => oc.columns(['accessPackageId', 'groupId']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new ConflictError(`Group '${group.displayName}' is already incompatible with '${pkg.displayName}'.`, 'Conflict');
    }
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Add incompatible group',
      operationType: 'Add',
      targets: [
        { id: accessPackageId, displayName: pkg.displayName, type: 'AccessPackage' },
        { id: group.id, displayName: group.displayName, type: 'Group' },
      ],
    });
  });
}
