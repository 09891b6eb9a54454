import type { Tx } from '../../context';
import type { SubjectsTable } from '../../store/schema';

/** A `subjectSet` as stored in policies (approvers, reviewers). */
export interface SubjectSetRef {
  '@odata.type': string;
  userId?: string;
  groupId?: string;
  managerLevel?: number;
}

/**
 * Resolves approvers (or reviewers) to enabled directory users for one target: specific users, group
 * members, the target's manager (level 1 or 2), the internal or external sponsors of the target's
 * connected organization (users, and the members of sponsoring groups), the target user's own sponsors. `exclude` (the requestor) is never among
 * them. An empty result means nobody: the caller falls back, and fails closed after that.
 */
export async function resolveSubjectSets(tx: Tx, sets: readonly SubjectSetRef[], target: Pick<SubjectsTable, 'objectId' | 'connectedOrganizationId'>, exclude: readonly (string | null)[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const set of sets) {
    switch (set['@odata.type']) {
      case '#microsoft.graph.singleUser':
        if (set.userId) ids.add(set.userId);
        break;
      case '#microsoft.graph.groupMembers':
        if (set.groupId) for (const m of await tx.selectFrom('group_members').select('memberId').where('groupId', '=', set.groupId).execute()) ids.add(m.memberId);
        break;
      case '#microsoft.graph.requestorManager': {
        let current = target.objectId;
        for (let level = 0; level < (set.managerLevel ?? 1) && current; level++) {
          const row = await tx.selectFrom('users').select('managerId').where('id', '=', current).executeTakeFirst();
          current = row?.managerId ?? null;
        }
        if (current && current !== target.objectId) ids.add(current);
        break;
      }
      case '#microsoft.graph.internalSponsors':
      case '#microsoft.graph.externalSponsors':
        if (target.connectedOrganizationId) {
          const kind = set['@odata.type'] === '#microsoft.graph.internalSponsors' ? 'internal' : 'external';
          const rows = await tx.selectFrom('connected_organization_sponsors').select('sponsorId').where('connectedOrganizationId', '=', target.connectedOrganizationId).where('kind', '=', kind).execute();
          for (const r of rows) ids.add(r.sponsorId);
          // A sponsoring group sponsors through its members.
          const members = await tx
            .selectFrom('connected_organization_group_sponsors as s')
            .innerJoin('group_members as m', 'm.groupId', 's.groupId')
            .select('m.memberId')
            .where('s.connectedOrganizationId', '=', target.connectedOrganizationId)
            .where('s.kind', '=', kind)
            .execute();
          for (const m of members) ids.add(m.memberId);
        }
        break;
      case '#microsoft.graph.targetUserSponsors':
        if (target.objectId) for (const r of await tx.selectFrom('user_sponsors').select('sponsorId').where('userId', '=', target.objectId).execute()) ids.add(r.sponsorId);
        break;
      default:
        break;
    }
  }
  for (const id of exclude) if (id) ids.delete(id);
  if (ids.size === 0) return [];
  // Only people who can act: existing, enabled accounts.
  const enabled = await tx.selectFrom('users').select('id').where('id', 'in', [...ids]).where('accountEnabled', '=', 1).execute();
  return enabled.map((u) => u.id).sort();
}

/** Primary sets, or the fallback ones when the primary resolve to nobody. */
export async function resolveWithFallback(
  tx: Tx,
  primary: readonly SubjectSetRef[],
  fallback: readonly SubjectSetRef[],
  target: Pick<SubjectsTable, 'objectId' | 'connectedOrganizationId'>,
  exclude: readonly (string | null)[],
): Promise<{ ids: string[]; usedFallback: boolean }> {
  const ids = await resolveSubjectSets(tx, primary, target, exclude);
  if (ids.length > 0) return { ids, usedFallback: false };
  return { ids: await resolveSubjectSets(tx, fallback, target, exclude), usedFallback: true };
}
