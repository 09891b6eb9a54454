import type { Kysely } from 'kysely';
import { CommandContext, inTransaction, newId } from '../../context';
import { ConflictError, ValidationError } from '../../domain/errors';
import type { Database, ResourceRoleScopesTable, ResourceRolesTable, ResourceScopesTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { loadAccessPackageForWrite } from './loadAccessPackage';
import type { CreateResourceRoleScopeInput } from './schemas';

type RoleInput = CreateResourceRoleScopeInput['role'];
type ScopeInput = CreateResourceRoleScopeInput['scope'];
type ResourceInput = NonNullable<RoleInput['resource']>;

/**
 * Adds a role of a catalog resource, at one of its scopes, to an access package. Role and scope are
 * found among the resources of the package's own catalog, by id or by origin; anything else is
 * refused, because a package may only hand out what its catalog holds.
 */
export async function addResourceRoleScope(ctx: CommandContext, accessPackageId: string, input: CreateResourceRoleScopeInput): Promise<ResourceRoleScopesTable> {
  return inTransaction(ctx, async (tx) => {
    const pkg = await loadAccessPackageForWrite(tx, ctx.principal, accessPackageId);
    const role = await findRole(tx, pkg.catalogId, input.role);
    const scope = await findScope(tx, pkg.catalogId, role, input.scope);
    const row: ResourceRoleScopesTable = { id: newId(), accessPackageId, roleId: role.id, scopeId: scope.id, createdDateTime: ctx.clock.now().toISOString() };
    // The unique index (accessPackageId, roleId, scopeId) settles duplicates, concurrent ones included.
    const inserted = await tx
      .insertInto('resource_role_scopes')
      .values(row)
      .onConflict((oc) => oc.columns(['accessPackageId', 'roleId', 'scopeId']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new ConflictError(`Access package '${pkg.displayName}' already has role '${role.displayName}' at scope '${scope.displayName}'.`, 'Conflict');
    }
    await tx.updateTable('access_packages').set({ modifiedDateTime: row.createdDateTime }).where('id', '=', accessPackageId).execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Add resource role to access package',
      operationType: 'Add',
      targets: [
        { id: accessPackageId, displayName: pkg.displayName, type: 'AccessPackage' },
        { id: role.id, displayName: role.displayName, type: 'AccessPackageResourceRole' },
      ],
      details: { roleOriginId: role.originId, scopeOriginId: scope.originId, originSystem: role.originSystem },
    });
    return row;
  });
}

async function findResourceId(db: Kysely<Database>, catalogId: string, resource: ResourceInput, field: string): Promise<string> {
  if (resource.id === undefined && resource.originId === undefined) {
    throw new ValidationError(`Property '${field}.id' or '${field}.originId' is required.`, `${field}.id`);
  }
  let query = db.selectFrom('resources').select('id').where('catalogId', '=', catalogId);
  if (resource.id !== undefined) query = query.where('id', '=', resource.id);
  if (resource.originId !== undefined) query = query.where('originId', '=', resource.originId);
  if (resource.originSystem !== undefined) query = query.where('originSystem', '=', resource.originSystem);
  const found = await query.execute();
  if (found.length !== 1) throw new ValidationError(`The resource given in '${field}' is not in the access package's catalog; add it to the catalog first.`, field);
  return found[0].id;
}

async function findRole(db: Kysely<Database>, catalogId: string, input: RoleInput): Promise<ResourceRolesTable> {
  let query = db.selectFrom('resource_roles').selectAll().where('catalogId', '=', catalogId);
  if (input.id !== undefined) {
    query = query.where('id', '=', input.id);
  } else {
    if (input.originId === undefined) throw new ValidationError("Property 'role.id' or 'role.originId' is required.", 'role.originId');
    query = query.where('originId', '=', input.originId);
  }
  if (input.originSystem !== undefined) query = query.where('originSystem', '=', input.originSystem);
  if (input.resource !== undefined) query = query.where('resourceId', '=', await findResourceId(db, catalogId, input.resource, 'role.resource'));
  const found = await query.execute();
  if (found.length === 0) throw new ValidationError("The role given in 'role' is not a role of a resource in the access package's catalog.", 'role');
  // Site roles share origin ids ("3", "4", "5") across sites: the resource must say which one.
  if (found.length > 1) throw new ValidationError("Several roles of the catalog match 'role'; identify it by 'role.id' or 'role.resource'.", 'role.resource');
  return found[0];
}

async function findScope(db: Kysely<Database>, catalogId: string, role: ResourceRolesTable, input: ScopeInput): Promise<ResourceScopesTable> {
  let query = db.selectFrom('resource_scopes').selectAll().where('catalogId', '=', catalogId);
  if (input.id !== undefined) {
    query = query.where('id', '=', input.id);
  } else {
    if (input.originId === undefined) throw new ValidationError("Property 'scope.id' or 'scope.originId' is required.", 'scope.originId');
    query = query.where('originId', '=', input.originId).where('resourceId', '=', role.resourceId);
  }
  if (input.originSystem !== undefined) query = query.where('originSystem', '=', input.originSystem);
  const scope = await query.executeTakeFirst();
  if (!scope) throw new ValidationError("The scope given in 'scope' is not a scope of the role's resource in the access package's catalog.", 'scope');
  if (scope.resourceId !== role.resourceId) throw new ValidationError("The scope given in 'scope' belongs to another resource than the role.", 'scope');
  return scope;
}
