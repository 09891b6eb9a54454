import type { Kysely } from 'kysely';
import type { Tx } from '../../context';
import type { AssignmentPoliciesTable, CatalogsTable, Database } from '../../store/schema';
import type { Requester } from './subjects';

type Db = Kysely<Database> | Tx;

/**
 * Which policies let a person request a package, after Graph's `allowedTargetScope`. When several
 * apply, the most specific wins: specific users/groups or specific connected organizations, then all
 * members, then all directory users, then all connected organizations (configured, then any).
 */
export const scopeRank: Readonly<Record<string, number>> = {
  specificDirectoryUsers: 0,
  specificConnectedOrganizationUsers: 0,
  allMemberUsers: 1,
  allDirectoryUsers: 2,
  allConfiguredConnectedOrganizationUsers: 3,
  allExternalUsers: 4,
};

/** The scopes that can ever cover this kind of requester (the SQL pre-filter). */
export function candidateScopes(r: Requester): string[] {
  switch (r.kind) {
    case 'member':
      return ['specificDirectoryUsers', 'allMemberUsers', 'allDirectoryUsers'];
    case 'guest':
      return ['specificDirectoryUsers', 'allDirectoryUsers', 'specificConnectedOrganizationUsers', 'allConfiguredConnectedOrganizationUsers', 'allExternalUsers'];
    case 'external':
      return ['specificConnectedOrganizationUsers', 'allConfiguredConnectedOrganizationUsers', 'allExternalUsers'];
  }
}

type Target = { '@odata.type': string; userId?: string; groupId?: string; connectedOrganizationId?: string };

/** True when `policy`'s target scope covers `r`; `groupIds` are the groups `r` is a member of. */
export function policyCovers(policy: Pick<AssignmentPoliciesTable, 'allowedTargetScope' | 'specificAllowedTargets'>, r: Requester, groupIds: ReadonlySet<string>): boolean {
  const targets = JSON.parse(policy.specificAllowedTargets) as Target[];
  switch (policy.allowedTargetScope) {
    case 'specificDirectoryUsers':
      if (!r.userId) return false;
      return targets.some(
        (t) => (t['@odata.type'] === '#microsoft.graph.singleUser' && t.userId === r.userId) || (t['@odata.type'] === '#microsoft.graph.groupMembers' && !!t.groupId && groupIds.has(t.groupId)),
      );
    case 'specificConnectedOrganizationUsers':
      if (r.kind === 'member' || !r.organization) return false;
      return targets.some((t) => t['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' && t.connectedOrganizationId === r.organization?.id);
    case 'allMemberUsers':
      return r.kind === 'member';
    case 'allDirectoryUsers':
      return r.kind === 'member' || r.kind === 'guest';
    case 'allConfiguredConnectedOrganizationUsers':
      return r.kind !== 'member' && r.organization?.state === 'configured';
    case 'allExternalUsers':
      return r.kind !== 'member';
    default:
      // notSpecified (administrators assign directly), service principals: nobody requests.
      return false;
  }
}

/** Groups `userId` is a direct member of. */
export async function groupsOf(db: Db, userId: string | null): Promise<Set<string>> {
  if (!userId) return new Set();
  const rows = await db.selectFrom('group_members').select('groupId').where('memberId', '=', userId).execute();
  return new Set(rows.map((r) => r.groupId));
}

export function selfAddEnabled(policy: Pick<AssignmentPoliciesTable, 'requestorSettings'>): boolean {
  return (JSON.parse(policy.requestorSettings) as { enableTargetsToSelfAddAccess?: boolean }).enableTargetsToSelfAddAccess === true;
}

/** Whether a catalog takes requests from this requester: published, and visible to externals for guests and partners. */
export function catalogOpenTo(catalog: Pick<CatalogsTable, 'state' | 'isExternallyVisible'>, r: Requester): boolean {
  return catalog.state === 'published' && (r.kind === 'member' || catalog.isExternallyVisible === 1);
}

export interface RequestablePolicy extends AssignmentPoliciesTable {
  rank: number;
}

/**
 * The policies through which `r` may request for themselves, per access package, most specific first.
 * One query for the candidate policies (by scope, in open catalogs), the rest in memory.
 */
export async function requestablePolicies(db: Db, r: Requester, options: { accessPackageId?: string } = {}): Promise<Map<string, RequestablePolicy[]>> {
  let query = db
    .selectFrom('assignment_policies as p')
    .innerJoin('catalogs as c', 'c.id', 'p.catalogId')
    .selectAll('p')
    .select(['c.state as catalogState', 'c.isExternallyVisible as catalogExternal'])
    .where('p.allowedTargetScope', 'in', candidateScopes(r))
    .where('c.state', '=', 'published');
  if (r.kind !== 'member') query = query.where('c.isExternallyVisible', '=', 1);
  if (options.accessPackageId) query = query.where('p.accessPackageId', '=', options.accessPackageId);
  const rows = await query.execute();
  const groups = rows.some((p) => p.allowedTargetScope === 'specificDirectoryUsers') ? await groupsOf(db, r.userId) : new Set<string>();
  const byPackage = new Map<string, RequestablePolicy[]>();
  for (const row of rows) {
    const { catalogState: _s, catalogExternal: _e, ...policy } = row;
    if (!selfAddEnabled(policy) || !policyCovers(policy, r, groups)) continue;
    const list = byPackage.get(policy.accessPackageId) ?? [];
    list.push({ ...policy, rank: scopeRank[policy.allowedTargetScope] ?? 9 });
    byPackage.set(policy.accessPackageId, list);
  }
  for (const list of byPackage.values()) list.sort((a, b) => a.rank - b.rank || a.createdDateTime.localeCompare(b.createdDateTime));
  return byPackage;
}
