import { systemContext, type EngineDeps } from '../../context';
import type { TimerHandler } from '../../jobs/runner';
import { deliverAssignmentTimer } from '../assignments/endAssignment';
import { deliverAssignment } from './deliverAssignment';

export function deliveryTimers(deps: EngineDeps): Record<string, TimerHandler> {
  return {
    [deliverAssignmentTimer]: async (timer, { tx }) => deliverAssignment(tx, systemContext(deps, timer.id, tx), timer.subjectId),
  };
}
