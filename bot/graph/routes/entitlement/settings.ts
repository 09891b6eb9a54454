import type { GraphRouter } from '../../router';

export function registerSettings(router: GraphRouter): void {
  void router;
}
