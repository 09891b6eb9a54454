import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, GroupsTable, UsersTable } from '../../bot/store/schema';

/**
 * Fills the directory with `users` members and `groups` security groups, every user a member of
 * `membershipsPerUser` groups (round robin), written straight into the store: the hostile-query tests
 * need directory sizes that would take minutes to build through the API.
 */
export async function bulkDirectory(db: Kysely<Database>, options: { users: number; groups: number; membershipsPerUser: number; prefix?: string }): Promise<{ userIds: string[]; groupIds: string[] }> {
  const prefix = options.prefix ?? 'bulk';
  const now = new Date().toISOString();
  const users: UsersTable[] = Array.from({ length: options.users }, (_, i) => ({
    id: randomUUID(),
    displayName: `${prefix} user ${i}`,
    givenName: null,
    surname: null,
    mail: `${prefix}.user${i}@contoso.test`,
    mailLower: `${prefix}.user${i}@contoso.test`,
    userPrincipalName: `${prefix}.user${i}@contoso.test`,
    userType: 'Member',
    accountEnabled: 1,
    jobTitle: null,
    department: `Department ${i % 17}`,
    companyName: null,
    creationType: null,
    externalUserState: null,
    externalUserStateChangeDateTime: null,
    createdDateTime: now,
    managerId: null,
    homeTenantId: null,
    homeObjectId: null,
    usageLocation: null,
    lastSignInDateTime: null,
    blockedDateTime: null,
  }));
  const groups: GroupsTable[] = Array.from({ length: options.groups }, (_, i) => ({
    id: randomUUID(),
    displayName: `${prefix} group ${i}`,
    description: null,
    mail: null,
    mailNickname: `${prefix}group${i}`,
    mailEnabled: 0,
    securityEnabled: 1,
    groupTypes: '[]',
    visibility: null,
    resourceProvisioningOptions: '[]',
    createdDateTime: now,
  }));
  const members = users.flatMap((u, i) => Array.from({ length: Math.min(options.membershipsPerUser, groups.length) }, (_, k) => ({ groupId: groups[(i + k) % groups.length].id, memberId: u.id })));
  for (let i = 0; i < users.length; i += 500) await db.insertInto('users').values(users.slice(i, i + 500)).execute();
  for (let i = 0; i < groups.length; i += 500) await db.insertInto('groups').values(groups.slice(i, i + 500)).execute();
  for (let i = 0; i < members.length; i += 1000) await db.insertInto('group_members').values(members.slice(i, i + 1000)).execute();
  return { userIds: users.map((u) => u.id), groupIds: groups.map((g) => g.id) };
}
