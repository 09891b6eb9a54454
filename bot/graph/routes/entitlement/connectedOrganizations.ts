import type { GraphRouter } from '../../router';

export function registerConnectedOrganizations(router: GraphRouter): void {
  void router;
}
