import type { Kysely } from 'kysely';
import type { Dialect } from '../../store/db';
import { NotFoundError, ValidationError } from '../../domain/errors';
import type { Database, GroupsTable, UsersTable } from '../../store/schema';

type Db = Kysely<Database>;

/** The organization Portier's directory is, with its verified domains (the first is the default). */
export interface HomeTenant {
  id: string;
  displayName: string;
  domains: string[];
}

export async function loadHomeTenant(db: Db): Promise<HomeTenant> {
  const row = await db.selectFrom('tenants').selectAll().where('isHome', '=', 1).executeTakeFirst();
  if (!row) throw new NotFoundError('The organization has not been set up yet.');
  return { id: row.id, displayName: row.displayName, domains: (JSON.parse(row.domains) as string[]).map((d) => d.toLowerCase()) };
}

/** Graph's answer for a missing directory object, word for word. */
export function missingObject(idOrName: string): NotFoundError {
  return new NotFoundError(`Resource '${idOrName}' does not exist or one of its queried reference-property objects are not present.`, 'Request_ResourceNotFound');
}

/** A user by id or by userPrincipalName (case-insensitive, like Graph), or null. */
export async function findUser(db: Db, idOrUpn: string): Promise<UsersTable | null> {
  const query = db.selectFrom('users').selectAll();
  const user = idOrUpn.includes('@')
    ? await query.where((eb) => eb(eb.fn('lower', ['userPrincipalName']), '=', idOrUpn.toLowerCase())).executeTakeFirst()
    : await query.where('id', '=', idOrUpn).executeTakeFirst();
  return user ?? null;
}

/** A user by id or userPrincipalName; 404 when there is none. */
export async function loadUser(db: Db, idOrUpn: string): Promise<UsersTable> {
  const user = await findUser(db, idOrUpn);
  if (!user) throw missingObject(idOrUpn);
  return user;
}

/**
 * A group, or 404. With `lock` on PostgreSQL the row stays locked until the transaction ends, so
 * that two concurrent owner removals cannot both see "one owner left" (SQLite serializes writers).
 */
export async function loadGroup(db: Db, id: string, lock?: { dialect: Dialect }): Promise<GroupsTable> {
  let query = db.selectFrom('groups').selectAll().where('id', '=', id);
  if (lock?.dialect === 'postgres') query = query.forUpdate();
  const group = await query.executeTakeFirst();
  if (!group) throw missingObject(id);
  return group;
}

export async function groupOwnerIds(db: Db, groupId: string): Promise<string[]> {
  return (await db.selectFrom('group_owners').select('ownerId').where('groupId', '=', groupId).execute()).map((r) => r.ownerId);
}

/**
 * The id a Graph URL of a directory object points at (`…/users/{id}`, `…/directoryObjects/{id}`),
 * as used by `@odata.bind` and `$ref` bodies. `field` names the property in the error.
 */
export function userIdFromUrl(url: string, field: string): string {
  const match = /\/(?:users|directoryObjects)\/([^/?#()']+)\/?$|\/(?:users|directoryObjects)\('([^']+)'\)$/i.exec(url.trim());
  const id = match?.[1] ?? match?.[2];
  if (!id) throw new ValidationError(`'${field}' must hold URLs like https://graph.microsoft.com/v1.0/users/{id}; '${url}' is not one.`, field);
  return decodeURIComponent(id);
}

/** True for a unique or primary key violation, on SQLite and PostgreSQL: the database settled a race. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
