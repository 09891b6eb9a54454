import type { Kysely } from 'kysely';
import type { Principal } from '../../auth/principal';
import { ForbiddenError, NotFoundError } from '../../domain/errors';
import { can } from '../../policies';
import type { ConnectedOrganizationsTable, Database } from '../../store/schema';

/** Reads a connected organization or throws 404. */
export async function loadConnectedOrganization(db: Kysely<Database>, id: string): Promise<ConnectedOrganizationsTable> {
  const org = await db.selectFrom('connected_organizations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!org) throw new NotFoundError(`No connectedOrganization with id '${id}' was found.`);
  return org;
}

/** Throws 403, saying who may, unless `principal` may change `org` (bot/policies: administrators, or its proposer while proposed). */
export function authorizeOrganizationChange(principal: Principal, org: ConnectedOrganizationsTable): void {
  if (!can(principal, 'connectedOrganization.write', { organization: org })) {
    throw new ForbiddenError(`Only an Identity Governance Administrator, or whoever proposed it while it is proposed, can change connected organization '${org.displayName}'.`);
  }
}
