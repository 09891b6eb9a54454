import type { GraphRouter } from '../../router';

export function registerOrganization(router: GraphRouter): void {
  void router;
}
