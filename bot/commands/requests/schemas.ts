import { z } from 'zod';
import { entitlementManagementSchedule } from '../policies/schemas';
import { graphObject, guid } from '../../graph/validate';

/**
 * Bodies of `POST /assignmentRequests` and of an approval stage PATCH, after Graph v1.0. One schema
 * for every request type; which `assignment` fields each type needs is checked by its command.
 */
export const requestTypes = ['userAdd', 'userUpdate', 'userRemove', 'adminAdd', 'adminUpdate', 'adminRemove'] as const;
export type RequestType = (typeof requestTypes)[number];

/** `accessPackageSubject` in an `adminAdd` for someone who is not in the directory yet. */
const targetSubject = graphObject('accessPackageSubject', {
  email: z.string().trim().toLowerCase().email('must be an email address').max(320),
  displayName: z.string().trim().min(1).max(256).optional(),
  objectId: guid.optional(),
  subjectType: z.enum(['user']).optional(),
});

const assignmentRef = graphObject('accessPackageAssignment', {
  id: guid.optional(),
  accessPackageId: guid.optional(),
  assignmentPolicyId: guid.optional(),
  targetId: guid.optional(),
  target: targetSubject.optional(),
  schedule: entitlementManagementSchedule.optional(),
});

function withHashedType(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const type = (value as Record<string, unknown>)['@odata.type'];
  if (typeof type === 'string' && type.startsWith('microsoft.graph.')) return { ...value, '@odata.type': `#${type}` };
  return value;
}

/** Answers refer to the policy's question by id; clients may send the whole question back. */
const answeredQuestion = z.looseObject({ id: z.string().min(1).max(64) });

export const answer = z.preprocess(
  withHashedType,
  z.strictObject({
    '@odata.type': z.literal('#microsoft.graph.accessPackageAnswerString'),
    value: z.string().max(4000),
    displayValue: z.string().max(4000).nullable().optional(),
    answeredQuestion,
  }),
);
export type Answer = z.infer<typeof answer>;

export const createAssignmentRequestBody = graphObject('accessPackageAssignmentRequest', {
  requestType: z.enum(requestTypes),
  assignment: assignmentRef,
  justification: z.string().trim().max(4000, 'must be at most 4000 characters').nullable().optional(),
  answers: z.array(answer).max(100).default([]),
  schedule: entitlementManagementSchedule.nullable().optional(),
});
export type CreateAssignmentRequestInput = z.infer<typeof createAssignmentRequestBody>;

/** `PATCH …/accessPackageAssignmentApprovals/{id}/stages/{stageId}`. */
export const decideStageBody = graphObject('approvalStage', {
  reviewResult: z.enum(['Approve', 'Deny']),
  justification: z.string().trim().max(4000, 'must be at most 4000 characters').nullable().optional(),
});
export type DecideStageInput = z.infer<typeof decideStageBody>;
