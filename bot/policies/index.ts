import { sql } from 'kysely';
import type { Principal } from '../auth/principal';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { catalogScope, catalogScopedRoles, directoryRoles, entitlementRoles } from '../domain/roles';
import type { Scope } from '../graph/odata/engine';

/**
 * Authorization as data, after entitlement management's roles: deny by default, one rule per action.
 * Commands call `authorize` first thing; reads that would reveal an object the caller may not see
 * answer 404 through `requireVisible`.
 */
export type Action =
  | 'directory.read'
  | 'user.write'
  | 'group.create'
  | 'group.membership.write'
  | 'invitation.create'
  | 'audit.read'
  | 'roleAssignment.read'
  | 'roleAssignment.write'
  | 'catalog.create'
  | 'catalog.read'
  | 'catalog.update'
  | 'catalog.delete'
  | 'catalog.resources.write'
  | 'accessPackage.read'
  | 'accessPackage.write'
  | 'connectedOrganization.read'
  | 'connectedOrganization.propose'
  | 'connectedOrganization.write'
  | 'connectedOrganization.configure'
  | 'settings.read'
  | 'settings.write'
  | 'assignment.read'
  | 'assignment.manage';

/** What an action is about: the catalog it happens in, the group whose owners count, … */
export interface Target {
  catalogId?: string;
  groupOwnerIds?: readonly string[];
  /** For role assignments: the scope being granted. */
  appScopeId?: string;
  roleDefinitionId?: string;
  /** For connected organizations: the one acted on (its state, and who created it). */
  organization?: { state: string; createdBy: string | null };
}

export function isAdmin(p: Principal): boolean {
  return p.directoryRoleIds.includes(directoryRoles.identityGovernanceAdministrator) || p.directoryRoleIds.includes(directoryRoles.globalAdministrator);
}

function isUserAdmin(p: Principal): boolean {
  return isAdmin(p) || p.directoryRoleIds.includes(directoryRoles.userAdministrator);
}

function isMember(p: Principal): boolean {
  return p.userType === 'Member';
}

function hasCatalogRole(p: Principal, catalogId: string | undefined, roles: readonly string[]): boolean {
  if (!catalogId) return false;
  const scope = catalogScope(catalogId);
  return p.entitlementRoles.some((r) => r.appScopeId === scope && roles.includes(r.roleDefinitionId));
}

function isCatalogCreator(p: Principal): boolean {
  return p.entitlementRoles.some((r) => r.roleDefinitionId === entitlementRoles.catalogCreator && r.appScopeId === '/');
}

function hasAnyEntitlementRole(p: Principal): boolean {
  return p.entitlementRoles.length > 0;
}

/** Members who write policies (catalog creators, catalog owners, access package managers) may propose partners. */
function mayPropose(p: Principal): boolean {
  return isMember(p) && (isCatalogCreator(p) || p.entitlementRoles.some((r) => r.roleDefinitionId === entitlementRoles.catalogOwner || r.roleDefinitionId === entitlementRoles.accessPackageManager));
}

/** A proposed connected organization is managed by whoever proposed it, as long as it stays proposed. */
function proposedBy(p: Principal, organization: Target['organization']): boolean {
  return organization?.state === 'proposed' && !!organization.createdBy && organization.createdBy.toLowerCase() === p.userPrincipalName.toLowerCase() && mayPropose(p);
}

const { catalogOwner, accessPackageManager, accessPackageAssignmentManager } = entitlementRoles;

const rules: Record<Action, (p: Principal, t: Target) => boolean> = {
  // Members read the directory (Entra's default); guests and partner users only see themselves.
  'directory.read': (p) => isMember(p),
  'user.write': (p) => isUserAdmin(p),
  'group.create': (p) => isMember(p),
  'group.membership.write': (p, t) => isUserAdmin(p) || (isMember(p) && !!p.userId && (t.groupOwnerIds ?? []).includes(p.userId)),
  'invitation.create': (p) => isUserAdmin(p) || hasAnyEntitlementRole(p),
  'audit.read': (p) => isAdmin(p),
  'roleAssignment.read': (p) => isMember(p),
  'roleAssignment.write': (p, t) =>
    isAdmin(p) || (t.roleDefinitionId !== entitlementRoles.catalogCreator && t.appScopeId !== undefined && t.appScopeId !== '/' && hasCatalogRole(p, t.appScopeId.split('/')[2], [catalogOwner])),
  'catalog.create': (p) => isAdmin(p) || isCatalogCreator(p),
  'catalog.read': (p, t) => isAdmin(p) || hasCatalogRole(p, t.catalogId, catalogScopedRoles),
  'catalog.update': (p, t) => isAdmin(p) || hasCatalogRole(p, t.catalogId, [catalogOwner]),
  'catalog.delete': (p, t) => isAdmin(p) || hasCatalogRole(p, t.catalogId, [catalogOwner]),
  // Adding a group or site also needs ownership of it (checked with groupOwnerIds), like Entra.
  'catalog.resources.write': (p, t) => isAdmin(p) || (hasCatalogRole(p, t.catalogId, [catalogOwner]) && (t.groupOwnerIds === undefined || (!!p.userId && t.groupOwnerIds.includes(p.userId)))),
  'accessPackage.read': (p, t) => isAdmin(p) || hasCatalogRole(p, t.catalogId, catalogScopedRoles),
  'accessPackage.write': (p, t) => isAdmin(p) || hasCatalogRole(p, t.catalogId, [catalogOwner, accessPackageManager]),
  // Catalog owners and creators pick connected organizations in policies, so they may read them.
  'connectedOrganization.read': (p) => isAdmin(p) || (isMember(p) && hasAnyEntitlementRole(p)),
  // Connecting a partner: administrators connect it for every policy (`configured`, as in Entra). People
  // who write policies may propose one for their own packages: its sponsors approve and review only for
  // policies that name it (bot/commands/approvals/resolveApprovers.ts), so naming yourself sponsor of a
  // partner gives you no say over other owners' packages; an administrator may configure it later.
  'connectedOrganization.propose': (p) => isAdmin(p) || mayPropose(p),
  'connectedOrganization.write': (p, t) => isAdmin(p) || proposedBy(p, t.organization),
  'connectedOrganization.configure': (p) => isAdmin(p),
  'settings.read': (p) => isMember(p),
  'settings.write': (p) => isAdmin(p),
  // Assignments and requests of a catalog: every catalog role reads them; owners and managers act on them.
  'assignment.read': (p, t) => isAdmin(p) || hasCatalogRole(p, t.catalogId, catalogScopedRoles),
  'assignment.manage': (p, t) => isAdmin(p) || hasCatalogRole(p, t.catalogId, [catalogOwner, accessPackageManager, accessPackageAssignmentManager]),
};

/** Throws `ForbiddenError` unless `principal` may do `action` on `target`. */
export function authorize(principal: Principal, action: Action, target: Target = {}): void {
  if (!rules[action](principal, target)) throw new ForbiddenError();
}

export function can(principal: Principal, action: Action, target: Target = {}): boolean {
  return rules[action](principal, target);
}

/** For reads: an object the caller may not see does not exist for them. */
export function requireVisible(principal: Principal, action: Action, target: Target, what: string): void {
  if (!rules[action](principal, target)) throw new NotFoundError(`${what} not found.`);
}

/** Catalog ids the caller holds a catalog-scoped role in. */
export function catalogsWithRole(p: Principal, roles: readonly string[] = catalogScopedRoles): string[] {
  return p.entitlementRoles.filter((r) => roles.includes(r.roleDefinitionId) && r.appScopeId.startsWith('/AccessPackageCatalog/')).map((r) => r.appScopeId.split('/')[2]);
}

/**
 * A SQL scope for lists: admins see everything, others the rows whose catalog they hold a role in.
 * `column` names the catalog id column of the listed table.
 */
export function catalogListScope(p: Principal, column: string): Scope | undefined {
  if (isAdmin(p)) return undefined;
  const ids = catalogsWithRole(p);
  if (ids.length === 0) return () => sql`1 = 0`;
  return (alias) => sql`${sql.ref(`${alias}.${column}`)} in (${sql.join(ids)})`;
}
