import { CommandContext, inTransaction } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { isUniqueViolation, loadUser } from './loadDirectory';

const alreadyThere = () =>
  new ValidationError("One or more added object references already exist for the following modified properties: 'sponsors'.", '@odata.id', 'Request_BadRequest');

/** Adds a sponsor to a user (`POST /users/{id}/sponsors/$ref`): the people answerable for a guest. */
export async function addSponsor(ctx: CommandContext, idOrUpn: string, sponsorIdOrUpn: string): Promise<void> {
  authorize(ctx.principal, 'user.write');
  await inTransaction(ctx, async (tx) => {
    const user = await loadUser(tx, idOrUpn);
    const sponsor = await loadUser(tx, sponsorIdOrUpn);
    if (sponsor.id === user.id) throw new ValidationError('A user cannot sponsor themselves.', '@odata.id', 'Request_BadRequest');
    const existing = await tx.selectFrom('user_sponsors').select('userId').where('userId', '=', user.id).where('sponsorId', '=', sponsor.id).executeTakeFirst();
    if (existing) throw alreadyThere();
    try {
      await tx.insertInto('user_sponsors').values({ userId: user.id, sponsorId: sponsor.id }).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyThere();
      throw error;
    }
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: 'Add sponsor to user',
      operationType: 'Add',
      targets: [
        { id: user.id, displayName: user.displayName, type: 'User' },
        { id: sponsor.id, displayName: sponsor.displayName, type: 'User' },
      ],
    });
  });
}
