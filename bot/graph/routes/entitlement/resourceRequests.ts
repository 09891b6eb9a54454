import type { GraphRouter } from '../../router';

export function registerResourceRequests(router: GraphRouter): void {
  void router;
}
