import type { GraphRouter } from '../../router';

export function registerGroups(router: GraphRouter): void {
  void router;
}
