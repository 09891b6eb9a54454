import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, InsertObject, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, Transaction, UnknownRow } from 'kysely';
import { sql } from 'kysely';
import { Pool } from 'pg';
import { resolvePrincipal, type Principal } from '../bot/auth/principal';
import { createAccessPackage } from '../bot/commands/accessPackages/createAccessPackage';
import { createAccessPackageBody } from '../bot/commands/accessPackages/schemas';
import { auditRow, type AuditEntry } from '../bot/commands/audit';
import { policyColumns } from '../bot/commands/policies/checkPolicyDefinition';
import { requestorScopeRows } from '../bot/commands/requests/applicablePolicies';
import { createPolicyBody } from '../bot/commands/policies/schemas';
import { loadConfig } from '../bot/config';
import { type CommandContext, newId, systemClock } from '../bot/context';
import { type CollectionPage, listCollection, readQueryOptions, unrestricted } from '../bot/graph/odata/engine';
import { entity } from '../bot/graph/odata/model';
import { catalogListScope } from '../bot/policies';
import { siteGroupsFor } from '../bot/seed/demo';
import { demo } from '../bot/seed/tenant';
import { type Portier, startPortier } from '../bot/server';
import type {
  AccessPackagesTable,
  AssignmentPoliciesTable,
  PolicyRequestorScopesTable,
  CatalogsTable,
  Database,
  DirectoryAuditsTable,
  GroupsTable,
  ResourceRequestsTable,
  ResourceRoleScopesTable,
  ResourceRolesTable,
  ResourceScopesTable,
  ResourcesTable,
  SiteGroupsTable,
  SitesTable,
} from '../bot/store/schema';
import { type ServerProcess, startServerProcess } from '../tests/helpers/process';
import { benchDatabase, type BenchModule, fmt, heading, measure, measureConcurrent, measureInterleaved, printTable, seededRandom, type Summary, timed } from './lib';

/**
 * Access packages at Entra's tenant limit: 20,000 packages in 200 catalogs. Measures the catalog
 * page the Extranet tab shows (filter by catalog, expand the resource roles, 50 a page), a text
 * search, and package creation, each through HTTP, through the OData engine in-process, and as a
 * hand-written SQL baseline on the same database file, so the overhead of each layer is visible.
 */

const catalogCount = 200;
const packagesPerCatalog = 100;
const iterations = 300;
const warmup = 30;
const creates = 500;
const concurrentClients = 4;
const createsPerClient = 250;
const targetP99Ms = 20;
const targetRatio = 3;

const em = 'identityGovernance/entitlementManagement';
const listPath = `${em}/accessPackages`;
const expand = 'resourceRoleScopes($expand=role,scope)';

type Row = Record<string, unknown>;

export const catalogBenchmark: BenchModule = {
  name: `Access packages: ${(catalogCount * packagesPerCatalog).toLocaleString('en-US')} in ${catalogCount} catalogs`,
  run: runCatalogBenchmark,
};

// ---- the database under test ----------------------------------------------------------------------

/**
 * The baseline's own connection: a second better-sqlite3 handle on the same file (same pragmas as
 * the store), or one pg connection with the same search path. Queries are written with `?`.
 */
interface RawDriver {
  all(text: string, params: readonly unknown[]): Promise<Row[]>;
  /** The query plan of `text` (a compiled Kysely query, or one written with `?`), one line per step. */
  explain(text: string, params: readonly unknown[]): Promise<string[]>;
  /** What createAccessPackage writes at minimum: the package and its audit record, in one transaction. */
  insertPackageWithAudit(pkg: AccessPackagesTable, audit: DirectoryAuditsTable): Promise<void>;
  close(): Promise<void>;
}

const packageColumns = ['id', 'catalogId', 'displayName', 'description', 'isHidden', 'createdDateTime', 'modifiedDateTime'] as const;
const auditColumns = [
  'id',
  'category',
  'activityDateTime',
  'activityDisplayName',
  'operationType',
  'result',
  'resultReason',
  'loggedByService',
  'correlationId',
  'initiatedBy',
  'initiatedByUserId',
  'targetResources',
  'additionalDetails',
] as const;

const insertSql = (table: string, columns: readonly string[]) => `insert into ${table} (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`;

function sqliteDriver(file: string): RawDriver {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (text: string) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  const insertPackage = db.prepare(insertSql('access_packages', packageColumns));
  const insertAudit = db.prepare(insertSql('directory_audits', auditColumns));
  const insertBoth = db.transaction((pkg: AccessPackagesTable, audit: DirectoryAuditsTable) => {
    insertPackage.run(packageColumns.map((c) => pkg[c]));
    insertAudit.run(auditColumns.map((c) => audit[c]));
  });
  return {
    async all(text, params) {
      return prepared(text).all(...params) as Row[];
    },
    async explain(text, params) {
      const rows = db.prepare(`explain query plan ${text}`).all(...params) as Array<{ id: number; parent: number; detail: string }>;
      const depth = new Map<number, number>([[0, -1]]);
      return rows.map((r) => {
        const d = (depth.get(r.parent) ?? -1) + 1;
        depth.set(r.id, d);
        return `${'  '.repeat(d)}${r.detail}`;
      });
    },
    async insertPackageWithAudit(pkg, audit) {
      insertBoth(pkg, audit);
    },
    async close() {
      db.close();
    },
  };
}

function postgresDriver(url: string): RawDriver {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const pool = new Pool({ connectionString: parsed.toString(), max: 1, ...(schema ? { options: `-c search_path="${schema}"` } : {}) });
  const numbered = (text: string) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  };
  const texts = new Map<string, string>();
  const pgText = (text: string) => {
    let out = texts.get(text);
    if (!out) {
      out = numbered(text);
      texts.set(text, out);
    }
    return out;
  };
  const insertPackage = numbered(insertSql('access_packages', packageColumns));
  const insertAudit = numbered(insertSql('directory_audits', auditColumns));
  return {
    async all(text, params) {
      return (await pool.query(pgText(text), params as unknown[])).rows as Row[];
    },
    async explain(text, params) {
      // Kysely's PostgreSQL SQL is numbered already; the baseline's `?` are numbered here.
      const result = await pool.query(`explain ${pgText(text)}`, params as unknown[]);
      return result.rows.map((r: Record<string, string>) => r['QUERY PLAN']);
    },
    async insertPackageWithAudit(pkg, audit) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(insertPackage, packageColumns.map((c) => pkg[c]));
        await client.query(insertAudit, auditColumns.map((c) => audit[c]));
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

// ---- seeding --------------------------------------------------------------------------------------

/**
 * 100 made-up project code names. Each package name starts with one, so a code name matches 1% of
 * all packages; none is a substring of another name, so `contains` finds exactly those.
 */
const codeNames = ['Bri', 'Cor', 'Dra', 'Fel', 'Gun', 'Hes', 'Kip', 'Lom', 'Nar', 'Tev'].flatMap((a) =>
  ['mark', 'wick', 'ston', 'dale', 'ford', 'holm', 'ridge', 'vale', 'moor', 'bury'].map((b) => `${a}${b}`),
);
const audiences = ['partner access', 'contractors', 'supplier portal', 'joint engineering', 'read-only reviewers', 'sales collaboration', 'support escalation'];
const partners = ['Fabrikam', 'Litware', 'Northwind', 'Tailspin', 'Woodgrove', 'Adatum', 'Proseware', 'Wingtip'];

export interface Seeded {
  catalogIds: string[];
  counts: Record<string, number>;
}

/** Policies the way the Graph route stores them: parsed by the create schema (defaults filled), then `policyColumns`. */
function policyTemplates() {
  const external = createPolicyBody.parse({
    displayName: 'Partner requests',
    description: 'Users of connected organizations can request; their sponsor approves.',
    allowedTargetScope: 'allConfiguredConnectedOrganizationUsers',
    expiration: { type: 'afterDuration', duration: 'P90D' },
    requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true },
    requestApprovalSettings: {
      isApprovalRequiredForAdd: true,
      isRequestorJustificationRequired: true,
      stages: [
        {
          durationBeforeAutomaticDenial: 'P14D',
          isApproverJustificationRequired: true,
          primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }],
          fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.lee.id }],
        },
      ],
    },
    reviewSettings: {
      isEnabled: true,
      expirationBehavior: 'removeAccess',
      isRecommendationEnabled: true,
      schedule: {
        startDateTime: '2025-01-01T00:00:00Z',
        expiration: { type: 'afterDuration', duration: 'P14D' },
        recurrence: { pattern: { type: 'absoluteMonthly', interval: 3, dayOfMonth: 1 }, range: { type: 'noEnd', startDate: '2025-01-01' } },
      },
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.internalSponsors' }],
      fallbackReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.lee.id }],
    },
    questions: [{ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Which project do you work on?', isRequired: true }],
    accessPackage: { id: 'template' },
  });
  const internal = createPolicyBody.parse({
    displayName: 'Internal requests',
    allowedTargetScope: 'allMemberUsers',
    requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true },
    accessPackage: { id: 'template' },
  });
  const strip = ({ accessPackage: _p, catalog: _c, ...definition }: typeof external) => definition;
  return [strip(external), strip(internal)];
}

/** Rows in batches small enough for SQLite's 32,766 bound parameters (and PostgreSQL's 65,535). */
async function insertBatched<T extends keyof Database & string>(tx: Transaction<Database>, table: T, rows: ReadonlyArray<InsertObject<Database, T>>): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as object).length;
  const size = Math.max(1, Math.floor(30_000 / columns));
  for (let i = 0; i < rows.length; i += size) {
    await tx.insertInto(table).values(rows.slice(i, i + size)).execute();
  }
}

/**
 * 200 catalogs, each with a team (group + its site, in the directory) onboarded as two resources
 * (group: Member/Owner; site: Owners/Visitors/Members; one root scope each), 100 packages granting
 * one or two of those roles, one policy per package (with its requestor scopes), and the audit records and resource requests
 * the commands would have written. Batched inserts, 20 catalogs per transaction.
 */
export async function seedCatalogs(portier: Portier, principal: Principal): Promise<Seeded> {
  const db = portier.store.db;
  const random = seededRandom(20_000);
  const templates = policyTemplates();
  const start = Date.now() - 400 * 86_400_000;
  const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
  const ctxAt = (iso: string): CommandContext => ({
    db,
    dialect: portier.store.dialect,
    principal,
    clock: { now: () => new Date(iso) },
    requestId: newId(),
    publicUrl: portier.config.publicUrl,
    subscriptions: {},
    wake: () => undefined,
  });
  const catalogIds: string[] = [];
  const counts: Record<string, number> = {};
  const perTransaction = 20;

  for (let first = 0; first < catalogCount; first += perTransaction) {
    const rows = {
      groups: [] as GroupsTable[],
      sites: [] as SitesTable[],
      site_groups: [] as SiteGroupsTable[],
      catalogs: [] as CatalogsTable[],
      resources: [] as ResourcesTable[],
      resource_roles: [] as ResourceRolesTable[],
      resource_scopes: [] as ResourceScopesTable[],
      resource_requests: [] as ResourceRequestsTable[],
      access_packages: [] as AccessPackagesTable[],
      resource_role_scopes: [] as ResourceRoleScopesTable[],
      assignment_policies: [] as AssignmentPoliciesTable[],
      policy_requestor_scopes: [] as PolicyRequestorScopesTable[],
      directory_audits: [] as DirectoryAuditsTable[],
    };
    const audit = async (iso: string, entry: AuditEntry) => rows.directory_audits.push(auditRow(ctxAt(iso), entry));

    for (let c = first; c < Math.min(catalogCount, first + perTransaction); c++) {
      const minute = c * 1000;
      const created = at(minute);
      const partner = partners[c % partners.length];
      const teamName = `${partner} ${codeNames[(c * 7) % codeNames.length]} team ${c + 1}`;
      const nickname = `team${c + 1}`;

      // The directory objects the catalog's resources come from.
      const groupId = newId();
      rows.groups.push({
        id: groupId,
        displayName: teamName,
        description: `Team for the ${partner} engagement.`,
        mail: `${nickname}@contoso.test`,
        mailNickname: nickname,
        mailEnabled: 1,
        securityEnabled: 0,
        groupTypes: JSON.stringify(['Unified']),
        visibility: 'Private',
        resourceProvisioningOptions: JSON.stringify(['Team']),
        createdDateTime: created,
      });
      const siteId = `contoso.sharepoint.com,${newId()},${newId()}`;
      const webUrl = `https://contoso.sharepoint.com/sites/Team${c + 1}`;
      rows.sites.push({ id: siteId, groupId, name: `Team${c + 1}`, displayName: teamName, webUrl, description: `${teamName} site`, createdDateTime: created });
      const siteGroups = siteGroupsFor(siteId, teamName);
      rows.site_groups.push(...siteGroups);

      // createCatalog
      const catalogId = newId();
      catalogIds.push(catalogId);
      const catalogName = `${partner} extranet ${c + 1}`;
      rows.catalogs.push({
        id: catalogId,
        displayName: catalogName,
        description: `Resources shared with ${partner}.`,
        catalogType: 'userManaged',
        state: 'published',
        isExternallyVisible: 1,
        createdDateTime: created,
        modifiedDateTime: created,
      });
      await audit(created, { activityDisplayName: 'Create access package catalog', operationType: 'Add', targets: [{ id: catalogId, displayName: catalogName, type: 'AccessPackageCatalog' }] });

      // addResourceToCatalog, twice: the group and its site (what resolveResourceOrigin describes).
      const onboard = async (originSystem: 'AadGroup' | 'SharePointOnline', originId: string, description: string | null, roles: Array<{ originId: string; displayName: string; description: string | null }>) => {
        const when = at(minute + 1 + rows.resources.length);
        const resourceId = newId();
        rows.resources.push({ id: resourceId, catalogId, displayName: teamName, description, originId, originSystem, attributes: '[]', createdDateTime: when, modifiedDateTime: when });
        const roleRows = roles.map((r) => ({ id: newId(), resourceId, catalogId, displayName: r.displayName, description: r.description, originId: r.originId, originSystem }));
        rows.resource_roles.push(...roleRows);
        const scope: ResourceScopesTable = { id: newId(), resourceId, catalogId, displayName: 'Root', description: 'Root Scope', originId, originSystem, isRootScope: 1 };
        rows.resource_scopes.push(scope);
        rows.resource_requests.push({ id: newId(), catalogId, resourceId, requestType: 'adminAdd', state: 'delivered', createdDateTime: when, requestorId: principal.userId });
        await audit(when, {
          activityDisplayName: 'Add resource to catalog',
          operationType: 'Add',
          targets: [
            { id: resourceId, displayName: teamName, type: 'AccessPackageResource' },
            { id: catalogId, displayName: catalogName, type: 'AccessPackageCatalog' },
          ],
          details: { originSystem, originId },
        });
        return { roles: roleRows, scope };
      };
      const group = await onboard('AadGroup', groupId, `Team for the ${partner} engagement.`, [
        { originId: `Member_${groupId}`, displayName: 'Member', description: null },
        { originId: `Owner_${groupId}`, displayName: 'Owner', description: null },
      ]);
      const site = await onboard(
        'SharePointOnline',
        webUrl,
        `${teamName} site`,
        siteGroups.map((g) => ({ originId: g.id, displayName: g.displayName, description: g.description })),
      );

      for (let k = 0; k < packagesPerCatalog; k++) {
        const packageMinute = minute + 10 + k * 5;
        const pkgCreated = at(packageMinute);
        // createAccessPackage
        const pkg: AccessPackagesTable = {
          id: newId(),
          catalogId,
          displayName: `${codeNames[(k + c) % codeNames.length]} – ${audiences[(c + k * 3) % audiences.length]}`,
          description: random() < 0.8 ? `Access for ${partner} people working on ${teamName}.` : null,
          isHidden: random() < 0.1 ? 1 : 0,
          createdDateTime: pkgCreated,
          modifiedDateTime: pkgCreated,
        };
        rows.access_packages.push(pkg);
        await audit(pkgCreated, {
          activityDisplayName: 'Create access package',
          operationType: 'Add',
          targets: [
            { id: pkg.id, displayName: pkg.displayName, type: 'AccessPackage' },
            { id: catalogId, displayName: catalogName, type: 'AccessPackageCatalog' },
          ],
        });

        // addResourceRoleScope: group Member (Owner for one in ten), and for half of them a site role.
        const grants = [{ role: group.roles[random() < 0.1 ? 1 : 0], scope: group.scope }];
        if (random() < 0.5) grants.push({ role: site.roles[random() < 0.5 ? 1 : 2], scope: site.scope });
        grants.forEach((grant, g) => {
          const when = at(packageMinute + 1 + g);
          rows.resource_role_scopes.push({ id: newId(), accessPackageId: pkg.id, roleId: grant.role.id, scopeId: grant.scope.id, createdDateTime: when });
          pkg.modifiedDateTime = when;
        });
        for (const [g, grant] of grants.entries()) {
          await audit(at(packageMinute + 1 + g), {
            activityDisplayName: 'Add resource role to access package',
            operationType: 'Add',
            targets: [
              { id: pkg.id, displayName: pkg.displayName, type: 'AccessPackage' },
              { id: grant.role.id, displayName: grant.role.displayName, type: 'AccessPackageResourceRole' },
            ],
            details: { roleOriginId: grant.role.originId, scopeOriginId: grant.scope.originId, originSystem: grant.role.originSystem },
          });
        }

        // createAssignmentPolicy
        const policyCreated = at(packageMinute + 3);
        const policy: AssignmentPoliciesTable = {
          id: newId(),
          accessPackageId: pkg.id,
          catalogId,
          ...policyColumns(templates[random() < 0.7 ? 0 : 1]),
          createdDateTime: policyCreated,
          modifiedDateTime: policyCreated,
        };
        rows.assignment_policies.push(policy);
        rows.policy_requestor_scopes.push(...requestorScopeRows(policy));
        await audit(policyCreated, {
          activityDisplayName: 'Create access package assignment policy',
          operationType: 'Add',
          targets: [
            { id: policy.id, displayName: policy.displayName, type: 'AccessPackageAssignmentPolicy' },
            { id: pkg.id, displayName: pkg.displayName, type: 'AccessPackage' },
          ],
          details: { allowedTargetScope: policy.allowedTargetScope },
        });
      }
    }

    await db.transaction().execute(async (tx) => {
      // Object order is foreign-key order: directory, catalogs, resources, packages, then what refers to them.
      for (const [table, list] of Object.entries(rows) as Array<[keyof typeof rows, unknown[]]>) {
        await insertBatched(tx, table, list as never);
        counts[table] = (counts[table] ?? 0) + list.length;
      }
    });
  }
  // PostgreSQL's autovacuum would analyze the new tables within a minute; do it now rather than wait.
  if (portier.store.dialect === 'postgres') await sql`analyze`.execute(db);
  return { catalogIds, counts };
}

// ---- the raw baseline ----------------------------------------------------------------------------

/** One query: the page of packages (one extra row to know whether there is a next page) with their role scopes, roles and scopes. */
function rawListSql(where: string): string {
  return `with page as (
    select "id", "displayName", "description", "isHidden", "createdDateTime", "modifiedDateTime"
    from access_packages where ${where} order by "id" limit ?)
  select p.*, x."id" as "x_id", x."createdDateTime" as "x_created",
    r."id" as "r_id", r."displayName" as "r_name", r."description" as "r_description", r."originId" as "r_originId", r."originSystem" as "r_originSystem",
    s."id" as "s_id", s."displayName" as "s_name", s."description" as "s_description", s."originId" as "s_originId", s."originSystem" as "s_originSystem", s."isRootScope" as "s_isRootScope"
  from page p
  left join resource_role_scopes x on x."accessPackageId" = p."id"
  left join resource_roles r on r."id" = x."roleId"
  left join resource_scopes s on s."id" = x."scopeId"
  order by p."id", x."id"`;
}
const rawByCatalog = rawListSql(`"catalogId" = ?`);
const rawByText = rawListSql(`lower("displayName") like ? escape '\\'`);

/** The same JSON the engine produces for `accessPackage` with `resourceRoleScopes($expand=role,scope)`. */
function shapeRawPage(rows: Row[], top: number, context: string, requestUrl: URL): CollectionPage {
  const packages: Row[] = [];
  let current: Row | null = null;
  for (const row of rows) {
    if (!current || current.id !== row.id) {
      current = {
        id: row.id,
        displayName: row.displayName,
        description: row.description,
        isHidden: row.isHidden === 1 || row.isHidden === '1',
        createdDateTime: row.createdDateTime,
        modifiedDateTime: row.modifiedDateTime,
        resourceRoleScopes: [],
      };
      packages.push(current);
    }
    if (row.x_id === null || row.x_id === undefined) continue;
    (current.resourceRoleScopes as Row[]).push({
      id: row.x_id,
      createdDateTime: row.x_created,
      role: { id: row.r_id, displayName: row.r_name, description: row.r_description, originId: row.r_originId, originSystem: row.r_originSystem },
      scope: {
        id: row.s_id,
        displayName: row.s_name,
        description: row.s_description,
        originId: row.s_originId,
        originSystem: row.s_originSystem,
        isRootScope: row.s_isRootScope === 1 || row.s_isRootScope === '1',
      },
    });
  }
  const page: CollectionPage = { '@odata.context': context, value: packages.slice(0, top) };
  if (packages.length > top) {
    const next = new URL(requestUrl.toString());
    next.searchParams.set('$skiptoken', Buffer.from(JSON.stringify({ o: top })).toString('base64url'));
    page['@odata.nextLink'] = next.toString();
  }
  return page;
}

// ---- diagnostics -----------------------------------------------------------------------------------

/** Records the SQL Kysely sends, to show the plan the database picks for the engine's queries. */
function captureQueries(compile: (node: RootOperationNode, args: PluginTransformQueryArgs) => CompiledQuery, into: CompiledQuery[]): KyselyPlugin {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      into.push(compile(args.node, args));
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
}

/** PostgreSQL prints whole id arrays in plans; a plan line needs the operation, not the ids. */
function clip(line: string): string {
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

// ---- the run -------------------------------------------------------------------------------------

interface Result {
  name: string;
  summary: Summary;
  raw?: Summary;
}

async function runCatalogBenchmark(): Promise<void> {
  const target = benchDatabase();
  const out = console.log;
  out(`database: ${target.describe}`);
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);

  const config = loadConfig({ PORT: '0', DATABASE_URL: target.url, LOG_LEVEL: 'silent', PORTIER_SEED: 'demo' }, 'bench');
  if (!config.ok) throw new Error(config.errors.join('\n'));
  let portier: Portier | undefined;
  let raw: RawDriver | undefined;
  let server: ServerProcess | undefined;
  let keepAlive: HttpAgent | undefined;
  try {
    portier = await startPortier(config.config);
    const store = portier.store;
    const tokenResponse = await fetch(`${portier.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn: demo.users.admin.upn }) });
    if (tokenResponse.status !== 200) throw new Error(`dev token: ${tokenResponse.status} ${await tokenResponse.text()}`);
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const authorization = `Bearer ${token}`;
    const principal = await resolvePrincipal(store.db, {
      objectId: demo.users.admin.id,
      tenantId: demo.contoso.id,
      userPrincipalName: demo.users.admin.upn,
      displayName: demo.users.admin.name,
      email: demo.users.admin.upn,
    });

    const seeding = await timed(() => seedCatalogs(portier as Portier, principal));
    // This in-process instance only seeds and serves the engine's in-process figures; the measured HTTP server is
    // another process on the same SQLite file. Its job runner would take that file's write lock from a second
    // process, which production never does (SQLite is one instance), and the server's writes would wait for it in
    // SQLite's busy handler, its event loop stopped: p99 of the HTTP list 10–80 ms with it (over 20 ms in three runs of four), 7–13 ms without.
    await portier.jobs.stop();
    // HTTP goes to Portier in its own process, as in production: a client in the server's process
    // would add its garbage to the server's heap and its pauses to the server's latency.
    server = await startServerProcess({ DATABASE_URL: target.url, PORTIER_SEED: 'demo', AUTH_MODE: 'dev' });
    const base = server.url;
    const { catalogIds, counts } = seeding.result;
    out(
      `seeded in ${(seeding.ms / 1000).toFixed(1)} s: ${Object.entries(counts)
        .map(([t, n]) => `${n.toLocaleString('en-US')} ${t}`)
        .join(', ')}`,
    );
    raw = target.dialect === 'sqlite' ? sqliteDriver(target.url.slice('sqlite:'.length)) : postgresDriver(target.url);
    const rawDriver = raw;

    const accessPackage = entity('accessPackage');
    const serviceRoot = `${base}/graph/v1.0`;
    const context = `${serviceRoot}/$metadata#${em}/accessPackages`;
    const scope = catalogListScope(principal, 'catalogId');
    const top = 50;
    const urlFor = (filter: string) => new URL(`${serviceRoot}/${listPath}?$filter=${encodeURIComponent(filter)}&$expand=${encodeURIComponent(expand)}&$top=${top}`);

    const random = seededRandom(42);
    const catalogSequence = Array.from({ length: iterations + warmup }, () => catalogIds[Math.floor(random() * catalogIds.length)]);
    const needleSequence = Array.from({ length: iterations + warmup }, (_, i) => codeNames[(i * 37) % codeNames.length]);
    const byCatalog = (i: number) => urlFor(`catalog/id eq '${catalogSequence[i]}'`);
    const byText = (i: number) => urlFor(`contains(displayName,'${needleSequence[i]}')`);

    // Node's http client on a keep-alive agent: the lightest client at hand, so the figure is the
    // server's and not the client library's (WHATWG fetch adds about a millisecond per call here).
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
    keepAlive = agent;
    const viaHttp = (url: URL) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest(url, { agent, headers: { authorization } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) reject(new Error(`GET ${url.pathname}${url.search}: ${res.statusCode} ${text.slice(0, 300)}`));
            else resolve(text);
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    const viaEngine = (url: URL) => listCollection(store.db, { entity: accessPackage, options: readQueryOptions(url.searchParams), scope, visibility: unrestricted, context, requestUrl: url });
    const viaRawCatalog = async (i: number) => shapeRawPage(await rawDriver.all(rawByCatalog, [catalogSequence[i], top + 1]), top, context, byCatalog(i));
    const viaRawText = async (i: number) => shapeRawPage(await rawDriver.all(rawByText, [`%${needleSequence[i].toLowerCase()}%`, top + 1]), top, context, byText(i));

    // The baseline must return what the engine returns, or the comparison means nothing.
    for (const [label, url, rawPage] of [
      ['catalog filter', byCatalog(0), await viaRawCatalog(0)],
      ['contains search', byText(0), await viaRawText(0)],
    ] as const) {
      const http = JSON.parse(await viaHttp(url)) as CollectionPage;
      const engine = await viaEngine(url);
      const same = isDeepStrictEqual(engine.value, rawPage.value) && isDeepStrictEqual(http.value, engine.value) && !!engine['@odata.nextLink'] === !!rawPage['@odata.nextLink'];
      if (!same) throw new Error(`${label}: the raw baseline does not return the engine's rows; fix the baseline before comparing`);
      const scopes = engine.value.reduce((n, v) => n + (v.resourceRoleScopes as unknown[]).length, 0);
      out(`check ${label}: HTTP, engine and raw SQL return the same ${engine.value.length} packages (${scopes} role scopes)${engine['@odata.nextLink'] ? ' and a nextLink' : ''}`);
    }
    const matching = await rawDriver.all(`select count(*) as n from access_packages where lower("displayName") like ?`, [`%${needleSequence[0].toLowerCase()}%`]);
    const total = await rawDriver.all('select count(*) as n from access_packages', []);
    out(`search texts: ${codeNames.length} project code names; '${needleSequence[0]}' matches ${Number(matching[0].n)} of ${Number(total[0].n).toLocaleString('en-US')} packages, like each of the others`);
    const pageBytes = Buffer.byteLength(await viaHttp(byCatalog(0)));
    out(`one catalog page is ${(pageBytes / 1024).toFixed(1)} KB of JSON`);

    const results: Result[] = [];
    // Inputs 0..warmup-1 warm up, warmup.. are measured; every variant sees the same inputs, in turns.
    const compare = async (label: string, raw: (i: number) => Promise<unknown>, http: (i: number) => Promise<unknown>, engine: (i: number) => Promise<unknown>) => {
      const [rawSummary, httpSummary, engineSummary] = await measureInterleaved(iterations, warmup, [raw, http, engine]);
      results.push(
        { name: `${label}: raw SQL (1 query + JSON)`, summary: rawSummary },
        { name: `${label}: HTTP GET`, summary: httpSummary, raw: rawSummary },
        { name: `${label}: engine in-process`, summary: engineSummary, raw: rawSummary },
      );
      return { raw: rawSummary, http: httpSummary, engine: engineSummary };
    };
    // The fixed cost of a request in this process (restify + Node's fetch), then through the Graph edge
    // (token check, principal, routing, one small query): what every Graph call pays before its own work.
    const [floor, floorAuth] = await measureInterleaved(iterations, warmup, [
      () => viaHttp(new URL(`${base}/healthz`)),
      () => viaHttp(new URL(`${serviceRoot}/organization`)),
    ]);
    results.push({ name: 'HTTP floor: GET /healthz (no auth, no query)', summary: floor }, { name: 'HTTP floor + Graph edge + auth: GET /organization', summary: floorAuth });
    const list = await compare('list by catalog', viaRawCatalog, (i) => viaHttp(byCatalog(i)), (i) => viaEngine(byCatalog(i)));
    const search = await compare('contains search', viaRawText, (i) => viaHttp(byText(i)), (i) => viaEngine(byText(i)));
    const [listRaw, listHttp, listEngine] = [list.raw, list.http, list.engine];
    const [textRaw, textHttp, textEngine] = [search.raw, search.http, search.engine];

    // Creates: every variant writes new packages into the seeded catalogs.
    const createBody = (label: string, i: number) => ({ displayName: `Bench ${label} ${i}`, description: 'Created by the benchmark.', catalog: { id: catalogIds[i % catalogIds.length] } });
    const post = async (body: unknown) => {
      const res = await fetch(`${serviceRoot}/${listPath}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST accessPackages: ${res.status} ${text.slice(0, 300)}`);
    };
    const createRaw = await measure(creates, 0, async (i) => {
      const now = new Date().toISOString();
      const catalogId = catalogIds[i % catalogIds.length];
      const pkg: AccessPackagesTable = { id: newId(), catalogId, displayName: `Bench raw ${i}`, description: 'Created by the benchmark.', isHidden: 0, createdDateTime: now, modifiedDateTime: now };
      const audit = auditRow(
        { db: store.db, dialect: store.dialect, principal, clock: systemClock, requestId: randomUUID(), publicUrl: config.config.publicUrl, subscriptions: {}, wake: () => undefined },
        {
          activityDisplayName: 'Create access package',
          operationType: 'Add',
          targets: [
            { id: pkg.id, displayName: pkg.displayName, type: 'AccessPackage' },
            { id: catalogId, displayName: null, type: 'AccessPackageCatalog' },
          ],
        },
      );
      await rawDriver.insertPackageWithAudit(pkg, audit);
    });
    results.push({ name: 'create: raw INSERT + audit, 1 tx each', summary: createRaw });
    const createHttp = await measure(creates, 20, (i) => post(createBody('http', i)));
    results.push({ name: 'create: HTTP POST, 1 client', summary: createHttp, raw: createRaw });
    const createConcurrent = await measureConcurrent(concurrentClients, createsPerClient, (client, i) => post(createBody(`client${client}`, i)));
    results.push({ name: `create: HTTP POST, ${concurrentClients} clients × ${createsPerClient}`, summary: createConcurrent, raw: createRaw });
    const createCommand = await measure(creates, 0, (i) =>
      createAccessPackage(
        { db: store.db, dialect: store.dialect, principal, clock: systemClock, requestId: randomUUID(), publicUrl: config.config.publicUrl, subscriptions: {}, wake: () => undefined },
        createAccessPackageBody.parse(createBody('command', i)),
      ),
    );
    results.push({ name: 'create: command in-process', summary: createCommand, raw: createRaw });

    // Where the time goes: the engine's SQL for one catalog page, and the plan the database picks.
    heading('query plans: the engine\'s queries, then the baseline\'s (catalog page, contains search)');
    const compiled: CompiledQuery[] = [];
    const executor = store.db.getExecutor();
    const probe = store.db.withPlugin(captureQueries((node, args) => executor.compileQuery(node, args.queryId), compiled));
    for (const url of [byCatalog(0), byText(0)]) {
      compiled.length = 0;
      await listCollection(probe, { entity: accessPackage, options: readQueryOptions(url.searchParams), scope, visibility: unrestricted, context, requestUrl: url });
      for (const query of compiled) {
        out(`engine SQL: ${query.sql.replace(/\s+/g, ' ').replace(/in \((\?|\$\d+)(, (\?|\$\d+))+\)/g, 'in (…)').slice(0, 220)}`);
        for (const line of await rawDriver.explain(query.sql, query.parameters)) out(`   ${clip(line)}`);
      }
    }
    for (const [label, text, params] of [
      ['catalog page', rawByCatalog, [catalogSequence[0], top + 1]],
      ['contains search', rawByText, [`%${needleSequence[0].toLowerCase()}%`, top + 1]],
    ] as const) {
      out(`baseline SQL (${label}):`);
      for (const line of await rawDriver.explain(text, params)) out(`   ${clip(line)}`);
    }

    heading(`results — ${target.dialect}: reads ${iterations} sequential iterations after ${warmup} warm-up, variants in turns; creates ${creates} each`);
    printTable(
      ['operation', 'p50 ms', 'p95 ms', 'p99 ms', 'mean ms', 'ops/s', '×raw p50', '×raw p99'],
      results.map(({ name, summary: s, raw: r }) => [
        name,
        fmt(s.p50),
        fmt(s.p95),
        fmt(s.p99),
        fmt(s.mean),
        fmt(s.opsPerSec, 0),
        r ? `${fmt(s.p50 / r.p50, 1)}×` : '',
        r ? `${fmt(s.p99 / r.p99, 1)}×` : '',
      ]),
    );

    heading(`targets (set for SQLite on a 2-core machine${target.dialect === 'sqlite' ? '' : '; shown for comparison'})`);
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    out(`${verdict(listHttp.p99 < targetP99Ms)}  filtered list, HTTP p99 < ${targetP99Ms} ms: ${fmt(listHttp.p99)} ms`);
    out(`${verdict(listHttp.p99 <= targetRatio * listRaw.p99)}  filtered list, HTTP p99 ≤ ${targetRatio}× raw p99: ${fmt(listHttp.p99)} / ${fmt(listRaw.p99)} ms = ${fmt(listHttp.p99 / listRaw.p99, 1)}×`);
    out(`${verdict(listEngine.p99 <= targetRatio * listRaw.p99)}  filtered list, engine p99 ≤ ${targetRatio}× raw p99: ${fmt(listEngine.p99)} / ${fmt(listRaw.p99)} ms = ${fmt(listEngine.p99 / listRaw.p99, 1)}×`);
    out(`info  contains search, HTTP p99 ${fmt(textHttp.p99)} ms = ${fmt(textHttp.p99 / textRaw.p99, 1)}× raw; engine ${fmt(textEngine.p99 / textRaw.p99, 1)}× raw`);
    out(`info  creates/s: HTTP 1 client ${fmt(createHttp.opsPerSec, 0)}, ${concurrentClients} clients ${fmt(createConcurrent.opsPerSec, 0)}, command ${fmt(createCommand.opsPerSec, 0)}, raw ${fmt(createRaw.opsPerSec, 0)}`);
  } finally {
    keepAlive?.destroy();
    await server?.stop();
    await raw?.close();
    await portier?.close();
    await target.cleanup();
  }
}
