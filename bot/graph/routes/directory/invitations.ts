import type { GraphRouter } from '../../router';

export function registerInvitations(router: GraphRouter): void {
  void router;
}
