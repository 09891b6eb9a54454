/** Every verb a Portier card can send (`Action.Execute`), in one place: cards and the handler table share them. */
export const verbs = {
  approve: 'approval.approve',
  deny: 'approval.deny',
  refreshApproval: 'approval.refresh',
  extend: 'assignment.extend',
  leave: 'assignment.leave',
  cancelRequest: 'request.cancel',
  refreshRequest: 'request.refresh',
  openPackage: 'package.open',
  submitRequest: 'request.submit',
  listPackages: 'packages.list',
  reviewApprove: 'review.approve',
  reviewDeny: 'review.deny',
  reviewDontKnow: 'review.dontKnow',
  reviewPage: 'review.page',
} as const;

export type Verb = (typeof verbs)[keyof typeof verbs];
