import type { CommandContext, Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { scheduleTimer } from '../../jobs/timers';
import { writeAudit } from '../audit';
import { loadSettings } from '../settings/loadSettings';
import { blocksGuests, deletesGuests, deletionDelayMs, guestTimerKinds, loadGovernedGuest, sponsorsOf, warningPeriodMs } from './guests';

/**
 * The `guest.block` timer: the warning period is over, so a governed guest who still has no active
 * assignment (and settings that still block) loses sign-in. With `blockSignInAndDelete` the deletion
 * is scheduled `durationUntilExternalUserDeletedAfterBlocked` later, with its own warning before it.
 * Everything is checked again here: the guest may have got access, been un-governed or deleted since.
 */
export async function blockGuest(tx: Tx, ctx: CommandContext, userId: string): Promise<void> {
  const guest = await loadGovernedGuest(tx, userId);
  if (!guest || guest.hasActiveAssignment || (guest.blockedDateTime !== null && guest.accountEnabled === 0)) return;
  const settings = await loadSettings(tx);
  if (!blocksGuests(settings)) return;
  const now = ctx.clock.now();
  await tx.updateTable('users').set({ accountEnabled: 0, blockedDateTime: now.toISOString() }).where('id', '=', guest.userId).execute();
  let deleteDateTime: Date | null = null;
  if (deletesGuests(settings)) {
    deleteDateTime = new Date(now.getTime() + deletionDelayMs(settings));
    const warnAt = new Date(deleteDateTime.getTime() - warningPeriodMs(settings));
    if (warnAt.getTime() > now.getTime()) {
      await scheduleTimer(tx, { kind: guestTimerKinds.warnDelete, subjectId: guest.userId, dueAt: warnAt, payload: { deleteDateTime: deleteDateTime.toISOString() } }, now);
    }
    await scheduleTimer(tx, { kind: guestTimerKinds.delete, subjectId: guest.userId, dueAt: deleteDateTime }, now);
  }
  await writeAudit(tx, ctx, {
    category: 'UserManagement',
    activityDisplayName: 'Disable account',
    operationType: 'Update',
    targets: [{ id: guest.userId, displayName: guest.displayName, type: 'User' }],
    details: {
      accountEnabled: 'false',
      reason: 'The last access package assignment of this governed guest ended.',
      externalUserLifecycleAction: settings.externalUserLifecycleAction,
      deleteDateTime: deleteDateTime?.toISOString(),
    },
  });
  const sponsors = await sponsorsOf(tx, [guest]);
  await emit(tx, ctx, eventTypes.guestBlocked, guest.userId, {
    userId: guest.userId,
    displayName: guest.displayName,
    sponsorIds: sponsors.get(guest.userId) ?? [],
    blockedDateTime: now.toISOString(),
    deleteDateTime: deleteDateTime?.toISOString() ?? null,
  });
}
