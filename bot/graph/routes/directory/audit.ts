import type { GraphRouter } from '../../router';

export function registerAudit(router: GraphRouter): void {
  void router;
}
