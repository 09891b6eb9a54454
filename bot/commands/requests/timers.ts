import { systemContext, type EngineDeps } from '../../context';
import type { TimerHandler } from '../../jobs/runner';
import { processRequest } from '../approvals/requestFlow';
import { processRequestTimer } from './submitAddRequest';

/** Processing of a submitted request, right after its commit (or after a restart, if the process died first). */
export function requestTimers(deps: EngineDeps): Record<string, TimerHandler> {
  return {
    [processRequestTimer]: async (timer, { tx }) => processRequest(tx, systemContext(deps, timer.id, tx), timer.subjectId),
  };
}
