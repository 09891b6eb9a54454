import { systemContext, type EngineDeps } from '../../context';
import type { TimerHandler } from '../../jobs/runner';
import { blockGuest } from './blockGuest';
import { deleteGuest } from './deleteGuest';
import { guestTimerKinds } from './guests';
import { warnGuestDeletion } from './warnGuestDeletion';

/**
 * Timer kinds of the external user lifecycle, each acting as the system in the transaction that
 * completes its timer: block sign-in after the warning, warn before deletion, delete.
 */
export function guestTimers(deps: EngineDeps): Record<string, TimerHandler> {
  return {
    [guestTimerKinds.block]: (timer, { tx }) => blockGuest(tx, systemContext(deps, timer.id, tx), timer.subjectId),
    [guestTimerKinds.warnDelete]: (timer, { tx }) =>
      warnGuestDeletion(tx, systemContext(deps, timer.id, tx), timer.subjectId, typeof timer.data.deleteDateTime === 'string' ? timer.data.deleteDateTime : null),
    [guestTimerKinds.delete]: (timer, { tx }) => deleteGuest(tx, systemContext(deps, timer.id, tx), timer.subjectId),
  };
}
