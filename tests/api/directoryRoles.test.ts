import { entitlementRoles } from '../../bot/domain/roles';
import { demo } from '../../bot/seed/tenant';
import { em, startTestServer, TestServer } from '../helpers/server';

const admin = 'admin@contoso.test';
const alex = 'alex@contoso.test';
const megan = 'megan@contoso.test';
const lee = 'lee@contoso.test';
const ruthGuest = demo.ruthGuest.upn;
const base = 'roleManagement/entitlementManagement';
const { catalogOwner, catalogReader, catalogCreator, accessPackageManager } = entitlementRoles;

describe('directory: entitlement management roles', () => {
  let server: TestServer;
  let catalogId: string;
  let otherCatalogId: string;
  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_SEED: 'directory' } });
    // Megan is catalog creator: she owns what she creates.
    const mine = await server.graph('POST', `${em}/catalogs`, { as: megan, body: { displayName: 'Megan catalog' } });
    const other = await server.graph('POST', `${em}/catalogs`, { as: admin, body: { displayName: 'Admin catalog' } });
    catalogId = mine.body.id;
    otherCatalogId = other.body.id;
  });
  afterAll(() => server.close());

  it('lists the five built-in role definitions and reads one', async () => {
    const list = await server.graph('GET', `${base}/roleDefinitions?$select=displayName`, { as: alex });
    expect(list.status).toBe(200);
    expect(list.body.value.map((d: any) => d.displayName).sort()).toEqual(['Access package assignment manager', 'Access package manager', 'Catalog creator', 'Catalog owner', 'Catalog reader']);
    const one = await server.graph('GET', `${base}/roleDefinitions/${catalogOwner}`, { as: alex });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ displayName: 'Catalog owner', isBuiltIn: true, rolePermissions: [expect.objectContaining({ allowedResourceActions: expect.any(Array) })] });
    // Directory roles belong to another provider.
    expect((await server.graph('GET', `${base}/roleDefinitions/45d8d3c5-c802-45c6-b32a-1d70b5e1e86e`, { as: alex })).status).toBe(404);
    expect((await server.graph('GET', `${base}/roleDefinitions`, { as: ruthGuest })).status).toBe(403);
  });

  it('lets an administrator grant, read, filter, expand and remove a catalog role', async () => {
    const res = await server.graph('POST', `${base}/roleAssignments`, {
      as: admin,
      body: { '@odata.type': '#microsoft.graph.unifiedRoleAssignment', principalId: demo.users.lee.id, roleDefinitionId: catalogReader, appScopeId: `/AccessPackageCatalog/${otherCatalogId}`, directoryScopeId: '/' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ principalId: demo.users.lee.id, roleDefinitionId: catalogReader, appScopeId: `/AccessPackageCatalog/${otherCatalogId}`, directoryScopeId: '/' });
    const id = res.body.id as string;

    const filtered = await server.graph('GET', `${base}/roleAssignments?$filter=principalId eq '${demo.users.lee.id}' and roleDefinitionId eq '${catalogReader}'&$expand=principal($select=displayName),roleDefinition($select=displayName)`, { as: admin });
    expect(filtered.status).toBe(200);
    expect(filtered.body.value).toEqual([expect.objectContaining({ id, principal: { '@odata.type': '#microsoft.graph.user', id: demo.users.lee.id, displayName: 'Lee Gu' }, roleDefinition: { id: catalogReader, displayName: 'Catalog reader' } })]);

    const byScope = await server.graph('GET', `${base}/roleAssignments?$filter=appScopeId eq '/AccessPackageCatalog/${otherCatalogId}'`, { as: admin });
    expect(byScope.body.value.map((a: any) => a.id)).toContain(id);

    const dup = await server.graph('POST', `${base}/roleAssignments`, { as: admin, body: { principalId: demo.users.lee.id, roleDefinitionId: catalogReader, appScopeId: `/AccessPackageCatalog/${otherCatalogId}` } });
    expect(dup.status).toBe(409);

    expect((await server.graph('GET', `${base}/roleAssignments/${id}`, { as: admin })).status).toBe(200);
    expect((await server.graph('DELETE', `${base}/roleAssignments/${id}`, { as: admin })).status).toBe(204);
    expect((await server.graph('GET', `${base}/roleAssignments/${id}`, { as: admin })).status).toBe(404);
    expect((await server.graph('DELETE', `${base}/roleAssignments/${id}`, { as: admin })).status).toBe(404);

    const audits = await server.graph('GET', "auditLogs/directoryAudits?$filter=category eq 'EntitlementManagement' and (activityDisplayName eq 'Create role assignment' or activityDisplayName eq 'Delete role assignment')", { as: admin });
    expect(audits.body.value.map((a: any) => a.activityDisplayName).sort()).toEqual(['Create role assignment', 'Delete role assignment']);
  });

  it('grants the catalog creator role only tenant-wide', async () => {
    const bad = await server.graph('POST', `${base}/roleAssignments`, { as: admin, body: { principalId: demo.users.alex.id, roleDefinitionId: catalogCreator, appScopeId: `/AccessPackageCatalog/${catalogId}` } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.target).toBe('appScopeId');
    const ok = await server.graph('POST', `${base}/roleAssignments`, { as: admin, body: { principalId: demo.users.alex.id, roleDefinitionId: catalogCreator, directoryScopeId: '/' } });
    expect(ok.status).toBe(201);
    expect(ok.body.appScopeId).toBe('/');
    // Alex can now create catalogs.
    expect((await server.graph('POST', `${em}/catalogs`, { as: alex, body: { displayName: 'Alex catalog' } })).status).toBe(201);
    expect((await server.graph('DELETE', `${base}/roleAssignments/${ok.body.id}`, { as: admin })).status).toBe(204);
  });

  it.each([
    ['an unknown property', { colour: 'red' }, 'colour'],
    ['a missing principalId', { principalId: undefined }, 'principalId'],
    ['a wrong type', { roleDefinitionId: 42 }, 'roleDefinitionId'],
    ['an unknown principal', { principalId: '00000000-0000-4000-8000-000000000000' }, 'principalId'],
    ['a directory role', { roleDefinitionId: '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e' }, 'roleDefinitionId'],
    ['a catalog role at the tenant scope', { appScopeId: '/' }, 'appScopeId'],
    ['a missing catalog', { appScopeId: '/AccessPackageCatalog/00000000-0000-4000-8000-000000000000' }, 'appScopeId'],
    ['a malformed scope', { appScopeId: '/somewhere/else' }, 'appScopeId'],
    ['a directory scope', { directoryScopeId: '/administrativeUnits/x' }, 'directoryScopeId'],
  ])('refuses %s with a 400 naming the field and grants nothing', async (_what, overrides, field) => {
    const body = { principalId: demo.users.adele.id, roleDefinitionId: catalogReader, appScopeId: `/AccessPackageCatalog/${otherCatalogId}`, ...overrides };
    const res = await server.graph('POST', `${base}/roleAssignments`, { as: admin, body });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    const list = await server.graph('GET', `${base}/roleAssignments?$filter=principalId eq '${demo.users.adele.id}'`, { as: admin });
    expect(list.body.value).toEqual([]);
  });

  it('lets a catalog owner manage the roles of their own catalog only', async () => {
    const mine = await server.graph('POST', `${base}/roleAssignments`, { as: megan, body: { principalId: demo.users.adele.id, roleDefinitionId: accessPackageManager, appScopeId: `/AccessPackageCatalog/${catalogId}` } });
    expect(mine.status).toBe(201);
    const theirs = await server.graph('POST', `${base}/roleAssignments`, { as: megan, body: { principalId: demo.users.adele.id, roleDefinitionId: catalogReader, appScopeId: `/AccessPackageCatalog/${otherCatalogId}` } });
    expect(theirs.status).toBe(403);
    const creator = await server.graph('POST', `${base}/roleAssignments`, { as: megan, body: { principalId: demo.users.adele.id, roleDefinitionId: catalogCreator, appScopeId: '/' } });
    expect(creator.status).toBe(403);
    expect((await server.graph('POST', `${base}/roleAssignments`, { as: alex, body: { principalId: demo.users.alex.id, roleDefinitionId: catalogOwner, appScopeId: `/AccessPackageCatalog/${catalogId}` } })).status).toBe(403);

    // Megan sees the assignments of her catalog and her own, not those of the admin's catalog.
    const seen = await server.graph('GET', `${base}/roleAssignments`, { as: megan });
    expect(seen.status).toBe(200);
    const scopes = new Set(seen.body.value.map((a: any) => a.appScopeId));
    expect(scopes).toEqual(new Set(['/', `/AccessPackageCatalog/${catalogId}`]));
    expect(seen.body.value.map((a: any) => a.id)).toContain(mine.body.id);

    // Adele sees her own assignment (and, as access package manager, her catalog's).
    const adele = await server.graph('GET', `${base}/roleAssignments?$filter=principalId eq '${demo.users.adele.id}'`, { as: 'adele@contoso.test' });
    expect(adele.body.value.map((a: any) => a.id)).toEqual([mine.body.id]);
    // Lee holds no role: he sees nothing, and an assignment id is not found for him.
    expect((await server.graph('GET', `${base}/roleAssignments`, { as: lee })).body.value).toEqual([]);
    expect((await server.graph('GET', `${base}/roleAssignments/${mine.body.id}`, { as: lee })).status).toBe(404);
    expect((await server.graph('DELETE', `${base}/roleAssignments/${mine.body.id}`, { as: lee })).status).toBe(404);
    // Adele sees it but may not remove it; Megan, the owner, may.
    expect((await server.graph('DELETE', `${base}/roleAssignments/${mine.body.id}`, { as: 'adele@contoso.test' })).status).toBe(403);
    expect((await server.graph('DELETE', `${base}/roleAssignments/${mine.body.id}`, { as: megan })).status).toBe(204);
    expect((await server.graph('GET', `${base}/roleAssignments`, { as: ruthGuest })).status).toBe(403);
  });
});
