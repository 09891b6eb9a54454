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
 * Whether the sponsors of connected organization `organizationId` decide for requests under policy
 * `policyId`: always when the organization is `configured` (an administrator connected it); while it
 * is only `proposed` (by a policy writer, or by a partner's first request), only for a policy that
 * names it among its requestors — whoever wrote that policy chose to trust it. So proposing a partner
 * with yourself as sponsor gives no say over other owners' packages (bot/policies). `state` is the
 * organization's, read with its sponsors (null: there is no such organization).
 */
async function sponsorsDecide(tx: Tx, organizationId: string, state: string | null, policyId: string | null): Promise<boolean> {
  if (state === null) return false;
  if (state === 'configured') return true;
  if (!policyId) return false;
  const policy = await policyTargets.first(tx, { id: policyId });
  if (policy?.allowedTargetScope !== 'specificConnectedOrganizationUsers') return false;
  const targets = JSON.parse(policy.specificAllowedTargets) as Array<{ '@odata.type'?: string; connectedOrganizationId?: string }>;
  return targets.some((t) => t['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' && t.connectedOrganizationId === organizationId);
}

/**
 * Resolves approvers (or reviewers) to enabled directory users for one target: specific users, group
 * members, the target's manager (level 1 or 2), the internal or external sponsors of the target's
 * connected organization (users, and the members of sponsoring groups; a proposed organization's only
 * for a policy that names it, see `sponsorsDecide`), the target user's own sponsors. `policyId` is the
 * policy the request or review is under. `exclude` (the requestor) is never among them. An empty
 * result means nobody: the caller falls back, and fails closed after that.
 */
export async function resolveSubjectSets(
  tx: Tx,
  sets: readonly SubjectSetRef[],
  target: Pick<SubjectsTable, 'objectId' | 'connectedOrganizationId'>,
  exclude: readonly (string | null)[],
  policyId: string | null,
): Promise<string[]> {
  const ids = new Set<string>();
  let sponsorsCount: Promise<boolean> | undefined;
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
          const organizationId = target.connectedOrganizationId;
          const kind = set['@odata.type'] === '#microsoft.graph.internalSponsors' ? 'internal' : 'external';
          // The organization's sponsoring users, and the members of its sponsoring groups, each row with
          // the organization's state (null: no such organization): one query. No rows, nobody to decide.
          const rows = await organizationSponsors.all(tx, { organizationId, kind });
          if (rows.length > 0 && (await (sponsorsCount ??= sponsorsDecide(tx, organizationId, rows[0].organizationState, policyId)))) for (const r of rows) ids.add(r.sponsorId);
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

// Every stage start with sponsors as approvers asks these (compiled once).
const policyTargets = prepared((db, p: { id: string }) => db.selectFrom('assignment_policies').select(['allowedTargetScope', 'specificAllowedTargets']).where('id', '=', p.id));
const groupMembers = prepared((db, p: { groupId: string }) => db.selectFrom('group_members').select('memberId').where('groupId', '=', p.groupId));
const managerOf = prepared((db, p: { id: string }) => db.selectFrom('users').select('managerId').where('id', '=', p.id));
const organizationSponsors = prepared((db, p: { organizationId: string; kind: 'internal' | 'external' }) => {
  const state = () => db.selectFrom('connected_organizations as o').select('o.state').where('o.id', '=', p.organizationId).as('organizationState');
  return db
    .selectFrom('connected_organization_sponsors')
    .select(['sponsorId', state()])
    .where('connectedOrganizationId', '=', p.organizationId)
    .where('kind', '=', p.kind)
    .unionAll(
      db
        .selectFrom('connected_organization_group_sponsors as s')
        .innerJoin('group_members as m', 'm.groupId', 's.groupId')
        .select(['m.memberId as sponsorId', state()])
        .where('s.connectedOrganizationId', '=', p.organizationId)
        .where('s.kind', '=', p.kind),
    );
});
const userSponsors = prepared((db, p: { userId: string }) => db.selectFrom('user_sponsors').select('sponsorId').where('userId', '=', p.userId));
const enabledUser = prepared((db, p: { id: string }) => db.selectFrom('users').select('id').where('id', '=', p.id).where('accountEnabled', '=', 1));

/** Primary sets, or the fallback ones when the primary resolve to nobody. */
export async function resolveWithFallback(
  tx: Tx,
  primary: readonly SubjectSetRef[],
  fallback: readonly SubjectSetRef[],
  target: Pick<SubjectsTable, 'objectId' | 'connectedOrganizationId'>,
  exclude: readonly (string | null)[],
  policyId: string | null,
): Promise<{ ids: string[]; usedFallback: boolean }> {
  const ids = await resolveSubjectSets(tx, primary, target, exclude, policyId);
  if (ids.length > 0) return { ids, usedFallback: false };
  return { ids: await resolveSubjectSets(tx, fallback, target, exclude, policyId), usedFallback: true };
}
