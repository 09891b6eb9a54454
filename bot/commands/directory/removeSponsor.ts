import { CommandContext, inTransaction } from '../../context';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { loadUser, missingObject } from './loadDirectory';

/** Removes a sponsor from a user (`DELETE /users/{id}/sponsors/{sponsorId}/$ref`); 404 when they were not one. */
export async function removeSponsor(ctx: CommandContext, idOrUpn: string, sponsorId: string): Promise<void> {
  authorize(ctx.principal, 'user.write');
  await inTransaction(ctx, async (tx) => {
    const user = await loadUser(tx, idOrUpn);
    const result = await tx.deleteFrom('user_sponsors').where('userId', '=', user.id).where('sponsorId', '=', sponsorId).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw missingObject(sponsorId);
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: 'Remove sponsor from user',
      operationType: 'Delete',
      targets: [
        { id: user.id, displayName: user.displayName, type: 'User' },
        { id: sponsorId, displayName: null, type: 'User' },
      ],
    });
  });
}
