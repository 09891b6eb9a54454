import type { Kysely } from 'kysely';
import { NotFoundError } from '../../domain/errors';
import type { ConnectedOrganizationsTable, Database } from '../../store/schema';

/** Reads a connected organization or throws 404. */
export async function loadConnectedOrganization(db: Kysely<Database>, id: string): Promise<ConnectedOrganizationsTable> {
  const org = await db.selectFrom('connected_organizations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!org) throw new NotFoundError(`No connectedOrganization with id '${id}' was found.`);
  return org;
}
