import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer, em } from '../helpers/server';

const admin = 'admin@contoso.test';
const megan = 'megan@contoso.test';
const alex = 'alex@contoso.test';
const falcon = demo.projectFalcon;

describe('resourceRequests (catalog resources)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  async function newCatalog(as: string, displayName: string): Promise<string> {
    const res = await server.graph('POST', `${em}/catalogs`, { as, body: { displayName } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const addGroup = (as: string, catalogId: string, groupId: string) =>
    server.graph('POST', `${em}/resourceRequests`, { as, body: { requestType: 'adminAdd', resource: { originId: groupId, originSystem: 'AadGroup' }, catalog: { id: catalogId } } });

  async function countRows(table: 'resources' | 'resource_roles' | 'resource_scopes' | 'resource_requests', catalogId: string): Promise<number> {
    const rows = await server.portier.store.db.selectFrom(table).select('id').where('catalogId', '=', catalogId).execute();
    return rows.length;
  }

  it('adds a group and a site to a catalog as admin, with their roles and root scopes', async () => {
    const catalogId = await newCatalog(admin, 'Resources: admin');
    const group = await server.graph('POST', `${em}/resourceRequests?$expand=resource`, {
      as: admin,
      body: { requestType: 'adminAdd', resource: { displayName: 'ignored', originId: falcon.groupId, originSystem: 'AadGroup' }, catalog: { id: catalogId } },
    });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({ requestType: 'adminAdd', state: 'delivered', id: expect.any(String), createdDateTime: expect.any(String) });
    // The resource takes its name from the group, not from the body.
    expect(group.body.resource).toMatchObject({ displayName: 'Project Falcon', originId: falcon.groupId, originSystem: 'AadGroup' });

    const site = await server.graph('POST', `${em}/resourceRequests`, {
      as: admin,
      body: { requestType: 'adminAdd', resource: { originId: falcon.siteUrl, originSystem: 'SharePointOnline', resourceType: 'SharePoint Online Site', url: falcon.siteUrl }, catalog: { id: catalogId } },
    });
    expect(site.status).toBe(201);

    const resources = await server.graph('GET', `${em}/catalogs/${catalogId}/resources?$expand=roles,scopes&$orderby=originSystem`, { as: admin });
    expect(resources.status).toBe(200);
    expect(resources.body.value).toHaveLength(2);
    const [groupResource, siteResource] = resources.body.value;
    expect(groupResource).toMatchObject({ originSystem: 'AadGroup', displayName: 'Project Falcon', description: expect.stringContaining('Project Falcon team') });
    expect(groupResource.roles.map((r: any) => [r.displayName, r.originId]).sort()).toEqual([
      ['Member', `Member_${falcon.groupId}`],
      ['Owner', `Owner_${falcon.groupId}`],
    ]);
    expect(groupResource.scopes).toEqual([expect.objectContaining({ originId: falcon.groupId, isRootScope: true, originSystem: 'AadGroup' })]);
    expect(siteResource).toMatchObject({ originSystem: 'SharePointOnline', originId: falcon.siteUrl, displayName: 'Project Falcon' });
    expect(siteResource.roles.map((r: any) => [r.originId, r.displayName]).sort()).toEqual([
      ['3', 'Project Falcon Owners'],
      ['4', 'Project Falcon Visitors'],
      ['5', 'Project Falcon Members'],
    ]);
    expect(siteResource.scopes).toEqual([expect.objectContaining({ originId: falcon.siteUrl, isRootScope: true })]);

    const filtered = await server.graph('GET', `${em}/catalogs/${catalogId}/resources?$filter=originSystem eq 'AadGroup'&$select=id,displayName`, { as: admin });
    expect(filtered.body.value).toEqual([{ id: groupResource.id, displayName: 'Project Falcon' }]);

    const roles = await server.graph('GET', `${em}/catalogs/${catalogId}/resourceRoles?$filter=resource/id eq '${siteResource.id}'`, { as: admin });
    expect(roles.status).toBe(200);
    expect(roles.body.value.map((r: any) => r.originId).sort()).toEqual(['3', '4', '5']);

    const scopes = await server.graph('GET', `${em}/catalogs/${catalogId}/resourceScopes?$expand=resource($select=id)`, { as: admin });
    expect(scopes.body.value).toHaveLength(2);
    expect(scopes.body.value.map((s: any) => s.resource.id).sort()).toEqual([groupResource.id, siteResource.id].sort());

    // The requests are recorded and readable.
    const requests = await server.graph('GET', `${em}/resourceRequests?$filter=requestType eq 'adminAdd'`, { as: admin });
    expect(requests.body.value.map((r: any) => r.id)).toEqual(expect.arrayContaining([group.body.id, site.body.id]));
    const one = await server.graph('GET', `${em}/resourceRequests/${group.body.id}?$expand=resource`, { as: admin });
    expect(one.status).toBe(200);
    expect(one.body.resource.id).toBe(groupResource.id);

    const auditRows = await server.portier.store.db.selectFrom('directory_audits').select('targetResources').where('activityDisplayName', '=', 'Add resource to catalog').execute();
    expect(auditRows.some((a) => a.targetResources.includes(groupResource.id))).toBe(true);
  });

  it('refuses adding a resource that is already in the catalog, writing nothing', async () => {
    const catalogId = await newCatalog(admin, 'Resources: duplicate');
    expect((await addGroup(admin, catalogId, falcon.groupId)).status).toBe(201);
    const before = await countRows('resource_requests', catalogId);
    const again = await addGroup(admin, catalogId, falcon.groupId);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ResourceAlreadyOnboarded');
    expect(await countRows('resources', catalogId)).toBe(1);
    expect(await countRows('resource_roles', catalogId)).toBe(2);
    expect(await countRows('resource_requests', catalogId)).toBe(before);
  });

  it('lets megan add a group she owns to a catalog she created, but not a group she does not own', async () => {
    const catalogId = await newCatalog(megan, 'Resources: megan');
    const res = await addGroup(megan, catalogId, falcon.groupId);
    expect(res.status).toBe(201);
    const site = await server.graph('POST', `${em}/resourceRequests`, {
      as: megan,
      body: { requestType: 'adminAdd', resource: { originId: `${falcon.siteUrl}/`, originSystem: 'SharePointOnline' }, catalog: { id: catalogId } },
    });
    expect(site.status).toBe(201);

    // A group created by the administrator, that megan does not own.
    const otherGroupId = 'f0000000-0000-4000-8000-00000000beef';
    await server.portier.store.db
      .insertInto('groups')
      .values({
        id: otherGroupId,
        displayName: 'Finance',
        description: null,
        mail: null,
        mailNickname: 'finance',
        mailEnabled: 0,
        securityEnabled: 1,
        groupTypes: '[]',
        visibility: null,
        resourceProvisioningOptions: '[]',
        createdDateTime: new Date().toISOString(),
      })
      .execute();
    const refused = await addGroup(megan, catalogId, otherGroupId);
    expect(refused.status).toBe(403);
    expect(await countRows('resources', catalogId)).toBe(2);

    // Her catalog's requests are visible to her; other catalogs' are not.
    const mine = await server.graph('GET', `${em}/resourceRequests`, { as: megan });
    expect(mine.status).toBe(200);
    expect(mine.body.value.every((r: any) => typeof r.id === 'string')).toBe(true);
    expect(mine.body.value.map((r: any) => r.id)).toContain(res.body.id);
    const adminCatalog = await newCatalog(admin, 'Resources: hidden from megan');
    const adminRequest = await addGroup(admin, adminCatalog, otherGroupId);
    expect(adminRequest.status).toBe(201);
    expect((await server.graph('GET', `${em}/resourceRequests`, { as: megan })).body.value.map((r: any) => r.id)).not.toContain(adminRequest.body.id);
    expect((await server.graph('GET', `${em}/resourceRequests/${adminRequest.body.id}`, { as: megan })).status).toBe(404);
    // And she cannot add to a catalog she has no role in.
    expect((await addGroup(megan, adminCatalog, falcon.groupId)).status).toBe(404);
  });

  it('hides catalogs from people without a role in them', async () => {
    const catalogId = await newCatalog(admin, 'Resources: alex');
    const res = await addGroup(alex, catalogId, falcon.groupId);
    expect(res.status).toBe(404);
    expect(await countRows('resources', catalogId)).toBe(0);
    expect((await server.graph('GET', `${em}/resourceRequests`, { as: alex })).body.value).toEqual([]);
    expect((await server.graph('GET', `${em}/catalogs/${catalogId}/resources`, { as: alex })).status).toBe(404);
  });

  it('removes a resource with adminRemove, and refuses while an access package uses its roles', async () => {
    const catalogId = await newCatalog(admin, 'Resources: remove');
    expect((await addGroup(admin, catalogId, falcon.groupId)).status).toBe(201);
    const [resource] = (await server.graph('GET', `${em}/catalogs/${catalogId}/resources?$expand=roles,scopes`, { as: admin })).body.value;

    const pkg = await server.graph('POST', `${em}/accessPackages`, { as: admin, body: { displayName: 'Uses Falcon', catalog: { id: catalogId } } });
    expect(pkg.status).toBe(201);
    const member = resource.roles.find((r: any) => r.displayName === 'Member');
    const roleScope = await server.graph('POST', `${em}/accessPackages/${pkg.body.id}/resourceRoleScopes`, {
      as: admin,
      body: { role: { id: member.id, originId: member.originId, originSystem: 'AadGroup' }, scope: { id: resource.scopes[0].id, originId: falcon.groupId, originSystem: 'AadGroup' } },
    });
    expect(roleScope.status).toBe(201);

    const requestsBefore = await countRows('resource_requests', catalogId);
    const inUse = await server.graph('POST', `${em}/resourceRequests`, { as: admin, body: { requestType: 'adminRemove', resource: { id: resource.id }, catalog: { id: catalogId } } });
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe('ResourceInUse');
    expect(await countRows('resources', catalogId)).toBe(1);
    expect(await countRows('resource_roles', catalogId)).toBe(2);
    expect(await countRows('resource_requests', catalogId)).toBe(requestsBefore);

    expect((await server.graph('DELETE', `${em}/accessPackages/${pkg.body.id}/resourceRoleScopes/${roleScope.body.id}`, { as: admin })).status).toBe(204);
    const removed = await server.graph('POST', `${em}/resourceRequests`, {
      as: admin,
      body: { requestType: 'adminRemove', resource: { originId: falcon.groupId, originSystem: 'AadGroup' }, catalog: { id: catalogId } },
    });
    expect(removed.status).toBe(201);
    expect(removed.body).toMatchObject({ requestType: 'adminRemove', state: 'delivered' });
    expect(await countRows('resources', catalogId)).toBe(0);
    expect(await countRows('resource_roles', catalogId)).toBe(0);
    expect(await countRows('resource_scopes', catalogId)).toBe(0);
    const audit = await server.portier.store.db.selectFrom('directory_audits').select('id').where('activityDisplayName', '=', 'Remove resource from catalog').execute();
    expect(audit.length).toBeGreaterThanOrEqual(1);

    const gone = await server.graph('POST', `${em}/resourceRequests`, { as: admin, body: { requestType: 'adminRemove', resource: { id: resource.id }, catalog: { id: catalogId } } });
    expect(gone.status).toBe(404);
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const catalogId = await newCatalog(admin, 'Resources: bad bodies');
    const post = (body: unknown) => server.graph('POST', `${em}/resourceRequests`, { as: admin, body });
    const cases: Array<[unknown, string]> = [
      [{ requestType: 'adminAdd', resource: { originId: falcon.groupId, originSystem: 'AadGroup', colour: 'red' }, catalog: { id: catalogId } }, 'resource.colour'],
      [{ requestType: 'adminUpdate', resource: { originId: falcon.groupId, originSystem: 'AadGroup' }, catalog: { id: catalogId } }, 'requestType'],
      [{ requestType: 'adminAdd', resource: { originId: falcon.groupId, originSystem: 'Teams' }, catalog: { id: catalogId } }, 'resource.originSystem'],
      [{ requestType: 'adminAdd', resource: { originId: falcon.groupId, originSystem: 'AadGroup' } }, 'catalog'],
      [{ requestType: 'adminAdd', resource: { originSystem: 'AadGroup' }, catalog: { id: catalogId } }, 'resource.originId'],
      [{ requestType: 'adminRemove', resource: {}, catalog: { id: catalogId } }, 'resource.id'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.error.message).toContain(field);
    }
    expect(await countRows('resources', catalogId)).toBe(0);

    const missingGroup = await post({ requestType: 'adminAdd', resource: { originId: 'f0000000-0000-4000-8000-000000000000', originSystem: 'AadGroup' }, catalog: { id: catalogId } });
    expect(missingGroup.status).toBe(404);
    const missingCatalog = await post({ requestType: 'adminAdd', resource: { originId: falcon.groupId, originSystem: 'AadGroup' }, catalog: { id: 'f0000000-0000-4000-8000-000000000000' } });
    expect(missingCatalog.status).toBe(404);
  });
});
