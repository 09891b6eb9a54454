import { CommandContext, inTransaction, newId } from '../../context';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { authorize, requireVisible } from '../../policies';
import type { ResourceRequestsTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { loadCatalog } from '../catalogs/loadCatalog';
import type { RequestedResource } from './schemas';

/**
 * `adminRemove`: takes a resource out of a catalog, identified by its id or by its origin. Refused
 * while an access package of the catalog still hands out one of its roles, since removing it would
 * silently change what those packages grant.
 */
export async function removeResourceFromCatalog(ctx: CommandContext, catalogId: string, resource: RequestedResource): Promise<ResourceRequestsTable> {
  if (resource.id === undefined && resource.originId === undefined) {
    throw new ValidationError("Property 'resource.id' (or 'resource.originId') is required to remove a resource.", 'resource.id');
  }
  requireVisible(ctx.principal, 'catalog.read', { catalogId }, 'Catalog');
  authorize(ctx.principal, 'catalog.resources.write', { catalogId });
  return inTransaction(ctx, async (tx) => {
    const catalog = await loadCatalog(tx, catalogId);
    let query = tx.selectFrom('resources').select(['id', 'displayName', 'originId', 'originSystem']).where('catalogId', '=', catalogId);
    if (resource.id !== undefined) query = query.where('id', '=', resource.id);
    if (resource.originId !== undefined) query = query.where('originId', '=', resource.originId);
    if (resource.originSystem !== undefined) query = query.where('originSystem', '=', resource.originSystem);
    const found = await query.execute();
    if (found.length === 0) throw new NotFoundError(`Catalog '${catalog.displayName}' has no such resource.`);
    if (found.length > 1) throw new ValidationError("Several resources match; identify the resource by 'resource.id' or add 'resource.originSystem'.", 'resource.id');
    const target = found[0];

    const inUse = await tx
      .selectFrom('resource_role_scopes as rrs')
      .innerJoin('access_packages as ap', 'ap.id', 'rrs.accessPackageId')
      .select('ap.displayName')
      .where((eb) =>
        eb.or([
          eb('rrs.roleId', 'in', eb.selectFrom('resource_roles').select('id').where('resourceId', '=', target.id)),
          eb('rrs.scopeId', 'in', eb.selectFrom('resource_scopes').select('id').where('resourceId', '=', target.id)),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    if (inUse) {
      throw new ConflictError(`The resource '${target.displayName}' is used by access package '${inUse.displayName}'; remove its roles from the access packages first.`, 'ResourceInUse');
    }

    const now = ctx.clock.now().toISOString();
    const request: ResourceRequestsTable = { id: newId(), catalogId, resourceId: target.id, requestType: 'adminRemove', state: 'delivered', createdDateTime: now, requestorId: ctx.principal.userId };
    await tx.insertInto('resource_requests').values(request).execute();
    // Roles and scopes go with the resource (ON DELETE CASCADE); the request row keeps the history.
    await tx.deleteFrom('resources').where('id', '=', target.id).execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Remove resource from catalog',
      operationType: 'Delete',
      targets: [
        { id: target.id, displayName: target.displayName, type: 'AccessPackageResource' },
        { id: catalogId, displayName: catalog.displayName, type: 'AccessPackageCatalog' },
      ],
      details: { originSystem: target.originSystem, originId: target.originId },
    });
    return request;
  });
}
