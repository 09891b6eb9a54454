import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Principal } from '../../auth/principal';
import { NotFoundError } from '../../domain/errors';
import { catalogScope, catalogScopedRoles } from '../../domain/roles';
import type { Scope } from '../../graph/odata/engine';
import { can, catalogsWithRole, isAdmin } from '../../policies';
import type { Database } from '../../store/schema';
import { missingObject } from './loadDirectory';

/**
 * Who may *see* which directory objects. Members read the whole directory (Entra's default); guests
 * see themselves and the groups they belong to. What cannot be seen answers 404, never 403.
 */

/** 404 unless the caller may read user `userId`. */
export function requireUserVisible(p: Principal, userId: string, asked: string): void {
  if (can(p, 'directory.read') || p.userId === userId) return;
  throw missingObject(asked);
}

/** Groups the caller may read: all for members, their own groups for guests. */
export function groupReadScope(p: Principal): Scope | undefined {
  if (can(p, 'directory.read')) return undefined;
  if (!p.userId) return () => sql`1 = 0`;
  const me = p.userId;
  return (alias) => sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref('gm.groupId')} from ${sql.table('group_members')} as ${sql.ref('gm')} where ${sql.ref('gm.memberId')} = ${me})`;
}

/** Sites the caller may read: all for members, the sites of their groups for guests. */
export function siteReadScope(p: Principal): Scope | undefined {
  if (can(p, 'directory.read')) return undefined;
  if (!p.userId) return () => sql`1 = 0`;
  const me = p.userId;
  return (alias) => sql`${sql.ref(`${alias}.groupId`)} in (select ${sql.ref('gm.groupId')} from ${sql.table('group_members')} as ${sql.ref('gm')} where ${sql.ref('gm.memberId')} = ${me})`;
}

/** 404 unless the caller may read group `groupId` (checked against the database for guests). */
export async function requireGroupVisible(db: Kysely<Database>, p: Principal, groupId: string): Promise<void> {
  if (can(p, 'directory.read')) return;
  const member = p.userId
    ? await db.selectFrom('group_members').select('groupId').where('groupId', '=', groupId).where('memberId', '=', p.userId).executeTakeFirst()
    : undefined;
  if (!member) throw missingObject(groupId);
}

/**
 * Entitlement-management role assignments the caller may read: administrators all; other members
 * those in catalogs where they hold a role, and their own.
 */
export function roleAssignmentReadScope(p: Principal): Scope | undefined {
  if (isAdmin(p)) return undefined;
  const scopes = catalogsWithRole(p, catalogScopedRoles).map(catalogScope);
  const me = p.userId ?? '';
  return (alias) =>
    scopes.length > 0
      ? sql`(${sql.ref(`${alias}.principalId`)} = ${me} or ${sql.ref(`${alias}.appScopeId`)} in (${sql.join(scopes)}))`
      : sql`${sql.ref(`${alias}.principalId`)} = ${me}`;
}

/** The same rule as `roleAssignmentReadScope`, for one loaded assignment. */
export function requireRoleAssignmentVisible(p: Principal, assignment: { id: string; principalId: string; appScopeId: string }): void {
  if (isAdmin(p) || assignment.principalId === p.userId) return;
  if (catalogsWithRole(p, catalogScopedRoles).some((id) => assignment.appScopeId === catalogScope(id))) return;
  throw new NotFoundError(`No unifiedRoleAssignment with id '${assignment.id}' was found.`);
}
