import { CommandContext, inTransaction } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { groupRelations, GroupRelation } from './groupRelations';
import { groupOwnerIds, loadGroup, missingObject } from './loadDirectory';
import { requireReadable } from '../../policies/visibility';

/**
 * Removes a member or an owner (`DELETE /groups/{id}/members/{userId}/$ref`). The last owner stays:
 * a group nobody owns can no longer be managed by its team. The group row is locked (PostgreSQL) so
 * two removals at once cannot both take "the other" owner.
 */
export async function removeGroupMember(ctx: CommandContext, groupId: string, relation: GroupRelation, userId: string): Promise<void> {
  const { table, column, noun } = groupRelations[relation];
  await requireReadable(ctx, 'group', groupId, () => missingObject(groupId));
  await inTransaction(ctx, async (tx) => {
    const group = await loadGroup(tx, groupId, { dialect: ctx.dialect });
    const owners = await groupOwnerIds(tx, groupId);
    authorize(ctx.principal, 'group.membership.write', { groupOwnerIds: owners });
    if (relation === 'owners' && owners.includes(userId) && owners.length === 1) {
      throw new ValidationError('The group must have at least one owner, hence this owner cannot be removed.', 'ownerId', 'Request_BadRequest');
    }
    const result = await tx.deleteFrom(table).where('groupId', '=', group.id).where(column, '=', userId).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw missingObject(userId);
    await writeAudit(tx, ctx, {
      category: 'GroupManagement',
      activityDisplayName: `Remove ${noun} from group`,
      operationType: 'Delete',
      targets: [
        { id: group.id, displayName: group.displayName, type: 'Group' },
        { id: userId, displayName: null, type: 'User' },
      ],
    });
  });
}
