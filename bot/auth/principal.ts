import type { Kysely } from 'kysely';
import { UnauthorizedError } from '../domain/errors';
import { prepared } from '../store/prepared';
import type { Database, RoleAssignmentsTable, UsersTable } from '../store/schema';

/** Who is calling, resolved from a verified token against our directory. */
export interface Principal {
  /** Directory user id (member or guest); null for a partner user who is not a guest yet. */
  userId: string | null;
  /** `System`: Portier itself (timers, processing); never passes an authorization rule. */
  userType: 'Member' | 'Guest' | 'External' | 'System';
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  /**
   * The person's home tenant and their object id there: the tenant they signed in with, except for a guest
   * signed in to this tenant (Entra's `idp` names their home), whose bound home account is used.
   */
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
 * directory; an account of another tenant is the guest it redeemed (bound by home tenant and
 * object id), or an external partner user who is not a guest yet. An invited guest who signs in
 * for the first time redeems the invitation here — but only when the mail domain belongs to the
 * tenant that signed them in, so nobody takes over a guest by claiming its address elsewhere.
 */
export async function resolvePrincipal(db: Kysely<Database>, identity: VerifiedIdentity, now: Date = new Date(), homeTenantId?: string, options: { signIn?: boolean } = {}): Promise<Principal> {
  const isHomeTenant = (homeTenantId ?? (await readHomeTenantId(db))) === identity.tenantId;
  const email = (identity.email ?? identity.userPrincipalName ?? '').toLowerCase() || null;
  // The usual case takes one query: the user with their role assignments.
  const found = await loadUserWithRoles(db, isHomeTenant ? { id: identity.objectId } : { tenantId: identity.tenantId, objectId: identity.objectId });
  let user = found?.user;
  let assignments = found?.roles;
  if (!user && !isHomeTenant && email) {
    const invited = await invitedGuest.first(db, { email });
    if (invited && (await domainBelongsToTenant(db, email, identity.tenantId))) {
      await db
        .updateTable('users')
        .set({ homeTenantId: identity.tenantId, homeObjectId: identity.objectId })
        .where('id', '=', invited.id)
        .where('homeTenantId', 'is', null)
        .execute();
      user = await db.selectFrom('users').selectAll().where('id', '=', invited.id).where('homeTenantId', '=', identity.tenantId).where('homeObjectId', '=', identity.objectId).executeTakeFirst();
    }
  }
  if (user && user.userType === 'Guest' && user.externalUserState === 'PendingAcceptance') {
    // First sign-in with the home account: the invitation is redeemed.
    await db
      .updateTable('users')
      .set({ externalUserState: 'Accepted', externalUserStateChangeDateTime: now.toISOString() })
      .where('id', '=', user.id)
      .where('externalUserState', '=', 'PendingAcceptance')
      .execute();
  }
  if (isHomeTenant && !user) throw new UnauthorizedError('The signed-in user is not in this directory.');
  if (user && user.accountEnabled !== 1) throw new UnauthorizedError('The account is disabled.', 'AccountDisabled');
  if (user && options.signIn !== false) await recordSignIn(db, user, now);
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
  assignments ??= await db.selectFrom('role_assignments').select(['provider', 'roleDefinitionId', 'appScopeId']).where('principalId', '=', user.id).execute();
  return {
    userId: user.id,
    userType: user.userType,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    mail: user.mail,
    tenantId: user.userType === 'Guest' && user.homeTenantId ? user.homeTenantId : identity.tenantId,
    homeObjectId: user.userType === 'Guest' && user.homeObjectId ? user.homeObjectId : identity.objectId,
    directoryRoleIds: assignments.filter((a) => a.provider === 'directory').map((a) => a.roleDefinitionId),
    entitlementRoles: assignments.filter((a) => a.provider === 'entitlementManagement').map((a) => ({ roleDefinitionId: a.roleDefinitionId, appScopeId: a.appScopeId })),
  };
}

/** Sign-ins are recorded to the hour: enough for review recommendations (30 days), and rarely a write. */
const signInPrecisionMs = 3600 * 1000;

/**
 * Recent activity for access review recommendations (users.lastSignInDateTime): the user row is
 * already loaded, so nothing is queried unless the stored value is over an hour old, and then one
 * conditional UPDATE (a concurrent request of the same user finds it done and writes nothing).
 */
async function recordSignIn(db: Kysely<Database>, user: Pick<UsersTable, 'id' | 'lastSignInDateTime'>, now: Date): Promise<void> {
  const staleBefore = new Date(now.getTime() - signInPrecisionMs).toISOString();
  if (user.lastSignInDateTime && user.lastSignInDateTime > staleBefore) return;
  await db
    .updateTable('users')
    .set({ lastSignInDateTime: now.toISOString() })
    .where('id', '=', user.id)
    .where((eb) => eb.or([eb('lastSignInDateTime', 'is', null), eb('lastSignInDateTime', '<=', staleBefore)]))
    .execute();
}

type RoleRow = Pick<RoleAssignmentsTable, 'provider' | 'roleDefinitionId' | 'appScopeId'>;

/** A user matching every column of `match`, with their role assignments, in one query. */
async function loadUserWithRoles(db: Kysely<Database>, match: { id: string } | { tenantId: string; objectId: string }): Promise<{ user: UsersTable; roles: RoleRow[] } | undefined> {
  const rows = 'id' in match ? await userWithRolesById.all(db, match) : await userWithRolesByHome.all(db, match);
  if (rows.length === 0) return undefined;
  const { roleProvider: _p, roleDefinitionId: _d, roleAppScopeId: _a, ...user } = rows[0];
  const roles = rows.flatMap((r) => (r.roleProvider && r.roleDefinitionId && r.roleAppScopeId ? [{ provider: r.roleProvider, roleDefinitionId: r.roleDefinitionId, appScopeId: r.roleAppScopeId }] : []));
  return { user: user as UsersTable, roles };
}

const userWithRoles = (db: Kysely<Database>) =>
  db
    .selectFrom('users as u')
    .leftJoin('role_assignments as r', 'r.principalId', 'u.id')
    .selectAll('u')
    .select(['r.provider as roleProvider', 'r.roleDefinitionId as roleDefinitionId', 'r.appScopeId as roleAppScopeId']);
const userWithRolesById = prepared((db, p: { id: string }) => userWithRoles(db).where('u.id', '=', p.id));
const userWithRolesByHome = prepared((db, p: { tenantId: string; objectId: string }) => userWithRoles(db).where('u.homeTenantId', '=', p.tenantId).where('u.homeObjectId', '=', p.objectId));
/** A guest invited by address who has not signed in yet (no home account bound). */
const invitedGuest = prepared((db, p: { email: string }) => db.selectFrom('users').selectAll().where('mailLower', '=', p.email).where('userType', '=', 'Guest').where('homeTenantId', 'is', null));

/** True when `email`'s domain is a domain of `tenantId`: a known partner tenant, or a connected organization naming both. */
async function domainBelongsToTenant(db: Kysely<Database>, email: string, tenantId: string): Promise<boolean> {
  const domain = email.split('@')[1];
  if (!domain) return false;
  const tenant = await db.selectFrom('tenants').select('domains').where('id', '=', tenantId).executeTakeFirst();
  if (tenant && (JSON.parse(tenant.domains) as string[]).some((d) => d.toLowerCase() === domain)) return true;
  const organization = await db
    .selectFrom('connected_organization_sources as t')
    .innerJoin('connected_organization_sources as d', 'd.connectedOrganizationId', 't.connectedOrganizationId')
    .select('t.connectedOrganizationId')
    .where('t.kind', '=', 'tenant')
    .where('t.value', '=', tenantId.toLowerCase())
    .where('d.kind', '=', 'domain')
    .where('d.value', '=', domain)
    .executeTakeFirst();
  return organization !== undefined;
}

/** The id of the tenant this directory is; undefined before the directory is seeded. */
export async function readHomeTenantId(db: Kysely<Database>): Promise<string | undefined> {
  return (await db.selectFrom('tenants').select('id').where('isHome', '=', 1).executeTakeFirst())?.id;
}

/**
 * A resolver for one server: the home tenant never changes once set, so it is read once, which
 * saves a query on every request.
 */
export function principalResolver(db: Kysely<Database>): (identity: VerifiedIdentity, now: Date) => Promise<Principal> {
  let homeTenantId: string | undefined;
  return async (identity, now) => {
    homeTenantId ??= await readHomeTenantId(db);
    return resolvePrincipal(db, identity, now, homeTenantId);
  };
}
