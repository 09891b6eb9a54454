import { randomUUID } from 'node:crypto';
import { entitlementRoles } from '../../bot/domain/roles';
import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer, em } from '../helpers/server';

const admin = 'admin@contoso.test';
const megan = 'megan@contoso.test';
const alex = 'alex@contoso.test';
const falcon = demo.projectFalcon;
const graphRoot = 'https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement';

describe('accessPackages', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  async function newCatalog(as: string, displayName: string, withFalcon = false): Promise<string> {
    const res = await server.graph('POST', `${em}/catalogs`, { as, body: { displayName } });
    expect(res.status).toBe(201);
    const catalogId = res.body.id as string;
    if (withFalcon) {
      for (const resource of [
        { originId: falcon.groupId, originSystem: 'AadGroup' },
        { originId: falcon.siteUrl, originSystem: 'SharePointOnline' },
      ]) {
        const added = await server.graph('POST', `${em}/resourceRequests`, { as, body: { requestType: 'adminAdd', resource, catalog: { id: catalogId } } });
        expect(added.status).toBe(201);
      }
    }
    return catalogId;
  }

  async function newPackage(as: string, catalogId: string, displayName: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await server.graph('POST', `${em}/accessPackages`, { as, body: { displayName, catalog: { id: catalogId }, ...extra } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const db = () => server.portier.store.db;

  it('creates, reads, updates and deletes an access package as Graph does', async () => {
    const catalogId = await newCatalog(admin, 'Packages: CRUD');
    const create = await server.graph('POST', `${em}/accessPackages`, { as: admin, body: { displayName: 'Sales tools', description: 'CRM and reports', isHidden: true, catalog: { id: catalogId } } });
    expect(create.status).toBe(201);
    expect(create.body).toMatchObject({ displayName: 'Sales tools', description: 'CRM and reports', isHidden: true, id: expect.any(String), createdDateTime: expect.any(String) });
    const id = create.body.id as string;

    const get = await server.graph('GET', `${em}/accessPackages/${id}?$expand=catalog($select=id,displayName)`, { as: admin });
    expect(get.status).toBe(200);
    expect(get.body.catalog).toEqual({ id: catalogId, displayName: 'Packages: CRUD' });

    expect((await server.graph('PATCH', `${em}/accessPackages/${id}`, { as: admin, body: { displayName: 'Sales tools v2', isHidden: false } })).status).toBe(204);
    const after = await server.graph('GET', `${em}/accessPackages/${id}`, { as: admin });
    expect(after.body).toMatchObject({ displayName: 'Sales tools v2', isHidden: false, description: 'CRM and reports' });

    const otherCatalog = await newCatalog(admin, 'Packages: elsewhere');
    const move = await server.graph('PATCH', `${em}/accessPackages/${id}`, { as: admin, body: { catalog: { id: otherCatalog } } });
    expect(move.status).toBe(400);
    expect(move.body.error.message).toContain('catalog');

    expect((await server.graph('DELETE', `${em}/accessPackages/${id}`, { as: admin })).status).toBe(204);
    expect((await server.graph('GET', `${em}/accessPackages/${id}`, { as: admin })).status).toBe(404);
    expect((await server.graph('DELETE', `${em}/accessPackages/${id}`, { as: admin })).status).toBe(404);
    const audits = await db().selectFrom('directory_audits').select('activityDisplayName').where('targetResources', 'like', `%${id}%`).execute();
    expect(audits.map((a) => a.activityDisplayName)).toEqual(expect.arrayContaining(['Create access package', 'Update access package', 'Delete access package']));
  });

  it('scopes packages to catalog roles: megan sees hers (hidden too), alex sees none', async () => {
    const megansCatalog = await newCatalog(megan, 'Packages: megan');
    const hidden = await newPackage(megan, megansCatalog, 'Megan hidden', { isHidden: true });
    const adminCatalog = await newCatalog(admin, 'Packages: admin only');
    const adminsPackage = await newPackage(admin, adminCatalog, 'Admin package');

    const mine = await server.graph('GET', `${em}/accessPackages`, { as: megan });
    expect(mine.status).toBe(200);
    const ids = mine.body.value.map((p: any) => p.id);
    expect(ids).toContain(hidden);
    expect(ids).not.toContain(adminsPackage);
    expect((await server.graph('GET', `${em}/accessPackages/${adminsPackage}`, { as: megan })).status).toBe(404);
    expect((await server.graph('PATCH', `${em}/accessPackages/${adminsPackage}`, { as: megan, body: { displayName: 'Mine now' } })).status).toBe(404);
    expect((await server.graph('POST', `${em}/accessPackages`, { as: megan, body: { displayName: 'Sneaky', catalog: { id: adminCatalog } } })).status).toBe(404);

    expect((await server.graph('GET', `${em}/accessPackages`, { as: alex })).body.value).toEqual([]);
    expect((await server.graph('GET', `${em}/accessPackages/${hidden}`, { as: alex })).status).toBe(404);
    expect((await server.graph('DELETE', `${em}/accessPackages/${hidden}`, { as: alex })).status).toBe(404);
    const stillThere = await db().selectFrom('access_packages').select('displayName').where('id', '=', adminsPackage).executeTakeFirstOrThrow();
    expect(stillThere.displayName).toBe('Admin package');

    // A catalog reader sees the catalog's packages, hidden ones included, but may not change them.
    await db()
      .insertInto('role_assignments')
      .values({ id: randomUUID(), provider: 'entitlementManagement', principalId: demo.users.alex.id, roleDefinitionId: entitlementRoles.catalogReader, directoryScopeId: '/', appScopeId: `/AccessPackageCatalog/${megansCatalog}`, createdDateTime: now() })
      .execute();
    expect((await server.graph('GET', `${em}/accessPackages`, { as: alex })).body.value.map((p: any) => p.id)).toEqual([hidden]);
    expect((await server.graph('GET', `${em}/accessPackages/${hidden}`, { as: alex })).status).toBe(200);
    expect((await server.graph('PATCH', `${em}/accessPackages/${hidden}`, { as: alex, body: { isHidden: false } })).status).toBe(403);
    expect((await server.graph('POST', `${em}/accessPackages`, { as: alex, body: { displayName: 'Reader package', catalog: { id: megansCatalog } } })).status).toBe(403);
    expect((await server.graph('GET', `${em}/accessPackages/${hidden}`, { as: megan })).body.isHidden).toBe(true);
  });

  it('filters by catalog and name, and pages with $top and @odata.nextLink', async () => {
    const catalogId = await newCatalog(admin, 'Packages: paging');
    const other = await newCatalog(admin, 'Packages: paging other');
    for (const name of ['Alpha tools', 'Beta tools', 'Gamma tools', 'Delta stuff']) await newPackage(admin, catalogId, name);
    await newPackage(admin, other, 'Omega tools');

    const byCatalog = await server.graph('GET', `${em}/accessPackages?$filter=catalog/id eq '${catalogId}'&$count=true`, { as: admin });
    expect(byCatalog.status).toBe(200);
    expect(byCatalog.body['@odata.count']).toBe(4);

    const named = await server.graph('GET', `${em}/accessPackages?$filter=catalog/id eq '${catalogId}' and contains(displayName,'tools')&$orderby=displayName&$select=displayName`, { as: admin });
    expect(named.body.value.map((p: any) => p.displayName)).toEqual(['Alpha tools', 'Beta tools', 'Gamma tools']);
    expect(Object.keys(named.body.value[0]).sort()).toEqual(['displayName', 'id']);

    const first = await server.graph('GET', `${em}/accessPackages?$filter=catalog/id eq '${catalogId}'&$orderby=displayName&$top=3`, { as: admin });
    expect(first.body.value.map((p: any) => p.displayName)).toEqual(['Alpha tools', 'Beta tools', 'Delta stuff']);
    const next = first.body['@odata.nextLink'] as string;
    expect(new URL(next).searchParams.get('$skiptoken')).toEqual(expect.any(String));
    const second = await server.graph('GET', next.slice(next.indexOf('/graph/v1.0/') + '/graph/v1.0/'.length), { as: admin });
    expect(second.status).toBe(200);
    expect(second.body.value.map((p: any) => p.displayName)).toEqual(['Gamma tools']);
    expect(second.body['@odata.nextLink']).toBeUndefined();
  });

  it('adds resource roles with nested $expand, refuses foreign and duplicate ones', async () => {
    const catalogId = await newCatalog(admin, 'Packages: roles', true);
    const otherCatalog = await newCatalog(admin, 'Packages: roles other', true);
    const pkg = await newPackage(admin, catalogId, 'Falcon partner access');
    const resources = (await server.graph('GET', `${em}/catalogs/${catalogId}/resources?$expand=roles,scopes`, { as: admin })).body.value;
    const group = resources.find((r: any) => r.originSystem === 'AadGroup');
    const site = resources.find((r: any) => r.originSystem === 'SharePointOnline');

    // By origin, as the Graph docs show it.
    const member = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, {
      as: admin,
      body: {
        role: { displayName: 'Member', originId: `Member_${falcon.groupId}`, originSystem: 'AadGroup', resource: { id: group.id, originId: falcon.groupId, originSystem: 'AadGroup' } },
        scope: { originId: falcon.groupId, originSystem: 'AadGroup', isRootScope: true },
      },
    });
    expect(member.status).toBe(201);
    expect(member.body.role).toMatchObject({ displayName: 'Member', originId: `Member_${falcon.groupId}` });
    expect(member.body.scope).toMatchObject({ originId: falcon.groupId, isRootScope: true });

    // A site role: origin id "5" is only unique with its resource.
    const siteMembers = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, {
      as: admin,
      body: { role: { originId: '5', originSystem: 'SharePointOnline', resource: { originId: falcon.siteUrl } }, scope: { originId: falcon.siteUrl, originSystem: 'SharePointOnline' } },
    });
    expect(siteMembers.status).toBe(201);
    expect(siteMembers.body.role.displayName).toBe('Project Falcon Members');

    const duplicate = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, {
      as: admin,
      body: { role: { id: member.body.role.id }, scope: { id: member.body.scope.id } },
    });
    expect(duplicate.status).toBe(409);

    const foreignRole = (await server.graph('GET', `${em}/catalogs/${otherCatalog}/resourceRoles?$filter=originId eq 'Owner_${falcon.groupId}'`, { as: admin })).body.value[0];
    const foreign = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, {
      as: admin,
      body: { role: { id: foreignRole.id, originSystem: 'AadGroup' }, scope: { originId: falcon.groupId, originSystem: 'AadGroup' } },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toContain("'role'");
    const wrongScope = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, {
      as: admin,
      body: { role: { id: group.roles.find((r: any) => r.displayName === 'Owner').id }, scope: { id: site.scopes[0].id } },
    });
    expect(wrongScope.status).toBe(400);
    expect(wrongScope.body.error.message).toContain("'scope'");
    const badShape = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, { as: admin, body: { role: { id: 'x', colour: 'red' }, scope: { id: 'y' } } });
    expect(badShape.status).toBe(400);
    expect(badShape.body.error.message).toContain('role.colour');
    const noScope = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, { as: admin, body: { role: { id: 'x' } } });
    expect(noScope.status).toBe(400);
    expect(noScope.body.error.message).toContain('scope');

    const expanded = await server.graph('GET', `${em}/accessPackages/${pkg}?$expand=resourceRoleScopes($expand=role,scope)`, { as: admin });
    expect(expanded.status).toBe(200);
    expect(expanded.body.resourceRoleScopes).toHaveLength(2);
    expect(expanded.body.resourceRoleScopes.map((rs: any) => rs.role.originId).sort()).toEqual(['5', `Member_${falcon.groupId}`]);
    expect(expanded.body.resourceRoleScopes.every((rs: any) => rs.scope.isRootScope === true)).toBe(true);

    const list = await server.graph('GET', `${em}/accessPackages/${pkg}/resourceRoleScopes?$expand=role($expand=resource)`, { as: admin });
    expect(list.status).toBe(200);
    expect(list.body.value.map((rs: any) => rs.role.resource.id).sort()).toEqual([group.id, site.id].sort());

    expect((await server.graph('DELETE', `${em}/accessPackages/${pkg}/resourceRoleScopes/${siteMembers.body.id}`, { as: admin })).status).toBe(204);
    expect((await server.graph('GET', `${em}/accessPackages/${pkg}/resourceRoleScopes`, { as: admin })).body.value).toHaveLength(1);
    expect((await server.graph('DELETE', `${em}/accessPackages/${pkg}/resourceRoleScopes/${siteMembers.body.id}`, { as: admin })).status).toBe(404);
  });

  it('manages incompatible access packages and groups', async () => {
    const catalogId = await newCatalog(admin, 'Packages: incompatible');
    const a = await newPackage(admin, catalogId, 'Package A');
    const b = await newPackage(admin, catalogId, 'Package B');
    const ref = (id: string) => ({ '@odata.id': `${graphRoot}/accessPackages/${id}` });

    expect((await server.graph('POST', `${em}/accessPackages/${a}/incompatibleAccessPackages/$ref`, { as: admin, body: ref(b) })).status).toBe(204);
    expect((await server.graph('POST', `${em}/accessPackages/${a}/incompatibleAccessPackages/$ref`, { as: admin, body: ref(b) })).status).toBe(409);
    const self = await server.graph('POST', `${em}/accessPackages/${a}/incompatibleAccessPackages/$ref`, { as: admin, body: ref(a) });
    expect(self.status).toBe(400);
    expect((await server.graph('POST', `${em}/accessPackages/${a}/incompatibleAccessPackages/$ref`, { as: admin, body: ref(randomUUID()) })).status).toBe(404);
    expect((await server.graph('POST', `${em}/accessPackages/${a}/incompatibleAccessPackages/$ref`, { as: admin, body: { id: b } })).status).toBe(400);

    const incompatible = await server.graph('GET', `${em}/accessPackages/${a}/incompatibleAccessPackages?$select=id,displayName`, { as: admin });
    expect(incompatible.body.value).toEqual([{ id: b, displayName: 'Package B' }]);
    const reverse = await server.graph('GET', `${em}/accessPackages/${b}/accessPackagesIncompatibleWith?$select=id`, { as: admin });
    expect(reverse.body.value).toEqual([{ id: a }]);
    const expanded = await server.graph('GET', `${em}/accessPackages/${a}?$expand=incompatibleAccessPackages($select=id)`, { as: admin });
    expect(expanded.body.incompatibleAccessPackages).toEqual([{ id: b }]);

    expect((await server.graph('POST', `${em}/accessPackages/${a}/incompatibleGroups/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/groups/${falcon.groupId}` } })).status).toBe(204);
    expect((await server.graph('POST', `${em}/accessPackages/${a}/incompatibleGroups/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/groups/${randomUUID()}` } })).status).toBe(404);
    const groups = await server.graph('GET', `${em}/accessPackages/${a}/incompatibleGroups?$select=id,displayName`, { as: admin });
    expect(groups.body.value).toEqual([{ id: falcon.groupId, displayName: 'Project Falcon' }]);
    // alex has no role in the catalog: the package does not exist for him.
    expect((await server.graph('GET', `${em}/accessPackages/${a}/incompatibleGroups`, { as: alex })).status).toBe(404);
    expect((await server.graph('POST', `${em}/accessPackages/${a}/incompatibleAccessPackages/$ref`, { as: alex, body: ref(b) })).status).toBe(404);

    expect((await server.graph('DELETE', `${em}/accessPackages/${a}/incompatibleGroups/${falcon.groupId}/$ref`, { as: admin })).status).toBe(204);
    expect((await server.graph('DELETE', `${em}/accessPackages/${a}/incompatibleGroups/${falcon.groupId}/$ref`, { as: admin })).status).toBe(404);
    expect((await server.graph('DELETE', `${em}/accessPackages/${a}/incompatibleAccessPackages/${b}/$ref`, { as: admin })).status).toBe(204);
    expect((await server.graph('DELETE', `${em}/accessPackages/${a}/incompatibleAccessPackages/${b}/$ref`, { as: admin })).status).toBe(404);
    expect((await server.graph('GET', `${em}/accessPackages/${a}/incompatibleAccessPackages`, { as: admin })).body.value).toEqual([]);
    const audits = await db().selectFrom('directory_audits').select('activityDisplayName').where('targetResources', 'like', `%${a}%`).execute();
    expect(audits.map((x) => x.activityDisplayName)).toEqual(
      expect.arrayContaining(['Add incompatible access package', 'Remove incompatible access package', 'Add incompatible group', 'Remove incompatible group']),
    );
  });

  it('refuses to delete a package (or its roles) while it has an active assignment, changing nothing', async () => {
    const catalogId = await newCatalog(admin, 'Packages: in use', true);
    const pkg = await newPackage(admin, catalogId, 'Assigned package');
    const other = await newPackage(admin, catalogId, 'Other package');
    const [memberRole] = (await server.graph('GET', `${em}/catalogs/${catalogId}/resourceRoles?$filter=originId eq 'Member_${falcon.groupId}'`, { as: admin })).body.value;
    const [groupScope] = (await server.graph('GET', `${em}/catalogs/${catalogId}/resourceScopes?$filter=originId eq '${falcon.groupId}'`, { as: admin })).body.value;
    const roleScope = await server.graph('POST', `${em}/accessPackages/${pkg}/resourceRoleScopes`, { as: admin, body: { role: { id: memberRole.id }, scope: { id: groupScope.id } } });
    expect(roleScope.status).toBe(201);
    expect((await server.graph('POST', `${em}/accessPackages/${pkg}/incompatibleAccessPackages/$ref`, { as: admin, body: { '@odata.id': `${graphRoot}/accessPackages/${other}` } })).status).toBe(204);

    const now = new Date().toISOString();
    const policyId = randomUUID();
    await db()
      .insertInto('assignment_policies')
      .values({
        id: policyId,
        accessPackageId: pkg,
        catalogId,
        displayName: 'Direct',
        description: null,
        allowedTargetScope: 'notSpecified',
        specificAllowedTargets: '[]',
        expiration: '{"type":"noExpiration"}',
        requestorSettings: '{}',
        requestApprovalSettings: '{}',
        reviewSettings: '{}',
        questions: '[]',
        automaticRequestSettings: '{}',
        createdDateTime: now,
        modifiedDateTime: now,
      })
      .execute();
    const policies = await server.graph('GET', `${em}/accessPackages/${pkg}/assignmentPolicies?$select=id,displayName`, { as: admin });
    expect(policies.status).toBe(200);
    expect(policies.body.value).toEqual([{ id: policyId, displayName: 'Direct' }]);

    const assignmentId = randomUUID();
    await db()
      .insertInto('assignments')
      .values({ id: assignmentId, accessPackageId: pkg, assignmentPolicyId: policyId, catalogId, targetId: demo.users.alex.id, state: 'delivered', status: 'Delivered', schedule: '{}', expiredDateTime: null, createdDateTime: now })
      .execute();

    const refused = await server.graph('DELETE', `${em}/accessPackages/${pkg}`, { as: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ResourceInUse');
    const refusedRole = await server.graph('DELETE', `${em}/accessPackages/${pkg}/resourceRoleScopes/${roleScope.body.id}`, { as: admin });
    expect(refusedRole.status).toBe(409);
    expect((await server.graph('GET', `${em}/accessPackages/${pkg}?$expand=resourceRoleScopes,incompatibleAccessPackages`, { as: admin })).body).toMatchObject({
      displayName: 'Assigned package',
      resourceRoleScopes: [expect.objectContaining({ id: roleScope.body.id })],
      incompatibleAccessPackages: [expect.objectContaining({ id: other })],
    });
    expect(await db().selectFrom('assignment_policies').select('id').where('accessPackageId', '=', pkg).execute()).toHaveLength(1);

    // Once the assignment has expired, the package goes, with its policies, roles and incompatibilities.
    await db().updateTable('assignments').set({ state: 'expired' }).where('id', '=', assignmentId).execute();
    expect((await server.graph('DELETE', `${em}/accessPackages/${pkg}`, { as: admin })).status).toBe(204);
    expect(await db().selectFrom('assignment_policies').select('id').where('accessPackageId', '=', pkg).execute()).toHaveLength(0);
    expect(await db().selectFrom('resource_role_scopes').select('id').where('accessPackageId', '=', pkg).execute()).toHaveLength(0);
    expect((await server.graph('GET', `${em}/accessPackages/${other}/accessPackagesIncompatibleWith`, { as: admin })).body.value).toEqual([]);
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const catalogId = await newCatalog(admin, 'Packages: bad bodies');
    const cases: Array<[unknown, string]> = [
      [{ description: 'no name', catalog: { id: catalogId } }, 'displayName'],
      [{ displayName: 'X' }, 'catalog'],
      [{ displayName: 'X', catalog: { id: catalogId }, colour: 'red' }, 'colour'],
      [{ displayName: 'X', catalog: { id: catalogId }, isHidden: 'yes' }, 'isHidden'],
      [{ displayName: '   ', catalog: { id: catalogId } }, 'displayName'],
    ];
    for (const [body, field] of cases) {
      const res = await server.graph('POST', `${em}/accessPackages`, { as: admin, body });
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.error.message).toContain(field);
    }
    expect(await db().selectFrom('access_packages').select('id').where('catalogId', '=', catalogId).execute()).toHaveLength(0);
    expect((await server.graph('POST', `${em}/accessPackages`, { as: admin, body: { displayName: 'X', catalog: { id: randomUUID() } } })).status).toBe(404);
    const pkg = await newPackage(admin, catalogId, 'Patch me');
    const patch = await server.graph('PATCH', `${em}/accessPackages/${pkg}`, { as: admin, body: { createdDateTime: now() } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.message).toContain('createdDateTime');
  });
});

function now(): string {
  return new Date().toISOString();
}
