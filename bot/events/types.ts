/**
 * The events Portier's entitlement engine emits for the bot (and any other consumer). Each is
 * written to the outbox in the transaction of the change it reports (bot/jobs/outbox.ts), so it
 * exists exactly when the change does, and each consumer handles it once (JobRunner).
 *
 * `subjectId` is the object the event is about; payloads carry ids and the few values a notice
 * shows (names, dates, reasons), never secrets. The list is documented in docs/EVENTS.md.
 */
export const eventTypes = {
  /** A request was accepted for processing. subjectId: request. payload: requestId, accessPackageId, targetId, requestorId, requestType. */
  requestSubmitted: 'assignmentRequest.submitted',
  /** An approval stage started. subjectId: request. payload: requestId, stageId, stageIndex, approverIds, dueDateTime. */
  stageStarted: 'approval.stageStarted',
  /** Escalation approvers were added to a stage. subjectId: request. payload: requestId, stageId, approverIds (the added ones), dueDateTime. */
  stageEscalated: 'approval.escalated',
  /** Approvers of a stage are reminded. subjectId: request. payload: requestId, stageId, approverIds, dueDateTime. */
  approvalReminder: 'approval.reminder',
  /** A stage was decided (every approver's card updates). subjectId: request. payload: requestId, stageId, reviewResult, reviewedById, approverIds. */
  stageDecided: 'approval.decided',
  /** A request was denied (by an approver, or because nobody could approve). subjectId: request. payload: requestId, targetId, reason, catalogOwnerIds? */
  requestDenied: 'assignmentRequest.denied',
  /** Nobody decided in time: the request ended with status Expired. subjectId: request. payload: requestId, targetId. */
  requestExpired: 'assignmentRequest.expired',
  /** The requestor (or an administrator) canceled a request. subjectId: request. payload: requestId, targetId. */
  requestCanceled: 'assignmentRequest.canceled',
  /** Every resource role was granted. subjectId: assignment. payload: assignmentId, requestId, targetId, endDateTime. */
  assignmentDelivered: 'assignment.delivered',
  /** A resource role could not be granted; retried. subjectId: assignment. payload: assignmentId, requestId, targetId, error, nextAttemptDateTime. */
  deliveryFailed: 'assignment.deliveryFailed',
  /** An assignment ends soon (14 days / 1 day before, scaled). subjectId: assignment. payload: assignmentId, targetId, endDateTime, canExtend. */
  assignmentExpiringSoon: 'assignment.expiringSoon',
  /** An assignment reached its end. subjectId: assignment. payload: assignmentId, targetId. */
  assignmentExpired: 'assignment.expired',
  /** An assignment was removed (request, review decision, incompatibility). subjectId: assignment. payload: assignmentId, targetId, reason. */
  assignmentRemoved: 'assignment.removed',
  /** An assignment was extended. subjectId: assignment. payload: assignmentId, targetId, endDateTime. */
  assignmentExtended: 'assignment.extended',
  /** An access review instance started. subjectId: instance. payload: definitionId, instanceId, reviewerIds, endDateTime. */
  reviewStarted: 'accessReview.started',
  /** An access review instance ended and its decisions were applied. subjectId: instance. payload: definitionId, instanceId, removed (count). */
  reviewCompleted: 'accessReview.completed',
  /** A governed guest lost their last assignment and will be blocked. subjectId: user. payload: userId, sponsorIds, blockDateTime. */
  guestToBeBlocked: 'guest.toBeBlocked',
  /** A governed guest was blocked. subjectId: user. payload: userId, sponsorIds, deleteDateTime? */
  guestBlocked: 'guest.blocked',
  /** A blocked governed guest will be deleted. subjectId: user. payload: userId, sponsorIds, deleteDateTime. */
  guestToBeDeleted: 'guest.toBeDeleted',
  /** A governed guest was deleted. subjectId: user. payload: userId, displayName, sponsorIds. */
  guestDeleted: 'guest.deleted',
  /** A governed guest got access again in time and is kept (unblocked if needed). subjectId: user. payload: userId. */
  guestKept: 'guest.kept',
  /** A timer failed for good (a permanent error, or too many attempts) and was given up; its item ended failed. subjectId: the timer's subject. payload: kind, subjectId, error, attempts. */
  timerFailed: 'timer.failed',
} as const;

export type EventType = (typeof eventTypes)[keyof typeof eventTypes];

export const allEventTypes: readonly EventType[] = Object.values(eventTypes);
