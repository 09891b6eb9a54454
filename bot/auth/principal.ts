import type { Kysely } from 'kysely';
import { UnauthorizedError } from '../domain/errors';
import type { Database } from '../store/schema';

/** Who is calling, resolved from a verified token against our directory. */
export interface Principal {
  /** Directory user id (member or guest); null for a partner user who is not a guest yet. */
  userId: string | null;
  userType: 'Member' | 'Guest' | 'External';
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  /** The tenant the person signed in with, and their object id there. */
  tenantId: string;
  homeObjectId: string;
  directoryRoleIds: readonly string[];
  entitlementRoles: ReadonlyArray<{ roleDefinitionId: string; appScopeId: string }>;
}

/** The facts a verified token gives us, whatever issued it (dev sign-in or Entra ID). */
export interface VerifiedIdentity {
  objectId: string;
  tenantId: string;
  userPrincipalName: string | null;
  displayName: string | null;
  email: string | null;
}

/**
 * Maps a verified identity to a principal: a home-tenant account must be an enabled user of the
 * directory; an account of another tenant is the guest it redeemed (by home object id, then by
 * mail), or an external partner user who is not a guest yet.
 */
export async function resolvePrincipal(db: Kysely<Database>, identity: VerifiedIdentity): Promise<Principal> {
  const home = await db.selectFrom('tenants').select('id').where('isHome', '=', 1).executeTakeFirst();
  const isHomeTenant = home?.id === identity.tenantId;
  const email = (identity.email ?? identity.userPrincipalName ?? '').toLowerCase() || null;
  let user = isHomeTenant
    ? await db.selectFrom('users').selectAll().where('id', '=', identity.objectId).executeTakeFirst()
    : await db
        .selectFrom('users')
        .selectAll()
        .where('homeTenantId', '=', identity.tenantId)
        .where('homeObjectId', '=', identity.objectId)
        .executeTakeFirst();
  if (!user && !isHomeTenant && email) {
    user = await db.selectFrom('users').selectAll().where('mailLower', '=', email).where('userType', '=', 'Guest').executeTakeFirst();
  }
  if (isHomeTenant && !user) throw new UnauthorizedError('The signed-in user is not in this directory.');
  if (user && user.accountEnabled !== 1) throw new UnauthorizedError('The account is disabled.', 'AccountDisabled');
  if (!user) {
    return {
      userId: null,
      userType: 'External',
      displayName: identity.displayName ?? email ?? identity.objectId,
      userPrincipalName: identity.userPrincipalName ?? email ?? identity.objectId,
      mail: email,
      tenantId: identity.tenantId,
      homeObjectId: identity.objectId,
      directoryRoleIds: [],
      entitlementRoles: [],
    };
  }
  const assignments = await db.selectFrom('role_assignments').select(['provider', 'roleDefinitionId', 'appScopeId']).where('principalId', '=', user.id).execute();
  return {
    userId: user.id,
    userType: user.userType,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    mail: user.mail,
    tenantId: identity.tenantId,
    homeObjectId: identity.objectId,
    directoryRoleIds: assignments.filter((a) => a.provider === 'directory').map((a) => a.roleDefinitionId),
    entitlementRoles: assignments.filter((a) => a.provider === 'entitlementManagement').map((a) => ({ roleDefinitionId: a.roleDefinitionId, appScopeId: a.appScopeId })),
  };
}
