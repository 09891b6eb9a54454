import { CommandContext, inTransaction } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { ensureSubject, requesterOfUser } from '../requests/subjects';
import { allGuestTimerKinds } from './guests';
import { subjectNotFound } from './loadSubject';
import type { UpdateSubjectInput } from './schemas';

/**
 * Marks a guest `governed` (entitlement management blocks and deletes them once their last
 * assignment ends) or `notGoverned` (they stay whatever happens), like Entra's "Convert to governed
 * user". Administrators only. A guest without a subject yet (never requested anything) gets one.
 * Un-governing cancels a block or deletion under way; a guest Portier already blocked stays blocked
 * until an administrator enables the account or the guest gets access again while governed.
 * Governing a guest with no assignment starts nothing: the lifecycle begins when an assignment ends.
 */
export async function updateSubjectLifecycle(ctx: CommandContext, objectId: string, input: UpdateSubjectInput): Promise<void> {
  authorize(ctx.principal, 'settings.write');
  await inTransaction(ctx, async (tx) => {
    const user = await tx.selectFrom('users').selectAll().where('id', '=', objectId).executeTakeFirst();
    if (!user) throw subjectNotFound(objectId);
    if (user.userType !== 'Guest') throw new ValidationError('Only guests (external users) have a lifecycle in entitlement management.', 'subjectLifecycle');
    const subject = await ensureSubject(tx, await requesterOfUser(tx, user), ctx.clock.now());
    const before = subject.subjectLifecycle;
    await tx.updateTable('subjects').set({ subjectLifecycle: input.subjectLifecycle }).where('id', '=', subject.id).execute();
    if (input.subjectLifecycle === 'notGoverned') {
      await tx.deleteFrom('timers').where('kind', 'in', allGuestTimerKinds).where('subjectId', '=', user.id).execute();
    }
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Update access package subject',
      operationType: 'Update',
      targets: [
        { id: subject.id, displayName: subject.displayName, type: 'AccessPackageSubject' },
        { id: user.id, displayName: user.displayName, type: 'User' },
      ],
      details: { changedProperties: 'subjectLifecycle', oldValue: before, newValue: input.subjectLifecycle },
    });
  });
}
