import { CommandContext, inTransaction } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { loadUser } from './loadDirectory';

/** Longest management chain we walk looking for a cycle; real chains are far shorter. */
const maxChain = 100;

/** Sets a user's manager (`PUT /users/{id}/manager/$ref`). A chain that loops back is refused. */
export async function setManager(ctx: CommandContext, idOrUpn: string, managerIdOrUpn: string): Promise<void> {
  authorize(ctx.principal, 'user.write');
  await inTransaction(ctx, async (tx) => {
    const user = await loadUser(tx, idOrUpn);
    const manager = await loadUser(tx, managerIdOrUpn);
    let current: string | null = manager.id;
    for (let i = 0; current && i < maxChain; i++) {
      if (current === user.id) throw new ValidationError('The manager would make a circular management chain.', '@odata.id', 'Request_BadRequest');
      const next: { managerId: string | null } | undefined = await tx.selectFrom('users').select('managerId').where('id', '=', current).executeTakeFirst();
      current = next?.managerId ?? null;
    }
    await tx.updateTable('users').set({ managerId: manager.id }).where('id', '=', user.id).execute();
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: 'Set user manager',
      operationType: 'Update',
      targets: [
        { id: user.id, displayName: user.displayName, type: 'User' },
        { id: manager.id, displayName: manager.displayName, type: 'User' },
      ],
    });
  });
}
