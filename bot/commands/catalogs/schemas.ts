import { z } from 'zod';
import { description, displayName, graphObject } from '../../graph/validate';

const catalogFields = {
  displayName,
  description: description.nullable().optional(),
  state: z.enum(['published', 'unpublished']).optional(),
  isExternallyVisible: z.boolean().optional(),
};

/** POST …/catalogs. Only user-managed catalogs can be created, like in Entra. */
export const createCatalogBody = graphObject('accessPackageCatalog', { ...catalogFields, catalogType: z.enum(['userManaged']).optional() });
/** PATCH …/catalogs/{id}. */
export const updateCatalogBody = graphObject('accessPackageCatalog', { ...catalogFields, displayName: displayName.optional() });

export type CreateCatalogInput = z.infer<typeof createCatalogBody>;
export type UpdateCatalogInput = z.infer<typeof updateCatalogBody>;
