import { z } from 'zod';
import { graphObject } from '../../graph/validate';

/** PATCH …/entitlementManagement/subjects(objectId='…'): only the lifecycle can change. */
export const updateSubjectBody = graphObject('accessPackageSubject', {
  subjectLifecycle: z.enum(['governed', 'notGoverned']),
});

export type UpdateSubjectInput = z.infer<typeof updateSubjectBody>;
