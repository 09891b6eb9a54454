import { systemContext, type EngineDeps } from '../../context';
import type { TimerAbandonHandler, TimerHandler } from '../../jobs/runner';
import { deliverAssignmentTimer } from '../assignments/endAssignment';
import { abandonDelivery, deliverAssignment } from './deliverAssignment';

export function deliveryTimers(deps: EngineDeps): Record<string, TimerHandler> {
  return {
    [deliverAssignmentTimer]: async (timer, { tx }) => deliverAssignment(tx, systemContext(deps, timer.id, tx), timer.subjectId),
  };
}

/** How a delivery ends when its timer fails for good. */
export function deliveryAbandonHandlers(deps: EngineDeps): Record<string, TimerAbandonHandler> {
  return {
    [deliverAssignmentTimer]: async (timer, reason, { tx }) => abandonDelivery(tx, systemContext(deps, timer.id, tx), timer.subjectId, reason),
  };
}
