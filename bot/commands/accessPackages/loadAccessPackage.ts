import type { Kysely } from 'kysely';
import type { Principal } from '../../auth/principal';
import { NotFoundError } from '../../domain/errors';
import { authorize, requireVisible } from '../../policies';
import type { AccessPackagesTable, Database } from '../../store/schema';

/**
 * Reads an access package the caller may see, or throws 404: a package in a catalog where the
 * caller holds no role does not exist for them.
 */
export async function loadAccessPackage(db: Kysely<Database>, principal: Principal, id: string): Promise<AccessPackagesTable> {
  const row = await db.selectFrom('access_packages').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`No accessPackage with id '${id}' was found.`);
  requireVisible(principal, 'accessPackage.read', { catalogId: row.catalogId }, `Access package '${id}'`);
  return row;
}

/** Like `loadAccessPackage`, and also refuses (403) a caller who may see the package but not change it. */
export async function loadAccessPackageForWrite(db: Kysely<Database>, principal: Principal, id: string): Promise<AccessPackagesTable> {
  const row = await loadAccessPackage(db, principal, id);
  authorize(principal, 'accessPackage.write', { catalogId: row.catalogId });
  return row;
}

/** States of an assignment that still grants (or is about to grant) access. */
export const inactiveAssignmentStates = ['expired', 'removed'] as const;

/** True when the package has an assignment that is not over yet; such packages keep their shape. */
export async function hasActiveAssignments(db: Kysely<Database>, accessPackageId: string): Promise<boolean> {
  const row = await db
    .selectFrom('assignments')
    .select('id')
    .where('accessPackageId', '=', accessPackageId)
    .where('state', 'not in', [...inactiveAssignmentStates])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
