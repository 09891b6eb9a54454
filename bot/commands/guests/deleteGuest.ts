import type { CommandContext, Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { cancelTimer } from '../../jobs/timers';
import { writeAudit } from '../audit';
import { loadSettings } from '../settings/loadSettings';
import { deletesGuests, guestTimerKinds, loadGovernedGuest, sponsorsOf } from './guests';

/**
 * The `guest.delete` timer: a governed guest blocked for `durationUntilExternalUserDeletedAfterBlocked`
 * is deleted from the directory, as the directory's DELETE /users/{id} does (memberships, ownerships,
 * sponsorships, role assignments go with it). The subject stays, without object id, so the person can
 * request again and be invited anew. Skipped when anything changed meanwhile: access again, sign-in
 * re-enabled by an administrator, no longer governed, or settings that no longer delete.
 */
export async function deleteGuest(tx: Tx, ctx: CommandContext, userId: string): Promise<void> {
  const guest = await loadGovernedGuest(tx, userId);
  if (!guest || guest.hasActiveAssignment || guest.blockedDateTime === null || guest.accountEnabled !== 0) return;
  const settings = await loadSettings(tx);
  if (!deletesGuests(settings)) return;
  // Read before the rows go: the notice names the sponsors.
  const sponsors = await sponsorsOf(tx, [guest]);
  const user = await tx.selectFrom('users').select(['userPrincipalName', 'mail']).where('id', '=', guest.userId).executeTakeFirstOrThrow();
  await tx.deleteFrom('role_assignments').where('principalId', '=', guest.userId).execute();
  await tx.deleteFrom('user_sponsors').where((eb) => eb.or([eb('userId', '=', guest.userId), eb('sponsorId', '=', guest.userId)])).execute();
  await tx.deleteFrom('group_members').where('memberId', '=', guest.userId).execute();
  await tx.deleteFrom('group_owners').where('ownerId', '=', guest.userId).execute();
  await tx.deleteFrom('site_group_members').where('userId', '=', guest.userId).execute();
  await tx.updateTable('users').set({ managerId: null }).where('managerId', '=', guest.userId).execute();
  await tx.deleteFrom('users').where('id', '=', guest.userId).execute();
  await tx.updateTable('subjects').set({ objectId: null }).where('id', '=', guest.subjectId).execute();
  await cancelTimer(tx, guestTimerKinds.warnDelete, guest.userId);
  await writeAudit(tx, ctx, {
    category: 'UserManagement',
    activityDisplayName: 'Delete user',
    operationType: 'Delete',
    targets: [{ id: guest.userId, displayName: guest.displayName, type: 'User' }],
    details: {
      userPrincipalName: user.userPrincipalName,
      reason: 'The governed guest stayed blocked for the configured time without an access package assignment.',
      durationUntilExternalUserDeletedAfterBlocked: settings.durationUntilExternalUserDeletedAfterBlocked,
    },
  });
  await emit(tx, ctx, eventTypes.guestDeleted, guest.userId, { userId: guest.userId, displayName: guest.displayName, mail: user.mail, sponsorIds: sponsors.get(guest.userId) ?? [] });
}
