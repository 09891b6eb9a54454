import type { GraphRouter } from '../../router';

export function registerAssignmentPolicies(router: GraphRouter): void {
  void router;
}
