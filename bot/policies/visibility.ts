import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Principal } from '../auth/principal';
import type { Tx } from '../context';
import { catalogScope, catalogScopedRoles } from '../domain/roles';
import type { Database } from '../store/schema';
import { type Cardinality, type Scope, type Visibility, ref, table } from '../graph/odata/engine';
import { requestablePackages } from '../commands/requests/applicablePolicies';
import { type Requester, requesterOfPrincipal, subjectOfPrincipal } from '../commands/requests/subjects';
import { can, catalogsWithRole, isAdmin } from './index';

/**
 * Read visibility, in one place: per entity type, the SQL condition on its rows that the caller may
 * read. Every read uses it — the root of a Graph read, every `$expand` level (the OData engine asks
 * for it), and commands that must answer "not found" for what the caller may not see (`isReadable`).
 * What the caller may not read does not exist for them: it is left out of lists and expansions, and
 * a read or write by id answers 404, exactly like an unknown id.
 *
 * The engine says whether it reads one object (by id, or a single-valued navigation) or a
 * collection; today every rule is the same for both, so what an expansion shows is exactly what the
 * caller could read by id.
 */

type Db = Kysely<Database> | Tx;
type Condition = RawBuilder<unknown>;

export interface ReadContext {
  db: Db;
  principal: Principal;
}

const none: Scope = () => sql`1 = 0`;

/** `a or b or …`; absent parts are skipped, nothing left is `none`. */
function anyOf(...scopes: Array<Scope | null | undefined | false | ''>): Scope {
  const parts = scopes.filter((s): s is Scope => !!s);
  if (parts.length === 0) return none;
  return (alias) => sql`(${sql.join(
    parts.map((p) => sql`(${p(alias)})`),
    sql` or `,
  )})`;
}

const col = (alias: string, column: string): Condition => ref(`${alias}.${column}`);

function inCatalogs(column: string, catalogIds: readonly string[]): Scope | null {
  if (catalogIds.length === 0) return null;
  return (alias) => sql`${col(alias, column)} in (${sql.join([...catalogIds])})`;
}

/** Per-request facts the scopes need, each loaded at most once and only when a scope needs it. */
class Facts {
  private subject?: Promise<string | null>;
  private requester?: Promise<Requester | null>;
  constructor(private readonly ctx: ReadContext) {}

  /** The caller's accessPackageSubject id (requests and assignments are theirs through it). */
  subjectId(): Promise<string | null> {
    this.subject ??= subjectOfPrincipal(this.ctx.db, this.ctx.principal).then((s) => s?.id ?? null);
    return this.subject;
  }

  /**
   * Packages a policy lets the caller request (the direct link works for them, hidden or not), as a
   * SQL scope: the policies' requestor scopes matched in the query, per package it looks at.
   */
  async requestablePackages(): Promise<Scope | null> {
    this.requester ??= this.ctx.principal.userType === 'System' ? Promise.resolve(null) : requesterOfPrincipal(this.ctx.db, this.ctx.principal);
    const requester = await this.requester;
    return requester && requestablePackages(requester);
  }
}

/**
 * Requests the caller is (or was) asked to approve. Two forms of one rule: where the outer query reads
 * rows by id (`one`: a read by id, a single-valued expansion) a correlated probe of the approver index
 * per row — the `in` form would first collect every request the caller ever approved (a sponsor of
 * 10,000 requests: ~1.4 ms per read on SQLite); where it reads a collection, the `in` form, which lets
 * an `or` of scopes still use each term's index.
 */
function approverRequests(userId: string | null, cardinality: Cardinality = 'many'): Scope | null {
  if (!userId) return null;
  if (cardinality === 'one') {
    return (alias) => sql`exists (select 1 from ${table('approval_stage_approvers')} as ${ref('ap')} where ${ref('ap.userId')} = ${userId} and ${ref('ap.requestId')} = ${col(alias, 'id')})`;
  }
  return (alias) => sql`${col(alias, 'id')} in (select ${ref('ap.requestId')} from ${table('approval_stage_approvers')} as ${ref('ap')} where ${ref('ap.userId')} = ${userId})`;
}

type ScopeRule = (p: Principal, facts: Facts, cardinality: Cardinality) => Promise<Scope | undefined> | Scope | undefined;

/** Directory users: members read the directory; guests themselves, their sponsors and manager, and the people of their groups. */
const userScope: ScopeRule = (p) => {
  if (can(p, 'directory.read')) return undefined;
  const me = p.userId;
  if (!me) return none;
  return (alias) => sql`(${col(alias, 'id')} = ${me}
    or ${col(alias, 'id')} in (select ${ref('us.sponsorId')} from ${table('user_sponsors')} as ${ref('us')} where ${ref('us.userId')} = ${me})
    or ${col(alias, 'id')} in (select ${ref('um.managerId')} from ${table('users')} as ${ref('um')} where ${ref('um.id')} = ${me})
    or ${col(alias, 'id')} in (select ${ref('gm2.memberId')} from ${table('group_members')} as ${ref('gm1')} join ${table('group_members')} as ${ref('gm2')} on ${ref('gm2.groupId')} = ${ref('gm1.groupId')} where ${ref('gm1.memberId')} = ${me})
    or ${col(alias, 'id')} in (select ${ref('go.ownerId')} from ${table('group_members')} as ${ref('gm3')} join ${table('group_owners')} as ${ref('go')} on ${ref('go.groupId')} = ${ref('gm3.groupId')} where ${ref('gm3.memberId')} = ${me}))`;
};

/** Groups: all for members, the groups they belong to for guests. */
const groupScope: ScopeRule = (p) => {
  if (can(p, 'directory.read')) return undefined;
  if (!p.userId) return none;
  const me = p.userId;
  return (alias) => sql`${col(alias, 'id')} in (select ${ref('gm.groupId')} from ${table('group_members')} as ${ref('gm')} where ${ref('gm.memberId')} = ${me})`;
};

/** Sites: all for members, the sites of their groups for guests. */
const siteScope: ScopeRule = (p) => {
  if (can(p, 'directory.read')) return undefined;
  if (!p.userId) return none;
  const me = p.userId;
  return (alias) => sql`${col(alias, 'groupId')} in (select ${ref('gm.groupId')} from ${table('group_members')} as ${ref('gm')} where ${ref('gm.memberId')} = ${me})`;
};

/** Entitlement-management role assignments: administrators all; other members those of their catalogs, and their own. */
const roleAssignmentScope: ScopeRule = (p) => {
  if (!can(p, 'roleAssignment.read')) return none;
  if (isAdmin(p)) return undefined;
  const scopes = catalogsWithRole(p, catalogScopedRoles).map(catalogScope);
  const me = p.userId ?? '';
  return anyOf((alias) => sql`${col(alias, 'principalId')} = ${me}`, scopes.length > 0 && ((alias) => sql`${col(alias, 'appScopeId')} in (${sql.join(scopes)})`));
};

/** Rows of the catalogs the caller holds a role in (all for administrators); `column` holds the catalog id. */
function staffOnly(column: string): ScopeRule {
  return (p) => (isAdmin(p) ? undefined : anyOf(inCatalogs(column, catalogsWithRole(p))));
}

/**
 * Access packages: catalog staff read their catalogs' packages; anyone reads a package they may
 * request (its direct link), and the packages of their own requests and assignments and of the
 * requests they approve. (Hidden only keeps a package out of the lists for requestors —
 * `GET accessPackages` is the staff's, `filterByCurrentUser(on='allowedRequestor')` leaves hidden ones
 * out — not out of what its link lets people read.)
 */
const accessPackageScope: ScopeRule = async (p, facts, cardinality) => {
  if (isAdmin(p)) return undefined;
  return anyOf(await relatedPackages(p, facts, 'requested', cardinality), await facts.requestablePackages());
};

/**
 * Packages the caller has a part in beyond being allowed to request them, always with their catalogs' (staff)
 * and those of the requests they are asked to approve; `requested` adds their own requests and assignments,
 * `held` their own assignments only. Administrators are handled by the callers.
 */
async function relatedPackages(p: Principal, facts: Facts, reach: 'requested' | 'held' | 'approved', cardinality: Cardinality = 'many'): Promise<Scope> {
  const subjectId = reach === 'approved' ? null : await facts.subjectId();
  const approves = approverRequests(p.userId);
  // Read by id: stop at the first request of the package the caller approves (see `approverRequests`).
  const approvesOne: Scope | null =
    cardinality === 'one' && p.userId
      ? (alias) => sql`exists (select 1 from ${table('approval_stage_approvers')} as ${ref('ap')} join ${table('assignment_requests')} as ${ref('rq')} on ${ref('rq.id')} = ${ref('ap.requestId')} where ${ref('ap.userId')} = ${p.userId} and ${ref('rq.accessPackageId')} = ${col(alias, 'id')})`
      : null;
  const held: Scope | null = subjectId ? (alias) => sql`${col(alias, 'id')} in (select ${ref('pa.accessPackageId')} from ${table('assignments')} as ${ref('pa')} where ${ref('pa.targetId')} = ${subjectId})` : null;
  return anyOf(
    inCatalogs('catalogId', catalogsWithRole(p)),
    held,
    reach === 'requested' && subjectId &&
      ((alias) => sql`${col(alias, 'id')} in (select ${ref('pr.accessPackageId')} from ${table('assignment_requests')} as ${ref('pr')} where ${ref('pr.targetId')} = ${subjectId} or ${ref('pr.requestorId')} = ${subjectId})`),
    approvesOne ?? (approves && ((alias) => sql`${col(alias, 'id')} in (select ${ref('rq.accessPackageId')} from ${table('assignment_requests')} as ${ref('rq')} where ${approves('rq')})`)),
  );
}

/** Requests: their catalogs' for staff, their own (as target or requestor), and those they are asked to approve. */
const requestScope: ScopeRule = async (p, facts, cardinality) => {
  if (isAdmin(p)) return undefined;
  const subjectId = await facts.subjectId();
  return anyOf(
    inCatalogs('catalogId', catalogsWithRole(p)),
    subjectId && ((alias) => sql`(${col(alias, 'targetId')} = ${subjectId} or ${col(alias, 'requestorId')} = ${subjectId})`),
    approverRequests(p.userId, cardinality),
  );
};

/** Assignments: their catalogs' for staff, and their own. */
const assignmentScope: ScopeRule = async (p, facts) => {
  if (isAdmin(p)) return undefined;
  const subjectId = await facts.subjectId();
  return anyOf(inCatalogs('catalogId', catalogsWithRole(p)), subjectId && ((alias) => sql`${col(alias, 'targetId')} = ${subjectId}`));
};

/** Subjects: members read them all (they read the directory); others their own and the requestors of what they approve. */
const subjectScope: ScopeRule = async (p, facts, cardinality) => {
  if (can(p, 'directory.read')) return undefined;
  const subjectId = await facts.subjectId();
  if (cardinality === 'one' && p.userId) {
    // By id: the subject's own requests (few, by the target and requestor indexes), each probed in the approver index.
    const approves = approverRequests(p.userId, 'one') as Scope;
    return anyOf(subjectId && ((alias) => sql`${col(alias, 'id')} = ${subjectId}`), (alias) =>
      sql`(exists (select 1 from ${table('assignment_requests')} as ${ref('sr')} where ${ref('sr.targetId')} = ${col(alias, 'id')} and ${approves('sr')})
        or exists (select 1 from ${table('assignment_requests')} as ${ref('sq')} where ${ref('sq.requestorId')} = ${col(alias, 'id')} and ${approves('sq')}))`,
    );
  }
  const approves = approverRequests(p.userId);
  return anyOf(
    subjectId && ((alias) => sql`${col(alias, 'id')} = ${subjectId}`),
    approves &&
      ((alias) => sql`(${col(alias, 'id')} in (select ${ref('sr.targetId')} from ${table('assignment_requests')} as ${ref('sr')} where ${approves('sr')})
        or ${col(alias, 'id')} in (select ${ref('sq.requestorId')} from ${table('assignment_requests')} as ${ref('sq')} where ${approves('sq')}))`),
  );
};

/** Reviews: staff of the catalog read all of its reviews; reviewers what they review (decisions: only their own). */
function reviewScope(catalogOf: (alias: string) => Condition, reviewerColumn: 'instanceId' | 'decisionId' | 'definition'): ScopeRule {
  return (p) => {
    if (isAdmin(p)) return undefined;
    const catalogs = catalogsWithRole(p);
    const me = p.userId;
    return anyOf(
      catalogs.length > 0 && ((alias) => sql`${catalogOf(alias)} in (${sql.join(catalogs)})`),
      me &&
        (reviewerColumn === 'definition'
          ? (alias) =>
              sql`exists (select 1 from ${table('access_review_reviewers')} as ${ref('rr')} join ${table('access_review_instances')} as ${ref('ri')} on ${ref('ri.id')} = ${ref('rr.instanceId')} where ${ref('rr.userId')} = ${me} and ${ref('ri.definitionId')} = ${col(alias, 'id')})`
          : (alias) => sql`exists (select 1 from ${table('access_review_reviewers')} as ${ref('rr')} where ${ref('rr.userId')} = ${me} and ${ref(`rr.${reviewerColumn}`)} = ${col(alias, 'id')})`),
    );
  };
}

/**
 * What hangs off a package that a non-staff caller may read: its catalog when they approve a request for it
 * (the approval shows package and catalog), its policies when they hold it or approve it (extension and
 * approval rules). A package read only through its link shows neither (`getApplicablePolicyRequirements`
 * serves requestors). `through(alias, packages)` says how a row reaches a package.
 */
function staffOrThroughPackages(staffColumn: string | null, reach: 'held' | 'approved', through: (alias: string, packages: Scope) => Condition): ScopeRule {
  return async (p, facts, cardinality) => {
    if (isAdmin(p)) return undefined;
    const packages = await relatedPackages(p, facts, reach);
    if (!packages) return undefined;
    return anyOf(staffColumn && inCatalogs(staffColumn, catalogsWithRole(p)), (alias) => through(alias, packages));
  };
}

const packagesWhere = (packages: Scope, column: string) =>
  sql`(select ${ref(`vp.${column}`)} from ${table('access_packages')} as ${ref('vp')} where ${packages('vp')})`;

const roleScopesWhere = (packages: Scope, column: string) =>
  sql`(select ${ref(`vrs.${column}`)} from ${table('resource_role_scopes')} as ${ref('vrs')} where ${ref('vrs.accessPackageId')} in ${packagesWhere(packages, 'id')})`;

const catalogReadScope = staffOrThroughPackages('id', 'approved', (alias, packages) => sql`${col(alias, 'id')} in ${packagesWhere(packages, 'catalogId')}`);
const policyReadScope = staffOrThroughPackages('catalogId', 'held', (alias, packages) => sql`${col(alias, 'accessPackageId')} in ${packagesWhere(packages, 'id')}`);

/** Connected organizations: people with the right read them all; others their own organization and those of the people whose requests they approve. */
const connectedOrganizationScope: ScopeRule = async (p, facts) => {
  if (can(p, 'connectedOrganization.read')) return undefined;
  const subjectId = await facts.subjectId();
  const approves = approverRequests(p.userId);
  const subjects = anyOf(
    subjectId && ((alias) => sql`${col(alias, 'id')} = ${subjectId}`),
    approves &&
      ((alias) => sql`(${col(alias, 'id')} in (select ${ref('sr.targetId')} from ${table('assignment_requests')} as ${ref('sr')} where ${approves('sr')})
        or ${col(alias, 'id')} in (select ${ref('sq.requestorId')} from ${table('assignment_requests')} as ${ref('sq')} where ${approves('sq')}))`),
  );
  return (alias) => sql`${col(alias, 'id')} in (select ${ref('vs.connectedOrganizationId')} from ${table('subjects')} as ${ref('vs')} where ${subjects('vs')})`;
};

const definitionCatalog = (column: string) => (alias: string) =>
  sql`(select ${ref('dc.catalogId')} from ${table('access_review_definitions')} as ${ref('dc')} where ${ref('dc.id')} = ${col(alias, column)})`;

const allowedIf =
  (check: (p: Principal) => boolean): ScopeRule =>
  (p) =>
    check(p) ? undefined : none;

/** The rule of each entity type (Graph type names). A type not listed here is read by nobody. */
const rules: Record<string, { table: keyof Database; rule: ScopeRule }> = {
  user: { table: 'users', rule: userScope },
  group: { table: 'groups', rule: groupScope },
  site: { table: 'sites', rule: siteScope },
  organization: { table: 'tenants', rule: () => undefined },
  unifiedRoleDefinition: { table: 'role_definitions', rule: allowedIf((p) => can(p, 'roleAssignment.read')) },
  unifiedRoleAssignment: { table: 'role_assignments', rule: roleAssignmentScope },
  directoryAudit: { table: 'directory_audits', rule: allowedIf((p) => can(p, 'audit.read')) },
  accessPackageCatalog: { table: 'catalogs', rule: catalogReadScope },
  accessPackageResource: {
    table: 'resources',
    rule: staffOrThroughPackages('catalogId', 'approved', (alias, packages) => sql`${col(alias, 'id')} in (select ${ref('vr.resourceId')} from ${table('resource_roles')} as ${ref('vr')} where ${ref('vr.id')} in ${roleScopesWhere(packages, 'roleId')})`),
  },
  accessPackageResourceRole: { table: 'resource_roles', rule: staffOrThroughPackages('catalogId', 'approved', (alias, packages) => sql`${col(alias, 'id')} in ${roleScopesWhere(packages, 'roleId')}`) },
  accessPackageResourceScope: { table: 'resource_scopes', rule: staffOrThroughPackages('catalogId', 'approved', (alias, packages) => sql`${col(alias, 'id')} in ${roleScopesWhere(packages, 'scopeId')}`) },
  accessPackageResourceRequest: { table: 'resource_requests', rule: staffOnly('catalogId') },
  accessPackageAssignmentPolicy: { table: 'assignment_policies', rule: policyReadScope },
  // Approvers see what a request would grant (the approval card lists the resources and roles).
  accessPackageResourceRoleScope: { table: 'resource_role_scopes', rule: staffOrThroughPackages(null, 'approved', (alias, packages) => sql`${col(alias, 'accessPackageId')} in ${packagesWhere(packages, 'id')}`) },
  accessPackage: { table: 'access_packages', rule: accessPackageScope },
  accessPackageAssignmentRequest: { table: 'assignment_requests', rule: requestScope },
  accessPackageAssignment: { table: 'assignments', rule: assignmentScope },
  accessPackageSubject: { table: 'subjects', rule: subjectScope },
  connectedOrganization: { table: 'connected_organizations', rule: connectedOrganizationScope },
  entitlementManagementSettings: { table: 'entitlement_settings', rule: allowedIf((p) => can(p, 'settings.read')) },
  accessReviewScheduleDefinition: { table: 'access_review_definitions', rule: reviewScope((alias) => col(alias, 'catalogId'), 'definition') },
  accessReviewInstance: { table: 'access_review_instances', rule: reviewScope(definitionCatalog('definitionId'), 'instanceId') },
  accessReviewInstanceDecisionItem: { table: 'access_review_decisions', rule: reviewScope(definitionCatalog('definitionId'), 'decisionId') },
};

export type ReadableType = keyof typeof rules;

/** The read rules of one caller, with the facts they need loaded once per request. */
export class ReadScopes implements Visibility {
  private readonly facts: Facts;
  constructor(private readonly ctx: ReadContext) {
    this.facts = new Facts(ctx);
  }

  /** The SQL scope of `type` for this caller: undefined when they read every row. */
  async scopeOf(type: string, cardinality: Cardinality = 'one'): Promise<Scope | undefined> {
    const entry = rules[type];
    if (!entry) return none;
    if (this.ctx.principal.userType === 'System') return none;
    return entry.rule(this.ctx.principal, this.facts, cardinality);
  }

  /** For the OData engine: the scope of every level it loads. */
  scope(entity: { type: string }, cardinality: Cardinality): Promise<Scope | undefined> {
    return this.scopeOf(entity.type, cardinality);
  }

  /** Whether object `id` of `type` exists and the caller may read it (one indexed query). */
  async isReadable(type: string, id: string): Promise<boolean> {
    const entry = rules[type];
    if (!entry) return false;
    const scope = await this.scopeOf(type, 'one');
    const condition = scope ? sql`and (${scope('v')})` : sql``;
    const row = await sql<{ one: number }>`select 1 as ${ref('one')} from ${table(entry.table)} as ${ref('v')} where ${ref('v.id')} = ${id} ${condition}`.execute(this.ctx.db);
    return row.rows.length > 0;
  }
}

/** The read rules for the caller of `ctx`; each instance loads its facts (subject, requester) at most once. */
export function readScopes(ctx: ReadContext): ReadScopes {
  return new ReadScopes(ctx);
}

/** Throws `notFound()` unless the caller may read object `id` of `type`. */
export async function requireReadable(ctx: ReadContext, type: ReadableType, id: string, notFound: () => Error): Promise<void> {
  if (!(await readScopes(ctx).isReadable(type, id))) throw notFound();
}
