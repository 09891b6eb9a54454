import type { GraphRouter } from '../../router';

export function registerUsers(router: GraphRouter): void {
  void router;
}
