import type { CommandContext, Tx } from '../../context';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { prepared } from '../../store/prepared';
import { writeAudit } from '../audit';
import { loadSettings } from '../settings/loadSettings';
import { allGuestTimerKinds, blocksGuests, chunked, emitMany, guestTimerKinds, scheduleTimers, sponsorsOf, warningPeriodMs } from './guests';

/**
 * External user lifecycle hooks (settings.externalUserLifecycleAction), called in the transaction of
 * the change, so the warning, the timers and the change land together or not at all. Only guests
 * whose subject is `governed` (invited by entitlement management, or marked so by an administrator)
 * are ever blocked or deleted; members and `notGoverned` guests are left alone.
 */

/**
 * A subject's assignment ended (expired or removed): each governed guest among `subjectIds` with no
 * active assignment left is warned (event `guest.toBeBlocked` for the guest and their sponsors) and
 * a `guest.block` timer is set at the end of the warning period (see `warningPeriodMs`). Set-based:
 * an expiry sweep may call this with thousands of subjects in one transaction.
 */
export async function onAssignmentEnded(tx: Tx, ctx: CommandContext, subjectIds: readonly string[]): Promise<void> {
  if (subjectIds.length === 0) return;
  const settings = await loadSettings(tx);
  if (!blocksGuests(settings)) return;
  const now = ctx.clock.now();
  const blockDateTime = new Date(now.getTime() + warningPeriodMs(settings));
  for (const chunk of chunked([...new Set(subjectIds)], 500)) {
    const guests = await tx
      .selectFrom('subjects as s')
      .innerJoin('users as u', 'u.id', 's.objectId')
      .select(['u.id as userId', 'u.displayName', 's.connectedOrganizationId'])
      .where('s.id', 'in', chunk)
      .where('s.subjectLifecycle', '=', 'governed')
      .where('u.userType', '=', 'Guest')
      .where((eb) =>
        eb.not(
          eb.or([
            eb.exists(eb.selectFrom('assignments as a').select('a.id').whereRef('a.targetId', '=', 's.id').where('a.activeKey', 'is not', null)),
            // Already on the way out (warned, or blocked by us and still blocked): that schedule stands.
            eb.exists(eb.selectFrom('timers as t').select('t.id').whereRef('t.subjectId', '=', 'u.id').where('t.kind', 'in', allGuestTimerKinds)),
            eb.and([eb('u.blockedDateTime', 'is not', null), eb('u.accountEnabled', '=', 0)]),
          ]),
        ),
      )
      .execute();
    if (guests.length === 0) continue;
    const sponsors = await sponsorsOf(tx, guests);
    await scheduleTimers(tx, guests.map((g) => ({ kind: guestTimerKinds.block, subjectId: g.userId, dueAt: blockDateTime })), now);
    await emitMany(
      tx,
      ctx,
      guests.map((g) => ({
        type: eventTypes.guestToBeBlocked,
        subjectId: g.userId,
        payload: { userId: g.userId, displayName: g.displayName, sponsorIds: sponsors.get(g.userId) ?? [], blockDateTime: blockDateTime.toISOString(), action: settings.externalUserLifecycleAction },
      })),
    );
  }
}

/**
 * A subject's assignment was delivered: a governed guest on the way out (warned, blocked, waiting
 * for deletion) is kept — the lifecycle timers are canceled and, if Portier blocked them, sign-in is
 * enabled again (event `guest.kept`). A guest an administrator disabled by hand stays disabled.
 */
export async function onAssignmentDelivered(tx: Tx, ctx: CommandContext, subjectId: string): Promise<void> {
  const guest = await governedGuest.first(tx, { subjectId });
  if (!guest) return;
  const canceled = await deleteGuestTimers.run(tx, { userId: guest.userId });
  // Blocked by us and still blocked (an administrator may have enabled the account meanwhile).
  const wasBlocked = guest.blockedDateTime !== null && guest.accountEnabled === 0;
  if (guest.blockedDateTime !== null) await tx.updateTable('users').set({ accountEnabled: 1, blockedDateTime: null }).where('id', '=', guest.userId).execute();
  if (canceled === 0 && !wasBlocked) return;
  if (wasBlocked) {
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: 'Enable account',
      operationType: 'Update',
      targets: [{ id: guest.userId, displayName: guest.displayName, type: 'User' }],
      details: { accountEnabled: 'true', reason: 'The governed guest got an access package assignment again.' },
    });
  }
  await writeAudit(tx, ctx, {
    activityDisplayName: 'Keep external user',
    operationType: 'Update',
    targets: [{ id: guest.userId, displayName: guest.displayName, type: 'User' }],
    details: { reason: 'An access package assignment was delivered before the external user lifecycle ended.', unblocked: String(wasBlocked) },
  });
  const sponsors = await sponsorsOf(tx, [guest]);
  await emit(tx, ctx, eventTypes.guestKept, guest.userId, { userId: guest.userId, displayName: guest.displayName, sponsorIds: sponsors.get(guest.userId) ?? [], unblocked: wasBlocked });
}

// Every delivery asks (compiled once: this runs in the delivery of every assignment).
const governedGuest = prepared((db, p: { subjectId: string }) =>
  db
    .selectFrom('subjects as s')
    .innerJoin('users as u', 'u.id', 's.objectId')
    .select(['u.id as userId', 'u.displayName', 'u.blockedDateTime', 'u.accountEnabled', 's.connectedOrganizationId'])
    .where('s.id', '=', p.subjectId)
    .where('s.subjectLifecycle', '=', 'governed')
    .where('u.userType', '=', 'Guest'),
);
const deleteGuestTimers = prepared((db, p: { userId: string }) => db.deleteFrom('timers').where('kind', 'in', allGuestTimerKinds).where('subjectId', '=', p.userId));
