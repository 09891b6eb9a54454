import type { GraphRouter } from '../../router';

export function registerAccessPackages(router: GraphRouter): void {
  void router;
}
