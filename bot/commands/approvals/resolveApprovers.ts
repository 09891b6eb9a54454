import type { Tx } from '../../context';
import { prepared } from '../../store/prepared';
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
        if (set.groupId) for (const m of await groupMembers.all(tx, { groupId: set.groupId })) ids.add(m.memberId);
        break;
      case '#microsoft.graph.requestorManager': {
        let current = target.objectId;
        for (let level = 0; level < (set.managerLevel ?? 1) && current; level++) {
          const row = await managerOf.first(tx, { id: current });
          current = row?.managerId ?? null;
        }
        if (current && current !== target.objectId) ids.add(current);
        break;
      }
      case '#microsoft.graph.internalSponsors':
      case '#microsoft.graph.externalSponsors':
        if (target.connectedOrganizationId) {
          const kind = set['@odata.type'] === '#microsoft.graph.internalSponsors' ? 'internal' : 'external';
          // The organization's sponsoring users, and the members of its sponsoring groups: one query.
          for (const r of await organizationSponsors.all(tx, { organizationId: target.connectedOrganizationId, kind })) ids.add(r.sponsorId);
        }
        break;
      case '#microsoft.graph.targetUserSponsors':
        if (target.objectId) for (const r of await userSponsors.all(tx, { userId: target.objectId })) ids.add(r.sponsorId);
        break;
      default:
        break;
    }
  }
  for (const id of exclude) if (id) ids.delete(id);
  if (ids.size === 0) return [];
  // Only people who can act: existing, enabled accounts.
  const wanted = [...ids];
  // One approver (a sponsor, a manager) is the common case: a query compiled once; more vary in count.
  const enabled = wanted.length === 1 ? await enabledUser.all(tx, { id: wanted[0] }) : await tx.selectFrom('users').select('id').where('id', 'in', wanted).where('accountEnabled', '=', 1).execute();
  return enabled.map((u) => u.id).sort();
}

const groupMembers = prepared((db, p: { groupId: string }) => db.selectFrom('group_members').select('memberId').where('groupId', '=', p.groupId));
const managerOf = prepared((db, p: { id: string }) => db.selectFrom('users').select('managerId').where('id', '=', p.id));
const organizationSponsors = prepared((db, p: { organizationId: string; kind: 'internal' | 'external' }) =>
  db
    .selectFrom('connected_organization_sponsors')
    .select('sponsorId')
    .where('connectedOrganizationId', '=', p.organizationId)
    .where('kind', '=', p.kind)
    .unionAll(
      db
        .selectFrom('connected_organization_group_sponsors as s')
        .innerJoin('group_members as m', 'm.groupId', 's.groupId')
        .select('m.memberId as sponsorId')
        .where('s.connectedOrganizationId', '=', p.organizationId)
        .where('s.kind', '=', p.kind),
    ),
);
const userSponsors = prepared((db, p: { userId: string }) => db.selectFrom('user_sponsors').select('sponsorId').where('userId', '=', p.userId));
const enabledUser = prepared((db, p: { id: string }) => db.selectFrom('users').select('id').where('id', '=', p.id).where('accountEnabled', '=', 1));

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
