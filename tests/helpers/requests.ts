import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../bot/store/schema';
import { addGroupToCatalog, buildAccessPackage, buildCatalog, buildGroup, buildPolicy, unique } from './factories';
import { em, TestServer } from './server';
import { assertGraphConformance } from './conformance';

/**
 * Building blocks for the request, approval, race and crash tests: a package of its own (with a
 * group of its own as its resource role), partner home accounts in tenants of their own, and short
 * ways to submit, read and decide over HTTP. Everything goes through the embedded Graph except the
 * partner accounts, which live in other tenants and so are outside this directory's API.
 */

export const admin = 'admin@contoso.test';

/** `requestorSettings` that let people in scope request for themselves. */
export const selfAdd = { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: false, enableTargetsToSelfRemoveAccess: false, allowCustomAssignmentSchedule: false };

export const singleUser = (userId: string) => ({ '@odata.type': '#microsoft.graph.singleUser', userId });
export const groupMembers = (groupId: string) => ({ '@odata.type': '#microsoft.graph.groupMembers', groupId });

/** One approval stage; `overrides` replace Graph's defaults. */
export function stage(primaryApprovers: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { durationBeforeAutomaticDenial: 'P14D', isApproverJustificationRequired: false, isEscalationEnabled: false, primaryApprovers, fallbackPrimaryApprovers: [], ...overrides };
}

/** `requestApprovalSettings` with the given stages (none: no approval). */
export function approval(stages: Record<string, unknown>[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { isApprovalRequiredForAdd: stages.length > 0, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: false, stages, ...overrides };
}

export interface TestPackage {
  catalogId: string;
  packageId: string;
  policyId: string;
  /** The group whose Member role the package grants. */
  groupId: string;
}

/**
 * A published catalog (visible to externals unless `catalog` says otherwise) with a new group as
 * its resource, a package granting the group's Member role, and one policy (`policy` overrides the
 * factory's body; people in scope may request for themselves).
 */
export async function buildRequestablePackage(server: TestServer, options: { catalog?: Record<string, unknown>; policy?: Record<string, unknown>; groupId?: string } = {}): Promise<TestPackage> {
  const catalog = await buildCatalog(server, admin, { state: 'published', isExternallyVisible: true, ...options.catalog });
  const groupId = options.groupId ?? (await buildGroup(server, admin)).id;
  await addGroupToCatalog(server, admin, catalog.id, groupId);
  const pkg = await buildAccessPackage(server, admin, catalog.id);
  await addGroupMemberRole(server, pkg.id, catalog.id, groupId);
  const policy = await buildPolicy(server, admin, pkg.id, { requestorSettings: selfAdd, ...options.policy });
  return { catalogId: catalog.id, packageId: pkg.id, policyId: policy.id, groupId };
}

/** Adds the Member role of `groupId` (a resource of the catalog) to the package. */
export async function addGroupMemberRole(server: TestServer, packageId: string, catalogId: string, groupId: string): Promise<void> {
  const resources = await server.graph('GET', `${em}/catalogs/${catalogId}/resources?$filter=originId eq '${groupId}'`, { as: admin });
  const resource = resources.body.value?.[0];
  if (!resource) throw new Error(`group ${groupId} is not a resource of catalog ${catalogId}: ${JSON.stringify(resources.body)}`);
  const res = await server.graph('POST', `${em}/accessPackages/${packageId}/resourceRoleScopes`, {
    as: admin,
    body: { role: { originId: `Member_${groupId}`, originSystem: 'AadGroup', resource: { id: resource.id } }, scope: { originId: groupId, originSystem: 'AadGroup' } },
  });
  if (res.status !== 201) throw new Error(`resourceRoleScopes: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Another policy on an existing package. */
export async function addPolicy(server: TestServer, packageId: string, overrides: Record<string, unknown>): Promise<string> {
  return (await buildPolicy(server, admin, packageId, { requestorSettings: selfAdd, ...overrides })).id;
}

/**
 * A home account in another tenant (a partner user who signs in with their own organization), so a
 * test can have partners of organizations of its own. Tenants are created on first use.
 */
export async function partnerAccount(server: TestServer, options: { tenantId: string; domain: string; name?: string }): Promise<string> {
  const [upn] = await partnerAccounts(server.portier.store.db, 1, options);
  return upn;
}

/** `count` home accounts in one tenant, inserted at once; returns their UPNs. */
export async function partnerAccounts(db: Kysely<Database>, count: number, options: { tenantId: string; domain: string; name?: string }): Promise<string[]> {
  await db.insertInto('tenants').values({ id: options.tenantId, displayName: options.domain, domains: JSON.stringify([options.domain]), isHome: 0 }).onConflict((oc) => oc.doNothing()).execute();
  const rows = Array.from({ length: count }, () => {
    const local = unique('p');
    const upn = `${local}@${options.domain}`;
    return { tenantId: options.tenantId, id: randomUUID(), userPrincipalName: upn, displayName: options.name ?? `Partner ${local}`, mail: upn };
  });
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('external_accounts').values(rows.slice(i, i + 500)).execute();
  return rows.map((r) => r.userPrincipalName);
}

/** A new partner organization's identity: a tenant id and a domain nobody uses yet. */
export function newPartnerTenant(): { tenantId: string; domain: string } {
  return { tenantId: randomUUID(), domain: `${unique('org')}.test` };
}

/** `POST assignmentRequests` with a `userAdd` for `packageId`; `extra` is merged into the body. */
export function userAdd(server: TestServer, as: string, packageId: string, extra: Record<string, unknown> = {}) {
  const { assignment, ...rest } = extra as { assignment?: Record<string, unknown> };
  return server.graph('POST', `${em}/assignmentRequests`, { as, body: { requestType: 'userAdd', assignment: { accessPackageId: packageId, ...assignment }, ...rest } });
}

/** Submits a `userAdd` that must be accepted; returns the request id. */
export async function submit(server: TestServer, as: string, packageId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await userAdd(server, as, packageId, extra);
  if (res.status !== 201) throw new Error(`userAdd by ${as}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** The request as `as` (an administrator by default) reads it. */
export async function readRequest(server: TestServer, requestId: string, as = admin): Promise<any> {
  const res = await server.graph('GET', `${em}/assignmentRequests/${requestId}?$expand=assignment`, { as });
  if (res.status !== 200) throw new Error(`GET request ${requestId} as ${as}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The stages of an approval as `as` sees them. */
export async function stagesOf(server: TestServer, requestId: string, as = admin): Promise<any[]> {
  const res = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${requestId}/stages`, { as });
  if (res.status !== 200) throw new Error(`GET stages of ${requestId} as ${as}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.value;
}

/** PATCHes the stage in progress (or `stageId`) of `requestId` as `as`; returns the response. */
export async function decide(server: TestServer, as: string, requestId: string, body: Record<string, unknown>, stageId?: string) {
  const id = stageId ?? (await stagesOf(server, requestId)).find((s) => s.status === 'InProgress')?.id;
  if (!id) throw new Error(`no stage in progress for ${requestId}`);
  return server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${requestId}/stages/${id}`, { as, body });
}

/** Events of `type` about `subjectId` (a request or assignment id), oldest first, payloads parsed. */
export async function eventsOf(server: TestServer, type: string, subjectId?: string): Promise<Array<{ id: string; subjectId: string; payload: any }>> {
  let query = server.portier.store.db.selectFrom('outbox_events').select(['id', 'subjectId', 'payload', 'createdDateTime']).where('type', '=', type);
  if (subjectId) query = query.where('subjectId', '=', subjectId);
  const rows = await query.orderBy('createdDateTime').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, subjectId: r.subjectId, payload: JSON.parse(r.payload) }));
}

/** The directory user id behind a UPN (members and guests). */
export async function userIdOf(server: TestServer, upn: string): Promise<string> {
  const row = await server.portier.store.db.selectFrom('users').select('id').where('userPrincipalName', '=', upn).executeTakeFirstOrThrow();
  return row.id;
}

/** Runs `work` over `items` with at most `limit` at a time; results in order. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

export type GraphCall = <T = any>(method: string, path: string, options?: { as?: string; body?: unknown }) => Promise<{ status: number; body: T }>;

/**
 * The embedded Graph of a Portier at `baseUrl` (a server process), like `TestServer.graph`: dev
 * tokens per UPN, cached. A connection that fails (the process died) answers status 0.
 */
export function graphAt(baseUrl: string): GraphCall {
  const tokens = new Map<string, Promise<string>>();
  const token = (upn: string) => {
    let cached = tokens.get(upn);
    if (!cached) {
      cached = fetch(`${baseUrl}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn }) }).then(async (res) => {
        if (res.status !== 200) throw new Error(`dev token for ${upn}: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { access_token: string }).access_token;
      });
      tokens.set(upn, cached);
      cached.catch(() => tokens.delete(upn));
    }
    return cached;
  };
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      if (options.as) headers.authorization = `Bearer ${await token(options.as)}`;
      const res = await fetch(`${baseUrl}/graph/v1.0/${path.replace(/^\//, '')}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
      const text = await res.text();
      const body = text ? JSON.parse(text) : undefined;
      if (res.status < 300 || (res.status >= 400 && body !== undefined)) assertGraphConformance(method, path, body, res.status);
      return { status: res.status, body };
    } catch (error) {
      // fetch fails with a TypeError when the connection cannot be made or is cut (from undici's
      // realm, so `instanceof` does not see it inside jest's sandbox).
      if ((error as Error | undefined)?.name === 'TypeError') return { status: 0, body: undefined as never };
      throw error;
    }
  };
}

/** Polls `check` every 50 ms until it returns true, or fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
