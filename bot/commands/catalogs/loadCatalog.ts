import type { Kysely } from 'kysely';
import { NotFoundError } from '../../domain/errors';
import type { CatalogsTable, Database } from '../../store/schema';

/** Reads a catalog or throws 404. */
export async function loadCatalog(db: Kysely<Database>, id: string): Promise<CatalogsTable> {
  const catalog = await db.selectFrom('catalogs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!catalog) throw catalogNotFound(id);
  return catalog;
}

export function catalogNotFound(id: string): NotFoundError {
  return new NotFoundError(`No accessPackageCatalog with id '${id}' was found.`);
}
