import type { MyAccessKey } from './strings';

/**
 * How a request's or assignment's state is shown: a label key and a badge colour. Pure.
 * Graph's `state` values (accessPackageRequestState, accessPackageAssignmentState).
 */
export type BadgeColor = 'brand' | 'success' | 'danger' | 'warning' | 'informative' | 'subtle';

const requestStates: Record<string, { key: MyAccessKey; color: BadgeColor; final: boolean }> = {
  submitted: { key: 'state_submitted', color: 'informative', final: false },
  pendingApproval: { key: 'state_pendingApproval', color: 'warning', final: false },
  accepted: { key: 'state_accepted', color: 'brand', final: false },
  delivering: { key: 'state_delivering', color: 'brand', final: false },
  scheduled: { key: 'state_scheduled', color: 'informative', final: false },
  delivered: { key: 'state_delivered', color: 'success', final: true },
  partiallyDelivered: { key: 'state_partiallyDelivered', color: 'warning', final: true },
  deliveryFailed: { key: 'state_deliveryFailed', color: 'danger', final: true },
  denied: { key: 'state_denied', color: 'danger', final: true },
  canceled: { key: 'state_canceled', color: 'subtle', final: true },
  expired: { key: 'state_expired', color: 'subtle', final: true },
};

export function requestState(state: string): { key: MyAccessKey; color: BadgeColor; final: boolean } {
  return requestStates[state] ?? { key: 'state_other', color: 'informative', final: false };
}

/** Graph lets the requestor cancel a request only while nothing has been decided or delivered. */
export function isCancellable(state: string): boolean {
  return state === 'submitted' || state === 'pendingApproval' || state === 'scheduled';
}
