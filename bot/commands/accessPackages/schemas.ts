import { z } from 'zod';
import { description, displayName, graphObject } from '../../graph/validate';

const catalogRef = graphObject('accessPackageCatalog', { id: z.string().min(1) });

/** POST …/accessPackages. */
export const createAccessPackageBody = graphObject('accessPackage', {
  displayName,
  description: description.nullable().optional(),
  isHidden: z.boolean().optional(),
  catalog: catalogRef,
});

/** PATCH …/accessPackages/{id}. `catalog` is accepted only to say clearly that a package cannot move. */
export const updateAccessPackageBody = graphObject('accessPackage', {
  displayName: displayName.optional(),
  description: description.nullable().optional(),
  isHidden: z.boolean().optional(),
  catalog: catalogRef.optional(),
});

const originSystem = z.enum(['AadGroup', 'SharePointOnline', 'AadApplication']);

const resourceRef = graphObject('accessPackageResource', {
  id: z.string().min(1).optional(),
  originId: z.string().min(1).optional(),
  originSystem: originSystem.optional(),
  displayName: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
});

/** POST …/accessPackages/{id}/resourceRoleScopes: a role and a scope of a resource of the package's catalog. */
export const createResourceRoleScopeBody = graphObject('accessPackageResourceRoleScope', {
  role: graphObject('accessPackageResourceRole', {
    id: z.string().min(1).optional(),
    originId: z.string().min(1).optional(),
    originSystem: originSystem.optional(),
    displayName: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    resource: resourceRef.optional(),
  }),
  scope: graphObject('accessPackageResourceScope', {
    id: z.string().min(1).optional(),
    originId: z.string().min(1).optional(),
    originSystem: originSystem.optional(),
    isRootScope: z.boolean().optional(),
    displayName: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    resource: resourceRef.optional(),
  }),
});

export type CreateAccessPackageInput = z.infer<typeof createAccessPackageBody>;
export type UpdateAccessPackageInput = z.infer<typeof updateAccessPackageBody>;
export type CreateResourceRoleScopeInput = z.infer<typeof createResourceRoleScopeBody>;
