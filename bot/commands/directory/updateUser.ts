import type { Updateable } from 'kysely';
import { CommandContext, inTransaction } from '../../context';
import { authorize } from '../../policies';
import type { UsersTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { requireMailFree } from './createUser';
import { loadUser } from './loadDirectory';
import type { UpdateUserInput } from './schemas';

/** Updates sign-in blocking (`accountEnabled`) and the descriptive fields of a user. */
export async function updateUser(ctx: CommandContext, idOrUpn: string, input: UpdateUserInput): Promise<void> {
  authorize(ctx.principal, 'user.write');
  await inTransaction(ctx, async (tx) => {
    const user = await loadUser(tx, idOrUpn);
    const changes: Updateable<UsersTable> = {};
    if (input.accountEnabled !== undefined) changes.accountEnabled = input.accountEnabled ? 1 : 0;
    if (input.displayName !== undefined) changes.displayName = input.displayName;
    for (const key of ['givenName', 'surname', 'jobTitle', 'department', 'companyName'] as const) {
      if (input[key] !== undefined) changes[key] = input[key];
    }
    if (input.usageLocation !== undefined) changes.usageLocation = input.usageLocation ? input.usageLocation.toUpperCase() : null;
    if (input.mail !== undefined) {
      const mailLower = input.mail ? input.mail.toLowerCase() : null;
      if (mailLower) await requireMailFree(tx, mailLower, user.id);
      changes.mail = input.mail;
      changes.mailLower = mailLower;
    }
    const changed = Object.keys(changes).filter((k) => k !== 'mailLower');
    if (changed.length === 0) return;
    await tx.updateTable('users').set(changes).where('id', '=', user.id).execute();
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: input.accountEnabled === false && user.accountEnabled === 1 ? 'Disable account' : 'Update user',
      operationType: 'Update',
      targets: [{ id: user.id, displayName: changes.displayName ?? user.displayName, type: 'User' }],
      details: { changedProperties: changed.join(', ') },
    });
  });
}
