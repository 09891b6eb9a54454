import { CommandContext, inTransaction, newId } from '../../context';
import { ConflictError, ValidationError } from '../../domain/errors';
import { authorize, requireVisible } from '../../policies';
import type { ResourceRequestsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { loadCatalog } from '../catalogs/loadCatalog';
import { resolveResourceOrigin } from './resolveResourceOrigin';
import type { RequestedResource } from './schemas';

/**
 * `adminAdd`: onboards a group or SharePoint site into a catalog with the roles and root scope it
 * offers. Like Entra, a catalog owner must also own the resource (administrators need not).
 * Returns the delivered resource request.
 */
export async function addResourceToCatalog(ctx: CommandContext, catalogId: string, resource: RequestedResource): Promise<ResourceRequestsTable> {
  const { originId, originSystem } = resource;
  if (originSystem === undefined) throw new ValidationError("Property 'resource.originSystem' is required to add a resource.", 'resource.originSystem');
  if (originId === undefined) throw new ValidationError("Property 'resource.originId' is required to add a resource.", 'resource.originId');
  requireVisible(ctx.principal, 'catalog.read', { catalogId }, 'Catalog');
  return inTransaction(ctx, async (tx) => {
    const catalog = await loadCatalog(tx, catalogId);
    const origin = await resolveResourceOrigin(tx, originSystem, originId);
    authorize(ctx.principal, 'catalog.resources.write', { catalogId, groupOwnerIds: origin.ownerIds });

    const now = ctx.clock.now().toISOString();
    const resourceId = newId();
    // The unique index on (catalogId, originSystem, originId) settles concurrent adds: the loser inserts nothing.
    const inserted = await tx
      .insertInto('resources')
      .values({
        id: resourceId,
        catalogId,
        displayName: origin.displayName,
        description: origin.description,
        originId: origin.originId,
        originSystem: origin.originSystem,
        attributes: '[]',
        createdDateTime: now,
        modifiedDateTime: now,
      })
      .onConflict((oc) => oc.columns(['catalogId', 'originSystem', 'originId']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new ConflictError(`The resource '${origin.displayName}' (${origin.originId}) is already in catalog '${catalog.displayName}'.`, 'ResourceAlreadyOnboarded');
    }
    if (origin.roles.length > 0) {
      await tx
        .insertInto('resource_roles')
        .values(origin.roles.map((r) => ({ id: newId(), resourceId, catalogId, displayName: r.displayName, description: r.description, originId: r.originId, originSystem: origin.originSystem })))
        .execute();
    }
    await tx
      .insertInto('resource_scopes')
      .values({
        id: newId(),
        resourceId,
        catalogId,
        displayName: origin.rootScope.displayName,
        description: origin.rootScope.description,
        originId: origin.rootScope.originId,
        originSystem: origin.originSystem,
        isRootScope: 1,
      })
      .execute();
    const request: ResourceRequestsTable = { id: newId(), catalogId, resourceId, requestType: 'adminAdd', state: 'delivered', createdDateTime: now, requestorId: ctx.principal.userId };
    await tx.insertInto('resource_requests').values(request).execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Add resource to catalog',
      operationType: 'Add',
      targets: [
        { id: resourceId, displayName: origin.displayName, type: 'AccessPackageResource' },
        { id: catalogId, displayName: catalog.displayName, type: 'AccessPackageCatalog' },
      ],
      details: { originSystem: origin.originSystem, originId: origin.originId },
    });
    return request;
  });
}
