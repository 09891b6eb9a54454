import type { CommandContext, Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { writeAudit } from '../audit';
import { loadSettings } from '../settings/loadSettings';
import { deletesGuests, guestTimerKinds, loadGovernedGuest, sponsorsOf } from './guests';

/**
 * The `guest.warnDelete` timer: a blocked governed guest will be deleted soon (`warningPeriodMs`
 * before the deletion); the guest and the sponsors are told, once, while there is still time to
 * give the guest access again.
 */
export async function warnGuestDeletion(tx: Tx, ctx: CommandContext, userId: string, deleteDateTime: string | null): Promise<void> {
  const guest = await loadGovernedGuest(tx, userId);
  if (!guest || guest.hasActiveAssignment || guest.blockedDateTime === null || guest.accountEnabled !== 0) return;
  const settings = await loadSettings(tx);
  if (!deletesGuests(settings)) return;
  const pending = await tx.selectFrom('timers').select('dueAt').where('kind', '=', guestTimerKinds.delete).where('subjectId', '=', guest.userId).executeTakeFirst();
  const when = pending?.dueAt ?? deleteDateTime;
  await writeAudit(tx, ctx, {
    activityDisplayName: 'Notify external user of deletion',
    operationType: 'Other',
    targets: [{ id: guest.userId, displayName: guest.displayName, type: 'User' }],
    details: { deleteDateTime: when },
  });
  const sponsors = await sponsorsOf(tx, [guest]);
  await emit(tx, ctx, eventTypes.guestToBeDeleted, guest.userId, { userId: guest.userId, displayName: guest.displayName, sponsorIds: sponsors.get(guest.userId) ?? [], deleteDateTime: when });
}
