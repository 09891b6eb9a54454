/** Which link of a group a `$ref` call changes. */
export type GroupRelation = 'members' | 'owners';

/** Where each link is stored, and how audit records name it. */
export const groupRelations = {
  members: { table: 'group_members', column: 'memberId', noun: 'member' },
  owners: { table: 'group_owners', column: 'ownerId', noun: 'owner' },
} as const;
