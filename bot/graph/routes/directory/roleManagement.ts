import type { GraphRouter } from '../../router';

export function registerRoleManagement(router: GraphRouter): void {
  void router;
}
