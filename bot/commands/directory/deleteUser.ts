import { CommandContext, inTransaction } from '../../context';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { loadUser } from './loadDirectory';

/**
 * Deletes a user with their memberships, ownerships, sponsorships and role assignments. Role
 * assignments have no foreign key (their principal may be of several kinds), so they go explicitly;
 * the rest would follow by cascade, but saying it here keeps the rule readable in one place.
 */
export async function deleteUser(ctx: CommandContext, idOrUpn: string): Promise<void> {
  authorize(ctx.principal, 'user.write');
  await inTransaction(ctx, async (tx) => {
    const user = await loadUser(tx, idOrUpn);
    await tx.deleteFrom('role_assignments').where('principalId', '=', user.id).execute();
    await tx.deleteFrom('user_sponsors').where((eb) => eb.or([eb('userId', '=', user.id), eb('sponsorId', '=', user.id)])).execute();
    await tx.deleteFrom('group_members').where('memberId', '=', user.id).execute();
    await tx.deleteFrom('group_owners').where('ownerId', '=', user.id).execute();
    await tx.updateTable('users').set({ managerId: null }).where('managerId', '=', user.id).execute();
    await tx.deleteFrom('users').where('id', '=', user.id).execute();
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: 'Delete user',
      operationType: 'Delete',
      targets: [{ id: user.id, displayName: user.displayName, type: 'User' }],
      details: { userPrincipalName: user.userPrincipalName },
    });
  });
}
