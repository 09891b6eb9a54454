import type { Kysely } from 'kysely';
import { NotFoundError } from '../../domain/errors';
import type { Database } from '../../store/schema';

/** A role or scope a resource offers, before it gets an id in a catalog. */
export interface OriginItem {
  originId: string;
  displayName: string;
  description: string | null;
}

/** What entitlement management learns from a group or site when it is added to a catalog. */
export interface ResourceOrigin {
  originSystem: 'AadGroup' | 'SharePointOnline';
  /** The canonical origin id (group id, or the site's webUrl as stored). */
  originId: string;
  displayName: string;
  description: string | null;
  /** People who own the resource; for a site, the owners of its group (none when it has no group). */
  ownerIds: string[];
  roles: OriginItem[];
  rootScope: OriginItem;
}

/**
 * Looks a group or SharePoint site up in the directory and describes the roles and root scope it
 * offers, the way Entra onboards them: a group offers Member and Owner, a site its SharePoint
 * groups. Throws `NotFoundError` when there is no such group or site.
 */
export async function resolveResourceOrigin(db: Kysely<Database>, originSystem: 'AadGroup' | 'SharePointOnline', originId: string): Promise<ResourceOrigin> {
  if (originSystem === 'AadGroup') {
    const group = await db.selectFrom('groups').select(['id', 'displayName', 'description']).where('id', '=', originId).executeTakeFirst();
    if (!group) throw new NotFoundError(`No group with id '${originId}' was found (resource.originId).`);
    const owners = await db.selectFrom('group_owners').select('ownerId').where('groupId', '=', group.id).execute();
    return {
      originSystem,
      originId: group.id,
      displayName: group.displayName,
      description: group.description,
      ownerIds: owners.map((o) => o.ownerId),
      roles: [
        { originId: `Member_${group.id}`, displayName: 'Member', description: null },
        { originId: `Owner_${group.id}`, displayName: 'Owner', description: null },
      ],
      rootScope: { originId: group.id, displayName: 'Root', description: 'Root Scope' },
    };
  }
  // Site URLs are compared without a trailing slash; people paste both forms.
  const url = originId.replace(/\/+$/, '');
  const site = await db
    .selectFrom('sites')
    .select(['id', 'groupId', 'displayName', 'description', 'webUrl'])
    .where((eb) => eb.or([eb('webUrl', '=', url), eb('webUrl', '=', `${url}/`)]))
    .executeTakeFirst();
  if (!site) throw new NotFoundError(`No SharePoint site with URL '${originId}' was found (resource.originId).`);
  const siteGroups = await db.selectFrom('site_groups').select(['id', 'displayName', 'description']).where('siteId', '=', site.id).orderBy('id').execute();
  const owners = site.groupId ? await db.selectFrom('group_owners').select('ownerId').where('groupId', '=', site.groupId).execute() : [];
  return {
    originSystem,
    originId: site.webUrl,
    displayName: site.displayName,
    description: site.description,
    ownerIds: owners.map((o) => o.ownerId),
    roles: siteGroups.map((g) => ({ originId: g.id, displayName: g.displayName, description: g.description })),
    rootScope: { originId: site.webUrl, displayName: 'Root', description: 'Root Scope' },
  };
}
