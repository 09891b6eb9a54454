import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Tx } from '../../context';
import type { AssignmentPoliciesTable, CatalogsTable, Database, PolicyRequestorScopesTable } from '../../store/schema';
import { prepared, type PreparedQuery } from '../../store/prepared';
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

/** The scopes that cover everyone of a kind: one requestor-scope row each, with subject ''. */
const everyoneScopes = ['allMemberUsers', 'allDirectoryUsers', 'allConfiguredConnectedOrganizationUsers', 'allExternalUsers'];

/**
 * Who may request for themselves through `policy`, as rows of `policy_requestor_scopes`: the same
 * rule as `selfAddEnabled` and `policyCovers`, in a form SQL can match against a person (see
 * `requestorCovers`). Policies nobody requests through have none.
 */
export function requestorScopeRows(policy: Pick<AssignmentPoliciesTable, 'id' | 'accessPackageId' | 'catalogId' | 'allowedTargetScope' | 'specificAllowedTargets' | 'requestorSettings'>): PolicyRequestorScopesTable[] {
  if (!selfAddEnabled(policy)) return [];
  const rows = new Map<string, PolicyRequestorScopesTable>();
  const add = (kind: string, subjectId: string) => rows.set(`${kind}|${subjectId}`, { policyId: policy.id, accessPackageId: policy.accessPackageId, catalogId: policy.catalogId, kind, subjectId });
  if (everyoneScopes.includes(policy.allowedTargetScope)) add(policy.allowedTargetScope, '');
  for (const t of JSON.parse(policy.specificAllowedTargets) as Target[]) {
    if (policy.allowedTargetScope === 'specificDirectoryUsers' && t['@odata.type'] === '#microsoft.graph.singleUser' && t.userId) add('singleUser', t.userId);
    if (policy.allowedTargetScope === 'specificDirectoryUsers' && t['@odata.type'] === '#microsoft.graph.groupMembers' && t.groupId) add('groupMembers', t.groupId);
    if (policy.allowedTargetScope === 'specificConnectedOrganizationUsers' && t['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' && t.connectedOrganizationId) {
      add('connectedOrganizationMembers', t.connectedOrganizationId);
    }
  }
  return [...rows.values()];
}

/**
 * Keeps `policy_requestor_scopes` true for `policy` (just created or replaced), in the transaction
 * that writes it; a deleted policy's rows go with it (foreign key, on delete cascade). Call it after
 * writing the policy row: that write's lock orders two replacements of one policy (PostgreSQL), so
 * the second one's delete sees the first one's rows.
 */
export async function writeRequestorScopes(tx: Tx, policy: Parameters<typeof requestorScopeRows>[0]): Promise<void> {
  await tx.deleteFrom('policy_requestor_scopes').where('policyId', '=', policy.id).execute();
  const rows = requestorScopeRows(policy);
  if (rows.length > 0) await tx.insertInto('policy_requestor_scopes').values(rows).execute();
}

const ref = (alias: string, column: string) => sql.ref(`${alias}.${column}`);

/**
 * The SQL condition "a policy's requestor-scope row `prs`, in catalog `c`, lets `r` request": the
 * rule of `policyCovers` and `catalogOpenTo` (the self-add test is in which rows exist). The catalog
 * is read live, as are the person's groups and their organization's state.
 */
export function requestorCovers(r: Requester, prs: string, c: string): RawBuilder<unknown> {
  const member = r.kind === 'member';
  const everyone = [
    member && 'allMemberUsers',
    r.kind !== 'external' && 'allDirectoryUsers',
    !member && r.organization?.state === 'configured' && 'allConfiguredConnectedOrganizationUsers',
    !member && 'allExternalUsers',
  ].filter((k): k is string => !!k);
  const kind = ref(prs, 'kind');
  const subject = ref(prs, 'subjectId');
  const parts: RawBuilder<unknown>[] = [sql`(${kind} in (${sql.join(everyone)}) and ${subject} = '')`];
  // Specific directory users: guests and members by object id or through their groups (direct members).
  if (r.kind !== 'external' && r.userId) {
    parts.push(sql`(${kind} = 'singleUser' and ${subject} = ${r.userId})`);
    parts.push(sql`(${kind} = 'groupMembers' and ${subject} in (select ${sql.ref('rgm.groupId')} from ${sql.table('group_members')} as ${sql.ref('rgm')} where ${sql.ref('rgm.memberId')} = ${r.userId}))`);
  }
  if (!member && r.organization) parts.push(sql`(${kind} = 'connectedOrganizationMembers' and ${subject} = ${r.organization.id})`);
  const catalogOpen = member ? sql`${ref(c, 'state')} = 'published'` : sql`${ref(c, 'state')} = 'published' and ${ref(c, 'isExternallyVisible')} = 1`;
  return sql`(${sql.join(parts, sql` or `)}) and ${catalogOpen}`;
}

/**
 * The access packages `r` may request, as a condition on an `access_packages` alias: one probe of
 * the requestor-scope index per package, so a page of packages costs a page of probes.
 */
export function requestablePackages(r: Requester): (alias: string) => RawBuilder<unknown> {
  return (alias) =>
    sql`exists (select 1 from ${sql.table('policy_requestor_scopes')} as ${sql.ref('prs')} join ${sql.table('catalogs')} as ${sql.ref('prc')} on ${sql.ref('prc.id')} = ${sql.ref('prs.catalogId')}
      where ${sql.ref('prs.accessPackageId')} = ${ref(alias, 'id')} and ${requestorCovers(r, 'prs', 'prc')})`;
}

export interface RequestablePolicy extends AssignmentPoliciesTable {
  rank: number;
}

/**
 * The policies of package `accessPackageId` through which `r` may request for themselves, most
 * specific first: one indexed query (the package's requestor-scope rows matched against `r`).
 */
export async function requestablePolicies(db: Db, r: Requester, accessPackageId: string): Promise<RequestablePolicy[]> {
  const rows = await requestablePoliciesQuery(r).all(db, { accessPackageId, userId: r.userId ?? '', organizationId: r.organization?.id ?? '' });
  return rows
    .map((policy) => ({ ...policy, rank: scopeRank[policy.allowedTargetScope] ?? 9 }))
    .sort((a, b) => a.rank - b.rank || a.createdDateTime.localeCompare(b.createdDateTime));
}

type RequestablePoliciesParams = { accessPackageId: string; userId: string; organizationId: string };

/**
 * `requestablePolicies`' query, compiled once per shape of `requestorCovers` — which parts it has
 * depends only on the kind of requester, whether they have a user id and an organization, and that
 * organization's state; their ids are parameters.
 */
function requestablePoliciesQuery(r: Requester): PreparedQuery<RequestablePoliciesParams, AssignmentPoliciesTable> {
  const shape = `${r.kind}|${r.userId ? 1 : 0}|${r.organization ? r.organization.state : '-'}`;
  let query = requestablePoliciesByShape.get(shape);
  if (!query) {
    query = prepared((db, p: RequestablePoliciesParams) => {
      const like: Requester = { ...r, userId: r.userId ? p.userId : null, organization: r.organization ? { ...r.organization, id: p.organizationId } : null };
      return db
        .selectFrom('assignment_policies as p')
        .selectAll('p')
        .where('p.accessPackageId', '=', p.accessPackageId)
        .where((eb) =>
          eb(
            'p.id',
            'in',
            eb
              .selectFrom('policy_requestor_scopes as prs')
              .innerJoin('catalogs as prc', 'prc.id', 'prs.catalogId')
              .select('prs.policyId')
              .where('prs.accessPackageId', '=', p.accessPackageId)
              .where(requestorCovers(like, 'prs', 'prc') as RawBuilder<boolean>),
          ),
        );
    });
    requestablePoliciesByShape.set(shape, query);
  }
  return query;
}

const requestablePoliciesByShape = new Map<string, PreparedQuery<RequestablePoliciesParams, AssignmentPoliciesTable>>();
