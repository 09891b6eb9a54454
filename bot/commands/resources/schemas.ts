import { z } from 'zod';
import { description, displayName, graphObject } from '../../graph/validate';

/** The resource of a resource request: the documented accessPackageResource properties, nothing else. */
const requestedResource = graphObject('accessPackageResource', {
  id: z.string().min(1).optional(),
  displayName: displayName.nullable().optional(),
  description: description.nullable().optional(),
  originId: z.string().trim().min(1, 'must not be empty').optional(),
  originSystem: z.enum(['AadGroup', 'SharePointOnline']).optional(),
  // Documented in beta and sent by the Entra portal; accepted and ignored (the origin system is the truth).
  resourceType: z.string().nullable().optional(),
  url: z.string().nullable().optional(),
  attributes: z.array(z.unknown()).max(0, 'attributes are not supported for groups and sites').optional(),
});

/** POST …/entitlementManagement/resourceRequests. */
export const createResourceRequestBody = graphObject('accessPackageResourceRequest', {
  requestType: z.enum(['adminAdd', 'adminRemove']),
  resource: requestedResource,
  catalog: graphObject('accessPackageCatalog', { id: z.string().min(1) }),
});

export type CreateResourceRequestInput = z.infer<typeof createResourceRequestBody>;
export type RequestedResource = CreateResourceRequestInput['resource'];
