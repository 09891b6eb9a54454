import { CommandContext, inTransaction } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { groupRelations, GroupRelation } from './groupRelations';
import { requireReadable } from '../../policies/visibility';
import { groupOwnerIds, isUniqueViolation, loadGroup, loadUser, missingObject } from './loadDirectory';

/**
 * Adds a member or an owner to a group (`POST /groups/{id}/members/$ref`, `…/owners/$ref`). Group
 * owners and user administrators may; adding someone already there is Graph's 400.
 */
export async function addGroupMember(ctx: CommandContext, groupId: string, relation: GroupRelation, userIdOrUpn: string): Promise<void> {
  const { table, column, noun } = groupRelations[relation];
  await requireReadable(ctx, 'group', groupId, () => missingObject(groupId));
  await inTransaction(ctx, async (tx) => {
    const group = await loadGroup(tx, groupId);
    authorize(ctx.principal, 'group.membership.write', { groupOwnerIds: await groupOwnerIds(tx, groupId) });
    const user = await loadUser(tx, userIdOrUpn);
    const alreadyThere = () =>
      new ValidationError(`One or more added object references already exist for the following modified properties: '${relation}'.`, '@odata.id', 'Request_BadRequest');
    const existing = await tx.selectFrom(table).select('groupId').where('groupId', '=', group.id).where(column, '=', user.id).executeTakeFirst();
    if (existing) throw alreadyThere();
    try {
      if (relation === 'members') await tx.insertInto('group_members').values({ groupId: group.id, memberId: user.id }).execute();
      else await tx.insertInto('group_owners').values({ groupId: group.id, ownerId: user.id }).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyThere();
      throw error;
    }
    await writeAudit(tx, ctx, {
      category: 'GroupManagement',
      activityDisplayName: `Add ${noun} to group`,
      operationType: 'Add',
      targets: [
        { id: group.id, displayName: group.displayName, type: 'Group' },
        { id: user.id, displayName: user.displayName, type: 'User' },
      ],
    });
  });
}
