import { z } from 'zod';
import { graphObject } from '../../graph/validate';

/**
 * `PATCH …/accessReviews/definitions/{id}/instances/{id}/decisions/{id}`: a reviewer's decision,
 * after Graph v1.0 (`NotReviewed` takes a decision back while the review runs).
 */
export const recordDecisionBody = graphObject('accessReviewInstanceDecisionItem', {
  decision: z.enum(['Approve', 'Deny', 'DontKnow', 'NotReviewed']),
  justification: z.string().trim().max(4000, 'must be at most 4000 characters').nullable().optional(),
});

export type RecordDecisionInput = z.infer<typeof recordDecisionBody>;
