import { entitlementRoles } from '../../bot/domain/roles';
import { demo } from '../../bot/seed/tenant';
import { buildUser, grantCatalogRole } from '../helpers/factories';
import { admin, buildRequestablePackage, partnerAccount, readRequest, submit, TestPackage } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * `…/entitlementManagement/assignments` (Graph v1.0 accessPackageAssignment) over HTTP: who sees
 * which assignments (administrators all, catalog roles their catalogs', everyone else their own),
 * OData on the collection, `filterByCurrentUser`, `additionalAccess` and `reprocess`.
 */
describe('assignments', () => {
  let server: TestServer;
  const clock = { t: Date.parse('2026-02-02T09:00:00Z'), now() { return new Date(this.t); } };
  const run = () => server.portier.jobs.runOnce();
  const db = () => server.portier.store.db;
  const list = (as: string, query = '') => server.graph('GET', `${em}/assignments${query}`, { as });
  const ids = (res: { body: { value: Array<{ id: string }> } }) => res.body.value.map((a) => a.id).sort();

  // Packages each in a catalog of their own: A1, A2, B1 for members, P1 for Fabrikam's partners.
  let a1: TestPackage;
  let a2: TestPackage;
  let b1: TestPackage;
  let p1: TestPackage;
  let u1: { id: string; upn: string };
  let u2: { id: string; upn: string };
  let reader: { id: string; upn: string };
  let partner: string;
  const assignmentOf: Record<string, string> = {};

  async function deliver(upn: string, pkg: TestPackage): Promise<string> {
    const requestId = await submit(server, upn, pkg.packageId);
    await run();
    const request = await readRequest(server, requestId);
    expect(request.state).toBe('delivered');
    return request.assignment.id as string;
  }

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    const member = async () => {
      const user = await buildUser(server, admin);
      return { id: user.id as string, upn: user.userPrincipalName as string };
    };
    [u1, u2, reader] = [await member(), await member(), await member()];
    a1 = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
    a2 = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
    b1 = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
    p1 = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allConfiguredConnectedOrganizationUsers' } });
    partner = await partnerAccount(server, { tenantId: demo.fabrikam.id, domain: demo.fabrikam.domain });

    assignmentOf.u1a1 = await deliver(u1.upn, a1);
    assignmentOf.u2a1 = await deliver(u2.upn, a1);
    assignmentOf.u1b1 = await deliver(u1.upn, b1);
    assignmentOf.u1a2 = await deliver(u1.upn, a2);
    assignmentOf.partnerP1 = await deliver(partner, p1);
    // Catalog reader of A1's catalog.
    await grantCatalogRole(server, admin, reader.id, entitlementRoles.catalogReader, a1.catalogId);
  });
  afterAll(() => server.close());

  it('administrators list every assignment as Graph shapes it', async () => {
    const res = await list(admin, '?$top=999');
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toContain('$metadata#identityGovernance/entitlementManagement/assignments');
    expect(ids(res)).toEqual(expect.arrayContaining(Object.values(assignmentOf)));
    const one = res.body.value.find((a: { id: string }) => a.id === assignmentOf.u1a1);
    expect(one).toMatchObject({ state: 'delivered', status: 'Delivered', expiredDateTime: null, customExtensionCalloutInstances: [] });
    expect(one.schedule).toMatchObject({ startDateTime: new Date(clock.t).toISOString(), expiration: { type: 'noExpiration' } });
    expect(Object.keys(one)).not.toContain('activeKey');
  });

  it('filters by target/objectId and state, and expands target, accessPackage and assignmentPolicy', async () => {
    const byTarget = await list(admin, `?$filter=target/objectId eq '${u1.id}'&$expand=target,accessPackage($select=id),assignmentPolicy($select=id)`);
    expect(byTarget.status).toBe(200);
    expect(ids(byTarget)).toEqual([assignmentOf.u1a1, assignmentOf.u1b1, assignmentOf.u1a2].sort());
    for (const a of byTarget.body.value) expect(a.target).toMatchObject({ objectId: u1.id, subjectType: 'user' });
    expect(byTarget.body.value.map((a: any) => a.accessPackage.id).sort()).toEqual([a1.packageId, a2.packageId, b1.packageId].sort());
    expect(byTarget.body.value.find((a: any) => a.id === assignmentOf.u1a1).assignmentPolicy.id).toBe(a1.policyId);

    const byPackage = await list(admin, `?$filter=accessPackage/id eq '${a1.packageId}'`);
    expect(ids(byPackage)).toEqual([assignmentOf.u1a1, assignmentOf.u2a1].sort());
    const delivered = await list(admin, `?$filter=accessPackage/id eq '${a1.packageId}' and state eq 'delivered'&$count=true`);
    expect(delivered.body['@odata.count']).toBe(2);
    expect((await list(admin, `?$filter=state eq 'bogus'`)).status).toBe(400);
    expect((await list(admin, `?$filter=colour eq 'red'`)).status).toBe(400);
  });

  it('a partner sees only their own assignments', async () => {
    const res = await list(partner);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([assignmentOf.partnerP1]);
    expect((await server.graph('GET', `${em}/assignments/${assignmentOf.partnerP1}?$expand=target`, { as: partner })).body.target.email).toBe(partner);
    expect((await server.graph('GET', `${em}/assignments/${assignmentOf.u1a1}`, { as: partner })).status).toBe(404);
    const mine = await server.graph('GET', `${em}/assignments/filterByCurrentUser(on='target')`, { as: partner });
    expect(ids(mine)).toEqual([assignmentOf.partnerP1]);
  });

  it("a catalog reader sees their catalog's assignments and their own, nothing else", async () => {
    const res = await list(reader.upn);
    expect(ids(res)).toEqual([assignmentOf.u1a1, assignmentOf.u2a1].sort());
    expect((await server.graph('GET', `${em}/assignments/${assignmentOf.u2a1}`, { as: reader.upn })).status).toBe(200);
    expect((await server.graph('GET', `${em}/assignments/${assignmentOf.u1b1}`, { as: reader.upn })).status).toBe(404);
    // A plain member sees their own only.
    expect(ids(await list(u2.upn))).toEqual([assignmentOf.u2a1]);
    expect((await server.graph('GET', `${em}/assignments/${assignmentOf.u1a1}`, { as: u2.upn })).status).toBe(404);
    expect(ids(await list('alex@contoso.test'))).toEqual([]);
  });

  it("filterByCurrentUser: 'target' is the caller's, 'createdBy' what the caller asked for", async () => {
    const target = await server.graph('GET', `${em}/assignments/filterByCurrentUser(on='target')?$filter=state eq 'delivered'`, { as: u1.upn });
    expect(target.status).toBe(200);
    expect(ids(target)).toEqual([assignmentOf.u1a1, assignmentOf.u1b1, assignmentOf.u1a2].sort());

    // The administrator assigns B1 to u2: created by the administrator, not by u2.
    const assigned = await server.graph('POST', `${em}/assignmentRequests`, {
      as: admin,
      body: { requestType: 'adminAdd', assignment: { accessPackageId: b1.packageId, assignmentPolicyId: b1.policyId, targetId: u2.id } },
    });
    expect(assigned.status).toBe(201);
    await run();
    const u2b1 = (await readRequest(server, assigned.body.id)).assignment.id as string;
    expect(ids(await server.graph('GET', `${em}/assignments/filterByCurrentUser(on='createdBy')`, { as: admin }))).toContain(u2b1);
    const u2Created = ids(await server.graph('GET', `${em}/assignments/filterByCurrentUser(on='createdBy')`, { as: u2.upn }));
    expect(u2Created).toEqual([assignmentOf.u2a1]);
    expect(ids(await server.graph('GET', `${em}/assignments/filterByCurrentUser(on='target')`, { as: u2.upn }))).toEqual([assignmentOf.u2a1, u2b1].sort());

    const bad = await server.graph('GET', `${em}/assignments/filterByCurrentUser(on='approver')`, { as: u2.upn });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("'on'");
  });

  it('additionalAccess: assignments of one package whose targets also hold the other', async () => {
    const path = (first: string, second: string) => `${em}/assignments/additionalAccess(accessPackageId='${first}',incompatibleAccessPackageId='${second}')`;
    const res = await server.graph('GET', `${path(a1.packageId, b1.packageId)}?$expand=target`, { as: admin });
    expect(res.status).toBe(200);
    // u1 holds A1 and B1; u2 holds A1 and, since the test before, B1.
    expect(ids(res)).toEqual([assignmentOf.u1a1, assignmentOf.u2a1].sort());
    expect(res.body.value.every((a: any) => a.target.objectId === u1.id || a.target.objectId === u2.id)).toBe(true);
    expect(ids(await server.graph('GET', path(a2.packageId, b1.packageId), { as: admin }))).toEqual([assignmentOf.u1a2]);
    // The reader of A1's catalog may ask about A1; a plain user may not know the package exists.
    expect((await server.graph('GET', path(a1.packageId, b1.packageId), { as: reader.upn })).status).toBe(200);
    expect((await server.graph('GET', path(b1.packageId, a1.packageId), { as: reader.upn })).status).toBe(404);
    expect((await server.graph('GET', path(a1.packageId, b1.packageId), { as: u1.upn })).status).toBe(404);
    const missing = await server.graph('GET', `${em}/assignments/additionalAccess(accessPackageId='${a1.packageId}')`, { as: admin });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('incompatibleAccessPackageId');
  });

  it('reprocess retries a failed delivery (202), re-evaluates a delivered one (202, managers only); anything else is refused', async () => {
    const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
    const user = await buildUser(server, admin);
    // The group goes away before delivery: the grant fails.
    const group = await db().selectFrom('groups').selectAll().where('id', '=', pkg.groupId).executeTakeFirstOrThrow();
    await db().deleteFrom('groups').where('id', '=', pkg.groupId).execute();
    const requestId = await submit(server, user.userPrincipalName, pkg.packageId);
    await run();
    const failed = await readRequest(server, requestId);
    expect(failed.state).toBe('deliveryFailed');
    const id = failed.assignment.id as string;
    expect((await server.graph('GET', `${em}/assignments/${id}`, { as: user.userPrincipalName })).body.state).toBe('deliveryFailed');

    // Someone who may not see it gets 404; the group comes back; the target reprocesses.
    expect((await server.graph('POST', `${em}/assignments/${id}/reprocess`, { as: u1.upn })).status).toBe(404);
    await db().insertInto('groups').values(group).execute();
    const reprocess = await server.graph('POST', `${em}/assignments/${id}/reprocess`, { as: user.userPrincipalName });
    expect(reprocess.status).toBe(202);
    await run();
    expect((await server.graph('GET', `${em}/assignments/${id}`, { as: admin })).body).toMatchObject({ state: 'delivered', status: 'Delivered' });
    expect(await db().selectFrom('group_members').select('memberId').where('groupId', '=', pkg.groupId).where('memberId', '=', user.id).executeTakeFirst()).toBeDefined();
    expect((await readRequest(server, requestId)).state).toBe('delivered');

    // Graph's rule for a delivered assignment: an assignment manager (or higher) has it re-evaluated
    // and enforced (202) — a membership taken away out of band comes back; its target may not (403).
    await db().deleteFrom('group_members').where('groupId', '=', pkg.groupId).where('memberId', '=', user.id).execute();
    expect((await server.graph('POST', `${em}/assignments/${id}/reprocess`, { as: user.userPrincipalName })).status).toBe(403);
    const again = await server.graph('POST', `${em}/assignments/${id}/reprocess`, { as: admin });
    expect(again.status).toBe(202);
    expect(await db().selectFrom('group_members').select('memberId').where('groupId', '=', pkg.groupId).where('memberId', '=', user.id).executeTakeFirst()).toBeDefined();
    expect((await server.graph('GET', `${em}/assignments/${id}`, { as: admin })).body).toMatchObject({ state: 'delivered', status: 'Delivered' });
    const audits = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq 'Reprocess access package assignment'`, { as: admin });
    expect(audits.body.value.length).toBeGreaterThanOrEqual(2);
    // Nothing else can be reprocessed: an ended assignment is 409.
    const ended = await db().selectFrom('assignments').select('id').where('activeKey', 'is', null).executeTakeFirst();
    if (ended) expect((await server.graph('POST', `${em}/assignments/${ended.id}/reprocess`, { as: admin })).status).toBe(409);
    expect((await server.graph('POST', `${em}/assignments/00000000-0000-4000-8000-000000000000/reprocess`, { as: admin })).status).toBe(404);
    // A reader of the catalog sees its assignments but may not reprocess them.
    expect((await server.graph('POST', `${em}/assignments/${assignmentOf.u1a1}/reprocess`, { as: reader.upn })).status).toBe(403);
  });
});
