import { catalogScope, entitlementRoles } from '../../bot/domain/roles';
import { demo } from '../../bot/seed/tenant';
import {
  addGroupRequestBody,
  addGroupToCatalog,
  buildAccessPackage,
  buildCatalog,
  buildGroup,
  buildPolicy,
  buildUser,
  catalogRoleBody,
  grantCatalogRole,
  groupBody,
  policyBody,
  unique,
  userBody,
} from '../helpers/factories';
import { deliverDemoPackage, demoPackage, requestDemoPackage } from '../helpers/accessFlow';
import { em, startTestServer, TestServer } from '../helpers/server';
import { entities } from '../../bot/graph/odata/model';

/**
 * The authorization table of the embedded Graph: every operation × every kind of caller → the
 * status Graph would answer. Deny by default; 404 where the caller may not even see the object
 * (a catalog they hold no role in), 403 where they see it but may not act. Every write uses a body
 * that succeeds for an authorized caller, so a refusal is authorization and not validation, and
 * every refused write is checked to have changed nothing (the object re-read as admin, and no new
 * audit record).
 */

const roles = ['admin', 'creator', 'owner', 'reader', 'packageManager', 'assignmentManager', 'member', 'guest', 'partner'] as const;
type Role = (typeof roles)[number];

/** Who plays each role. Catalog roles are on catalog "Authz"; nobody but admin is a directory admin. */
const people: Record<Role, string> = {
  admin: demo.users.admin.upn, // Identity Governance Administrator + User Administrator
  creator: demo.users.megan.upn, // catalog creator, owner of group Project Falcon, no role on "Authz"
  owner: demo.users.alex.upn, // catalog owner of "Authz"
  reader: demo.users.adele.upn, // catalog reader of "Authz"
  packageManager: demo.users.lee.upn, // access package manager of "Authz"
  assignmentManager: 'nestor@contoso.test', // access package assignment manager of "Authz" (created below)
  member: 'casey@contoso.test', // a member with no role at all (created below)
  guest: demo.partners.ruth.upn, // signs in with her Fabrikam account: the guest ruth_fabrikam.test#EXT#@contoso.test
  partner: demo.partners.pradeep.upn, // a Fabrikam account that is not in the directory
};
const admin = people.admin;

/** An expected answer: a status, or for lists `200 ×n` (status and the number of matching rows). */
type Expected = string;
const rows = (n: number): Expected => `200 ×${n}`;

interface Response {
  status: number;
  body: any;
}

/**
 * One operation of the table. `prepare` makes what one row needs (as admin, before the audit count);
 * `call` is the request under test; `unchanged` proves a refused write left everything as it was;
 * `done` checks (and tidies up) what an allowed call did.
 */
interface Operation {
  name: string;
  expected: readonly Expected[];
  write: boolean;
  count?: (body: any) => number;
  prepare?: () => Promise<any>;
  call: (as: string, state: any) => Promise<Response>;
  unchanged?: (state: any, refused: Response) => Promise<void>;
  done?: (state: any, res: Response) => Promise<void>;
}

describe('authorization: each role × each operation', () => {
  let server: TestServer;
  /** Ids made in beforeAll. */
  const fx = {
    catalogId: '',
    packageId: '',
    policyId: '',
    nestorId: '',
    caseyId: '',
    taylorId: '',
  };

  const get = (path: string, as = admin) => server.graph('GET', path, { as });
  const send = (method: string, path: string, as: string, body?: unknown) => server.graph(method, path, { as, body });
  const countOf = async (path: string): Promise<number> => {
    const res = await get(path);
    expect(res.status).toBe(200);
    return res.body.value.length;
  };
  const auditCount = async (): Promise<number> => (await get('auditLogs/directoryAudits?$count=true&$top=1')).body['@odata.count'];
  const roleAssignments = 'roleManagement/entitlementManagement/roleAssignments';
  const falcon = demo.projectFalcon.groupId;

  beforeAll(async () => {
    server = await startTestServer();
    const nestor = await buildUser(server, admin, { displayName: 'Nestor Wilke', mailNickname: 'nestor', userPrincipalName: people.assignmentManager });
    const casey = await buildUser(server, admin, { displayName: 'Casey Jensen', mailNickname: 'casey', userPrincipalName: people.member });
    const taylor = await buildUser(server, admin, { displayName: 'Taylor Role-Target', mailNickname: 'taylor', userPrincipalName: 'taylor@contoso.test' });
    Object.assign(fx, { nestorId: nestor.id, caseyId: casey.id, taylorId: taylor.id });

    const catalog = await buildCatalog(server, admin, { displayName: 'Authz', description: 'The catalog of the authorization table' });
    fx.catalogId = catalog.id;
    // Megan owns Project Falcon; an administrator may add it without owning it.
    await addGroupToCatalog(server, admin, catalog.id, falcon);
    const pkg = await buildAccessPackage(server, admin, catalog.id, { displayName: 'Authz package' });
    fx.packageId = pkg.id;
    fx.policyId = (await buildPolicy(server, admin, pkg.id, { displayName: 'Authz policy' })).id;

    const { catalogOwner, catalogReader, accessPackageManager, accessPackageAssignmentManager } = entitlementRoles;
    await grantCatalogRole(server, admin, demo.users.alex.id, catalogOwner, catalog.id);
    await grantCatalogRole(server, admin, demo.users.adele.id, catalogReader, catalog.id);
    await grantCatalogRole(server, admin, demo.users.lee.id, accessPackageManager, catalog.id);
    await grantCatalogRole(server, admin, nestor.id, accessPackageAssignmentManager, catalog.id);
  });
  afterAll(() => server.close());

  it('sets up the cast as described', async () => {
    const scoped = await get(`${roleAssignments}?$filter=appScopeId eq '${catalogScope(fx.catalogId)}'&$select=principalId,roleDefinitionId`);
    expect(scoped.body.value).toHaveLength(4);
    // Megan holds no role on "Authz"; the guest and the partner are who they should be.
    expect(scoped.body.value.map((a: any) => a.principalId)).not.toContain(demo.users.megan.id);
    expect((await get('me', people.guest)).body).toMatchObject({ id: demo.ruthGuest.id, userType: 'Guest' });
    expect((await get('me', people.partner)).status).toBe(404);
    expect((await get('me', people.member)).body.id).toBe(fx.caseyId);
  });

  // prettier-ignore
  const operations: Operation[] = [
    //                                            admin     creator  owner    reader   pkgMgr   asgMgr   member   guest    partner
    {
      name: 'GET catalogs (rows of "Authz")',
      expected: [rows(1), rows(0), rows(1), rows(1), rows(1), rows(1), rows(0), rows(0), rows(0)],
      write: false,
      count: (body) => body.value.length,
      call: (as) => get(`${em}/catalogs?$filter=displayName eq 'Authz'`, as),
    },
    {
      name: 'GET catalogs/{id}',
      expected: ['200', '404', '200', '200', '200', '200', '404', '404', '404'],
      write: false,
      call: (as) => get(`${em}/catalogs/${fx.catalogId}`, as),
    },
    {
      name: 'GET catalogs/{id}/resources',
      expected: ['200', '404', '200', '200', '200', '200', '404', '404', '404'],
      write: false,
      call: (as) => get(`${em}/catalogs/${fx.catalogId}/resources`, as),
    },
    {
      name: 'PATCH catalogs/{id}',
      expected: ['204', '404', '204', '403', '403', '403', '404', '404', '404'],
      write: true,
      prepare: async () => unique('Described by '),
      call: (as, description) => send('PATCH', `${em}/catalogs/${fx.catalogId}`, as, { description }),
      unchanged: async (description) => expect((await get(`${em}/catalogs/${fx.catalogId}`)).body.description).not.toBe(description),
      done: async (description) => expect((await get(`${em}/catalogs/${fx.catalogId}`)).body.description).toBe(description),
    },
    {
      // "Authz" holds an access package, so a caller who may delete it gets the 409 and nothing is deleted.
      name: 'DELETE catalogs/{id} (holds a package)',
      expected: ['409', '404', '409', '403', '403', '403', '404', '404', '404'],
      write: true,
      call: (as) => send('DELETE', `${em}/catalogs/${fx.catalogId}`, as),
      unchanged: async () => expect((await get(`${em}/catalogs/${fx.catalogId}`)).status).toBe(200),
    },
    {
      name: 'DELETE catalogs/{id} (empty catalog)',
      expected: ['204', '404', '204', '403', '403', '403', '404', '404', '404'],
      write: true,
      // A fresh catalog per row, with the same roles as "Authz".
      prepare: async () => {
        const catalog = await buildCatalog(server, admin);
        const { catalogOwner, catalogReader, accessPackageManager, accessPackageAssignmentManager } = entitlementRoles;
        await grantCatalogRole(server, admin, demo.users.alex.id, catalogOwner, catalog.id);
        await grantCatalogRole(server, admin, demo.users.adele.id, catalogReader, catalog.id);
        await grantCatalogRole(server, admin, demo.users.lee.id, accessPackageManager, catalog.id);
        await grantCatalogRole(server, admin, fx.nestorId, accessPackageAssignmentManager, catalog.id);
        return catalog.id;
      },
      call: (as, id) => send('DELETE', `${em}/catalogs/${id}`, as),
      unchanged: async (id) => {
        expect((await get(`${em}/catalogs/${id}`)).status).toBe(200);
        expect(await countOf(`${roleAssignments}?$filter=appScopeId eq '${catalogScope(id)}'`)).toBe(4);
      },
      done: async (id) => {
        expect((await get(`${em}/catalogs/${id}`)).status).toBe(404);
        expect(await countOf(`${roleAssignments}?$filter=appScopeId eq '${catalogScope(id)}'`)).toBe(0);
      },
    },
    {
      name: 'POST catalogs',
      expected: ['201', '201', '403', '403', '403', '403', '403', '403', '403'],
      write: true,
      prepare: async () => unique('New catalog '),
      call: (as, displayName) => send('POST', `${em}/catalogs`, as, { displayName, isExternallyVisible: false }),
      unchanged: async (displayName) => expect(await countOf(`${em}/catalogs?$filter=displayName eq '${displayName}'`)).toBe(0),
      done: async (displayName, res) => expect(res.body.displayName).toBe(displayName),
    },
    {
      // Alex owns the group, so as catalog owner he may add it; the others are refused before ownership counts.
      name: 'POST resourceRequests adminAdd (group owned by the catalog owner)',
      expected: ['201', '404', '201', '403', '403', '403', '404', '404', '404'],
      write: true,
      prepare: async () => (await buildGroup(server, admin, [demo.users.alex.id])).id,
      call: (as, groupId) => send('POST', `${em}/resourceRequests`, as, addGroupRequestBody(fx.catalogId, groupId)),
      unchanged: async (groupId) => expect(await countOf(`${em}/catalogs/${fx.catalogId}/resources?$filter=originId eq '${groupId}'`)).toBe(0),
      done: async (groupId) => expect(await countOf(`${em}/catalogs/${fx.catalogId}/resources?$filter=originId eq '${groupId}'`)).toBe(1),
    },
    {
      // Like Entra, a catalog owner must also own the group; Megan owns it but cannot see "Authz".
      name: 'POST resourceRequests adminAdd (group owned by megan)',
      expected: ['201', '404', '403', '403', '403', '403', '404', '404', '404'],
      write: true,
      prepare: async () => (await buildGroup(server, admin, [demo.users.megan.id])).id,
      call: (as, groupId) => send('POST', `${em}/resourceRequests`, as, addGroupRequestBody(fx.catalogId, groupId)),
      unchanged: async (groupId) => expect(await countOf(`${em}/catalogs/${fx.catalogId}/resources?$filter=originId eq '${groupId}'`)).toBe(0),
    },
    {
      name: 'POST resourceRequests adminRemove',
      expected: ['201', '404', '201', '403', '403', '403', '404', '404', '404'],
      write: true,
      prepare: async () => {
        const group = await buildGroup(server, admin);
        await addGroupToCatalog(server, admin, fx.catalogId, group.id);
        return group.id;
      },
      call: (as, groupId) => send('POST', `${em}/resourceRequests`, as, { requestType: 'adminRemove', catalog: { id: fx.catalogId }, resource: { originId: groupId, originSystem: 'AadGroup' } }),
      unchanged: async (groupId) => expect(await countOf(`${em}/catalogs/${fx.catalogId}/resources?$filter=originId eq '${groupId}'`)).toBe(1),
      done: async (groupId) => expect(await countOf(`${em}/catalogs/${fx.catalogId}/resources?$filter=originId eq '${groupId}'`)).toBe(0),
    },
    {
      name: 'GET accessPackages (rows of "Authz")',
      expected: [rows(1), rows(0), rows(1), rows(1), rows(1), rows(1), rows(0), rows(0), rows(0)],
      write: false,
      count: (body) => body.value.length,
      call: (as) => get(`${em}/accessPackages?$filter=displayName eq 'Authz package'`, as),
    },
    {
      name: 'GET accessPackages/{id}',
      expected: ['200', '404', '200', '200', '200', '200', '404', '404', '404'],
      write: false,
      call: (as) => get(`${em}/accessPackages/${fx.packageId}`, as),
    },
    {
      name: 'POST accessPackages',
      expected: ['201', '404', '201', '403', '201', '403', '404', '404', '404'],
      write: true,
      prepare: async () => unique('New package '),
      call: (as, displayName) => send('POST', `${em}/accessPackages`, as, { displayName, catalog: { id: fx.catalogId } }),
      unchanged: async (displayName) => expect(await countOf(`${em}/accessPackages?$filter=displayName eq '${displayName}'`)).toBe(0),
      done: async (displayName) => expect(await countOf(`${em}/accessPackages?$filter=displayName eq '${displayName}'`)).toBe(1),
    },
    {
      name: 'PATCH accessPackages/{id}',
      expected: ['204', '404', '204', '403', '204', '403', '404', '404', '404'],
      write: true,
      prepare: async () => unique('Described by '),
      call: (as, description) => send('PATCH', `${em}/accessPackages/${fx.packageId}`, as, { description }),
      unchanged: async (description) => expect((await get(`${em}/accessPackages/${fx.packageId}`)).body.description).not.toBe(description),
      done: async (description) => expect((await get(`${em}/accessPackages/${fx.packageId}`)).body.description).toBe(description),
    },
    {
      name: 'DELETE accessPackages/{id}',
      expected: ['204', '404', '204', '403', '204', '403', '404', '404', '404'],
      write: true,
      prepare: async () => (await buildAccessPackage(server, admin, fx.catalogId)).id,
      call: (as, id) => send('DELETE', `${em}/accessPackages/${id}`, as),
      unchanged: async (id) => expect((await get(`${em}/accessPackages/${id}`)).status).toBe(200),
      done: async (id) => expect((await get(`${em}/accessPackages/${id}`)).status).toBe(404),
    },
    {
      name: 'GET assignmentPolicies/{id}',
      expected: ['200', '404', '200', '200', '200', '200', '404', '404', '404'],
      write: false,
      call: (as) => get(`${em}/assignmentPolicies/${fx.policyId}`, as),
    },
    {
      // The package is named in the body: one the caller may not see is answered like an unknown id (400 naming
      // accessPackage.id, see the test below), so existence does not leak.
      name: 'POST assignmentPolicies',
      expected: ['201', '400', '201', '403', '201', '403', '400', '400', '400'],
      write: true,
      prepare: async () => policyBody(fx.packageId),
      call: (as, body) => send('POST', `${em}/assignmentPolicies`, as, body),
      unchanged: async (body) => expect(await countOf(`${em}/assignmentPolicies?$filter=displayName eq '${body.displayName}'`)).toBe(0),
      done: async (body) => expect(await countOf(`${em}/assignmentPolicies?$filter=displayName eq '${body.displayName}'`)).toBe(1),
    },
    {
      name: 'PUT assignmentPolicies/{id}',
      expected: ['200', '404', '200', '403', '200', '403', '404', '404', '404'],
      write: true,
      prepare: async () => policyBody(fx.packageId),
      call: (as, body) => send('PUT', `${em}/assignmentPolicies/${fx.policyId}`, as, body),
      unchanged: async (body) => expect((await get(`${em}/assignmentPolicies/${fx.policyId}`)).body.displayName).not.toBe(body.displayName),
      done: async (body) => expect((await get(`${em}/assignmentPolicies/${fx.policyId}`)).body.displayName).toBe(body.displayName),
    },
    {
      name: 'DELETE assignmentPolicies/{id}',
      expected: ['204', '404', '204', '403', '204', '403', '404', '404', '404'],
      write: true,
      prepare: async () => (await buildPolicy(server, admin, fx.packageId)).id,
      call: (as, id) => send('DELETE', `${em}/assignmentPolicies/${id}`, as),
      unchanged: async (id) => expect((await get(`${em}/assignmentPolicies/${id}`)).status).toBe(200),
      done: async (id) => expect((await get(`${em}/assignmentPolicies/${id}`)).status).toBe(404),
    },
    {
      name: 'GET connectedOrganizations',
      expected: ['200', '200', '200', '200', '200', '200', '403', '403', '403'],
      write: false,
      call: (as) => get(`${em}/connectedOrganizations`, as),
    },
    {
      name: 'POST connectedOrganizations',
      // Policy writers may propose one (created `proposed`); only administrators configure.
      expected: ['201', '201', '201', '403', '201', '403', '403', '403', '403'],
      write: true,
      prepare: async () => unique('org'),
      call: (as, name) =>
        send('POST', `${em}/connectedOrganizations`, as, { displayName: name, identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: `${name}.example`, displayName: name }] }),
      unchanged: async (name) => expect(await countOf(`${em}/connectedOrganizations?$filter=displayName eq '${name}'`)).toBe(0),
      done: async (name) => expect(await countOf(`${em}/connectedOrganizations?$filter=displayName eq '${name}'`)).toBe(1),
    },
    {
      name: 'GET settings',
      expected: ['200', '200', '200', '200', '200', '200', '200', '403', '403'],
      write: false,
      call: (as) => get(`${em}/settings`, as),
    },
    {
      name: 'PATCH settings',
      expected: ['204', '403', '403', '403', '403', '403', '403', '403', '403'],
      write: true,
      prepare: async () => {
        const current = (await get(`${em}/settings`)).body.durationUntilExternalUserDeletedAfterBlocked;
        return current === 'P45D' ? 'P46D' : 'P45D';
      },
      call: (as, duration) => send('PATCH', `${em}/settings`, as, { durationUntilExternalUserDeletedAfterBlocked: duration }),
      unchanged: async (duration) => expect((await get(`${em}/settings`)).body.durationUntilExternalUserDeletedAfterBlocked).not.toBe(duration),
      done: async (duration) => expect((await get(`${em}/settings`)).body.durationUntilExternalUserDeletedAfterBlocked).toBe(duration),
    },
    {
      name: 'GET users',
      expected: ['200', '200', '200', '200', '200', '200', '200', '403', '403'],
      write: false,
      call: (as) => get('users?$select=id', as),
    },
    {
      name: 'POST users',
      expected: ['201', '403', '403', '403', '403', '403', '403', '403', '403'],
      write: true,
      prepare: async () => userBody(),
      call: (as, body) => send('POST', 'users', as, body),
      unchanged: async (body) => expect((await get(`users/${body.userPrincipalName}`)).status).toBe(404),
      done: async (body) => expect((await get(`users/${body.userPrincipalName}`)).status).toBe(200),
    },
    {
      name: 'POST groups',
      expected: ['201', '201', '201', '201', '201', '201', '201', '403', '403'],
      write: true,
      prepare: async () => groupBody(),
      call: (as, body) => send('POST', 'groups', as, body),
      unchanged: async (body) => expect(await countOf(`groups?$filter=mailNickname eq '${body.mailNickname}'`)).toBe(0),
      done: async (body) => expect(await countOf(`groups?$filter=mailNickname eq '${body.mailNickname}'`)).toBe(1),
    },
    {
      // Project Falcon: Megan owns it; Alex and Adele are members (not owners); Ruth is not in it.
      name: 'POST groups/{id}/members/$ref',
      expected: ['204', '204', '403', '403', '403', '403', '403', '404', '404'],
      write: true,
      prepare: async () => (await buildUser(server, admin)).id,
      call: (as, userId) => send('POST', `groups/${falcon}/members/$ref`, as, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${userId}` }),
      unchanged: async (userId) => expect((await get(`groups/${falcon}/members?$select=id`)).body.value.map((m: any) => m.id)).not.toContain(userId),
      done: async (userId) => expect((await get(`groups/${falcon}/members?$select=id`)).body.value.map((m: any) => m.id)).toContain(userId),
    },
    {
      name: 'POST invitations',
      expected: ['201', '201', '201', '201', '201', '201', '403', '403', '403'],
      write: true,
      prepare: async () => `${unique('guest')}@northwind.test`,
      call: (as, address) => send('POST', 'invitations', as, { invitedUserEmailAddress: address, inviteRedirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false }),
      unchanged: async (address) => expect(await countOf(`users?$filter=mail eq '${address}'`)).toBe(0),
      done: async (address) => expect(await countOf(`users?$filter=mail eq '${address}'`)).toBe(1),
    },
    {
      name: 'GET auditLogs/directoryAudits',
      expected: ['200', '403', '403', '403', '403', '403', '403', '403', '403'],
      write: false,
      call: (as) => get('auditLogs/directoryAudits?$top=1', as),
    },
    {
      name: 'POST roleAssignments (catalog reader on "Authz")',
      expected: ['201', '403', '201', '403', '403', '403', '403', '403', '403'],
      write: true,
      call: (as) => send('POST', roleAssignments, as, catalogRoleBody(fx.taylorId, entitlementRoles.catalogReader, fx.catalogId)),
      unchanged: async () => expect(await countOf(`${roleAssignments}?$filter=principalId eq '${fx.taylorId}'`)).toBe(0),
      // Taken back, so the next row starts from nothing again.
      done: async (_state, res) => expect((await send('DELETE', `${roleAssignments}/${res.body.id}`, admin)).status).toBe(204),
    },
    {
      name: 'GET roleAssignments (rows on "Authz")',
      expected: [rows(4), rows(0), rows(4), rows(4), rows(4), rows(4), rows(0), '403', '403'],
      write: false,
      count: (body) => body.value.length,
      call: (as) => get(`${roleAssignments}?$filter=appScopeId eq '${catalogScope(fx.catalogId)}'`, as),
    },
    {
      name: 'DELETE roleAssignments/{id} (catalog reader on "Authz")',
      expected: ['204', '404', '204', '403', '403', '403', '404', '404', '404'],
      write: true,
      prepare: async () => (await grantCatalogRole(server, admin, fx.taylorId, entitlementRoles.catalogReader, fx.catalogId)).id,
      call: (as, id) => send('DELETE', `${roleAssignments}/${id}`, as),
      unchanged: async (id) => {
        expect((await get(`${roleAssignments}/${id}`)).status).toBe(200);
        expect((await send('DELETE', `${roleAssignments}/${id}`, admin)).status).toBe(204);
      },
      done: async (id) => expect((await get(`${roleAssignments}/${id}`)).status).toBe(404),
    },
  ];

  const table = operations.flatMap((operation) => roles.map((role, i) => ({ name: operation.name, role, expected: operation.expected[i], operation })));

  it('has one expectation per role for every operation', () => {
    for (const operation of operations) expect([operation.name, operation.expected.length]).toEqual([operation.name, roles.length]);
  });

  it('answers a policy for a package the caller cannot see exactly like one for an unknown package', async () => {
    const invisible = await send('POST', `${em}/assignmentPolicies`, people.creator, policyBody(fx.packageId));
    const unknownId = '00000000-0000-4000-8000-0000000000aa';
    const unknown = await send('POST', `${em}/assignmentPolicies`, people.creator, policyBody(unknownId));
    expect([invisible.status, unknown.status]).toEqual([400, 400]);
    expect(invisible.body.error.code).toBe(unknown.body.error.code);
    expect(invisible.body.error.message.replace(fx.packageId, '{id}')).toBe(unknown.body.error.message.replace(unknownId, '{id}'));
    expect(invisible.body.error.message).toContain('accessPackage.id');
  });

  it.each(table)('$name as $role → $expected', async ({ role, expected, operation }: { role: Role; expected: Expected; operation: Operation }) => {
    const state = operation.prepare ? await operation.prepare() : undefined;
    const auditsBefore = operation.write ? await auditCount() : 0;
    const res = await operation.call(people[role], state);
    const actual = operation.count && res.status === 200 ? rows(operation.count(res.body)) : String(res.status);
    if (actual !== expected) throw new Error(`${operation.name} as ${role}: expected ${expected}, got ${actual} ${JSON.stringify(res.body)}`);
    if (res.status >= 400) {
      // A refusal is a Graph error, and a refused write leaves no trace.
      expect(res.body.error.code).toEqual(expect.any(String));
      if (operation.write) {
        expect(await auditCount()).toBe(auditsBefore);
        await operation.unchanged?.(state, res);
      }
    } else if (operation.write) {
      expect(await auditCount()).toBeGreaterThan(auditsBefore);
      await operation.done?.(state, res);
    }
  });
});

/**
 * The same cast, for reads through `$expand`: every navigation property of every entity, read by
 * every role, must show exactly what that role may read directly — each expanded object is one the
 * caller could GET by id (200), and every such object is there; the rest is left out (a collection
 * omits it, a single-valued navigation is null), as Graph does. The data mixes what each role may
 * and may not see: the demo's hidden package (catalog "Fabrikam extranet", requestable by Fabrikam's
 * partner and guest) incompatible with the "Authz" package, requests pending and delivered, guests'
 * sponsors and groups.
 */
describe("authorization: every $expand level applies the target's own read rule", () => {
  let server: TestServer;
  const get = (path: string, as = admin) => server.graph('GET', path, { as });
  const send = async (method: string, path: string, body: unknown, expected = 204) => {
    const res = await server.graph(method, path, { as: admin, body });
    if (res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const ref = (kind: string, id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/${kind}/${id}` });
  const fx = { authzCatalogId: '', authzPackageId: '', demoPackageId: '', pendingRequestId: '', groupId: '' };
  /** Where each resource, role and scope lives, and each role scope's package: their direct paths need it. */
  const catalogOf = new Map<string, string>();
  const packageOf = new Map<string, string>();
  /** Root objects to expand from: [entity type, path of the object]. */
  const roots: Array<[string, string]> = [];

  beforeAll(async () => {
    server = await startTestServer();
    const nestor = await buildUser(server, admin, { displayName: 'Nestor Wilke', mailNickname: 'nestor', userPrincipalName: people.assignmentManager });
    const casey = await buildUser(server, admin, { displayName: 'Casey Jensen', mailNickname: 'casey', userPrincipalName: people.member });
    const catalog = await buildCatalog(server, admin, { displayName: 'Authz', state: 'published' });
    fx.authzCatalogId = catalog.id;
    await addGroupToCatalog(server, admin, catalog.id, demo.projectFalcon.groupId);
    const pkg = await buildAccessPackage(server, admin, catalog.id, { displayName: 'Authz package' });
    fx.authzPackageId = pkg.id;
    await buildPolicy(server, admin, pkg.id, { displayName: 'Authz policy', requestorSettings: { enableTargetsToSelfAddAccess: true } });
    const { catalogOwner, catalogReader, accessPackageManager, accessPackageAssignmentManager } = entitlementRoles;
    await grantCatalogRole(server, admin, demo.users.alex.id, catalogOwner, catalog.id);
    await grantCatalogRole(server, admin, demo.users.adele.id, catalogReader, catalog.id);
    await grantCatalogRole(server, admin, demo.users.lee.id, accessPackageManager, catalog.id);
    await grantCatalogRole(server, admin, nestor.id, accessPackageAssignmentManager, catalog.id);

    // The demo package: Isabel (Fabrikam) has it, approved by Ruth (external sponsor); Ruth has it,
    // approved by Lee (fallback: she cannot approve her own); Pradeep's request waits for Ruth.
    const demoPkg = await demoPackage(server);
    fx.demoPackageId = demoPkg.packageId;
    await deliverDemoPackage(server, demo.partners.isabel.upn, people.guest, demoPkg);
    await deliverDemoPackage(server, people.guest, demo.users.lee.upn, demoPkg);
    fx.pendingRequestId = await requestDemoPackage(server, people.partner, demoPkg);
    await server.portier.jobs.runOnce();
    // Casey has the "Authz" package (members may request it, no approval).
    const caseyRequest = await server.graph('POST', `${em}/assignmentRequests`, { as: people.member, body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.id } } });
    expect(caseyRequest.status).toBe(201);
    await server.portier.jobs.runOnce();

    // The two packages of different catalogs exclude each other; the demo package also excludes a group of Adele's.
    await send('POST', `${em}/accessPackages/${fx.demoPackageId}/incompatibleAccessPackages/$ref`, ref('identityGovernance/entitlementManagement/accessPackages', pkg.id));
    await send('POST', `${em}/accessPackages/${pkg.id}/incompatibleAccessPackages/$ref`, ref('identityGovernance/entitlementManagement/accessPackages', fx.demoPackageId));
    const group = await buildGroup(server, admin, [demo.users.megan.id]);
    fx.groupId = group.id;
    await send('POST', `groups/${group.id}/members/$ref`, ref('users', demo.users.adele.id));
    await send('POST', `${em}/accessPackages/${fx.demoPackageId}/incompatibleGroups/$ref`, ref('groups', group.id));

    // The roots, found as the administrator.
    const list = async (path: string) => {
      const res = await get(path);
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return res.body.value as any[];
    };
    const catalogs = (await list(`${em}/catalogs`)).filter((c) => c.id === catalog.id || c.displayName === demo.catalogName);
    for (const c of catalogs) {
      roots.push(['accessPackageCatalog', `${em}/catalogs/${c.id}`]);
      for (const [segment, type] of [
        ['resources', 'accessPackageResource'],
        ['resourceRoles', 'accessPackageResourceRole'],
        ['resourceScopes', 'accessPackageResourceScope'],
      ] as const) {
        const items = await list(`${em}/catalogs/${c.id}/${segment}`);
        items.forEach((item) => catalogOf.set(item.id, c.id));
        items.slice(0, 2).forEach((item) => roots.push([type, `${em}/catalogs/${c.id}/${segment}/${item.id}`]));
      }
    }
    for (const packageId of [pkg.id, fx.demoPackageId]) {
      roots.push(['accessPackage', `${em}/accessPackages/${packageId}`]);
      for (const roleScope of await list(`${em}/accessPackages/${packageId}/resourceRoleScopes`)) {
        packageOf.set(roleScope.id, packageId);
        roots.push(['accessPackageResourceRoleScope', `${em}/accessPackages/${packageId}/resourceRoleScopes/${roleScope.id}`]);
      }
      for (const policy of await list(`${em}/accessPackages/${packageId}/assignmentPolicies`)) roots.push(['accessPackageAssignmentPolicy', `${em}/assignmentPolicies/${policy.id}`]);
    }
    for (const request of (await list(`${em}/resourceRequests`)).slice(0, 3)) roots.push(['accessPackageResourceRequest', `${em}/resourceRequests/${request.id}`]);
    for (const request of await list(`${em}/assignmentRequests?$expand=requestor`)) {
      roots.push(['accessPackageAssignmentRequest', `${em}/assignmentRequests/${request.id}`]);
      if (request.requestor?.objectId) roots.push(['accessPackageSubject', `${em}/subjects(objectId='${request.requestor.objectId}')`]);
    }
    for (const assignment of await list(`${em}/assignments`)) roots.push(['accessPackageAssignment', `${em}/assignments/${assignment.id}`]);
    for (const organization of await list(`${em}/connectedOrganizations`)) roots.push(['connectedOrganization', `${em}/connectedOrganizations/${organization.id}`]);
    for (const userId of [demo.ruthGuest.id, demo.users.adele.id, casey.id, demo.users.megan.id]) roots.push(['user', `users/${userId}`]);
    for (const groupId of [demo.projectFalcon.groupId, group.id]) roots.push(['group', `groups/${groupId}`]);
    for (const assignment of (await list(`${roleAssignments}?$top=6`)).slice(0, 6)) roots.push(['unifiedRoleAssignment', `${roleAssignments}/${assignment.id}`]);
  }, 120_000);
  afterAll(() => server.close());

  const roleAssignments = 'roleManagement/entitlementManagement/roleAssignments';
  /** The path a caller reads an object of `type` by, or null when Graph has none (a partner's subject before they are a guest). */
  function directPath(type: string, value: any): string | null {
    switch (type) {
      case 'accessPackage':
        return `${em}/accessPackages/${value.id}`;
      case 'accessPackageCatalog':
        return `${em}/catalogs/${value.id}`;
      case 'accessPackageAssignmentPolicy':
        return `${em}/assignmentPolicies/${value.id}`;
      case 'accessPackageResource':
        return `${em}/catalogs/${catalogOf.get(value.id)}/resources/${value.id}`;
      case 'accessPackageResourceRole':
        return `${em}/catalogs/${catalogOf.get(value.id)}/resourceRoles/${value.id}`;
      case 'accessPackageResourceScope':
        return `${em}/catalogs/${catalogOf.get(value.id)}/resourceScopes/${value.id}`;
      case 'accessPackageResourceRoleScope':
        return `${em}/accessPackages/${packageOf.get(value.id)}/resourceRoleScopes/${value.id}`;
      case 'accessPackageAssignment':
        return `${em}/assignments/${value.id}`;
      case 'accessPackageAssignmentRequest':
        return `${em}/assignmentRequests/${value.id}`;
      case 'accessPackageSubject':
        return value.objectId ? `${em}/subjects(objectId='${value.objectId}')` : null;
      case 'connectedOrganization':
        return `${em}/connectedOrganizations/${value.id}`;
      case 'user':
        return `users/${value.id}`;
      case 'group':
        return `groups/${value.id}`;
      case 'unifiedRoleDefinition':
        return `roleManagement/entitlementManagement/roleDefinitions/${value.id}`;
      default:
        throw new Error(`no direct path for ${type}`);
    }
  }

  const direct = new Map<string, Promise<number>>();
  /** The status of a direct read, once per caller and path. */
  function directStatus(as: string, path: string): Promise<number> {
    const key = `${as} ${path}`;
    let status = direct.get(key);
    if (!status) {
      status = get(path, as).then((res) => res.status);
      direct.set(key, status);
    }
    return status;
  }

  it('has a root for every entity with navigation properties', () => {
    const withNavs = Object.entries(entities)
      .filter(([, def]) => Object.keys(def.navs).length > 0)
      .map(([name]) => name)
      .sort();
    expect([...new Set(roots.map(([type]) => type))].sort()).toEqual(withNavs);
  });

  it("a partner who may read the hidden package by its link reaches nothing of catalogs they may not see through it", async () => {
    const url = `${em}/accessPackages/${fx.demoPackageId}?$expand=incompatibleAccessPackages,assignmentPolicies,catalog($expand=accessPackages)`;
    const asAdmin = (await get(url)).body;
    expect(asAdmin.incompatibleAccessPackages.map((p: any) => p.id)).toEqual([fx.authzPackageId]);
    expect(asAdmin.assignmentPolicies).toHaveLength(1);
    expect(asAdmin.catalog.accessPackages.length).toBeGreaterThan(0);
    const asPartner = await get(url, people.partner);
    expect(asPartner.status).toBe(200);
    expect(asPartner.body).toMatchObject({ id: fx.demoPackageId, incompatibleAccessPackages: [], assignmentPolicies: [], catalog: null });
    expect(JSON.stringify(asPartner.body)).not.toContain('Authz package');
  });

  it('a guest reads no memberships of the directory through nested expansions, as GET /users is refused to them', async () => {
    expect((await get('users', people.guest)).status).toBe(403);
    const nested = await get('me?$expand=sponsors($expand=memberOf($expand=members))', people.guest);
    expect(nested.status).toBe(200);
    const mine = (await get('me/memberOf', people.guest)).body.value.map((g: any) => g.id);
    const groups = nested.body.sponsors.flatMap((s: any) => s.memberOf);
    expect(nested.body.sponsors.map((s: any) => s.id)).toEqual([demo.users.adele.id]);
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(mine).toContain(group.id);
    // Adele's own group (Ruth is not in it) is there for the administrator, not for Ruth.
    const asAdmin = await get(`users/${demo.ruthGuest.id}?$expand=sponsors($expand=memberOf($expand=members))`);
    expect(asAdmin.body.sponsors[0].memberOf.map((g: any) => g.id)).toContain(fx.groupId);
    expect(groups.map((g: any) => g.id)).not.toContain(fx.groupId);
    for (const group of groups) for (const member of group.members) expect((await get(`users/${member.id}`, people.guest)).status).toBe(200);
  });

  it('$filter does not look past what the caller may read either (navigation paths and lambdas)', async () => {
    const byIncompatibleName = `${em}/accessPackages?$filter=incompatibleAccessPackages/any(p: p/displayName eq '${demo.packageName}')&$select=id`;
    expect((await get(byIncompatibleName)).body.value.map((p: any) => p.id)).toEqual([fx.authzPackageId]);
    // Alex owns "Authz" but may not read the demo package: he cannot learn its name by filtering.
    expect((await get(byIncompatibleName, people.owner)).body.value).toEqual([]);
    const byCatalogName = `${em}/assignments/filterByCurrentUser(on='target')?$filter=accessPackage/catalog/displayName eq '${demo.catalogName}'&$select=id`;
    // Ruth approves requests for this package, so its catalog is hers to read (the approval card shows it)...
    expect((await get(byCatalogName, people.guest)).body.value).toHaveLength(1);
    // ...while a partner who only holds nothing of it cannot find anything by the catalog's name.
    expect((await get(`${em}/assignmentRequests/filterByCurrentUser(on='target')?$filter=accessPackage/catalog/displayName eq '${demo.catalogName}'&$select=id`, people.partner)).body.value).toEqual([]);
    const byOwnPackage = `${em}/assignments/filterByCurrentUser(on='target')?$filter=accessPackage/displayName eq '${demo.packageName}'&$select=id`;
    expect((await get(byOwnPackage, people.guest)).body.value).toHaveLength(1);
  });

  it('an approver who may read a request but not cancel it gets 403; someone who may not read it gets 404', async () => {
    const read = await get(`${em}/assignmentRequests/${fx.pendingRequestId}`, people.guest);
    expect(read.status).toBe(200);
    const byApprover = await server.graph('POST', `${em}/assignmentRequests/${fx.pendingRequestId}/cancel`, { as: people.guest });
    expect(byApprover.status).toBe(403);
    const byStranger = await server.graph('POST', `${em}/assignmentRequests/${fx.pendingRequestId}/cancel`, { as: people.member });
    expect(byStranger.status).toBe(404);
    expect(await server.graph('GET', `${em}/assignmentRequests/${fx.pendingRequestId}`, { as: admin })).toMatchObject({ body: { state: 'pendingApproval' } });
  });

  it("filterByCurrentUser(on='approver') lists only the requests waiting for the caller's decision", async () => {
    // Ruth approved Isabel's request (delivered) and is asked about Pradeep's (pending).
    const waiting = await get(`${em}/assignmentRequests/filterByCurrentUser(on='approver')`, people.guest);
    expect(waiting.status).toBe(200);
    expect(waiting.body.value.map((r: any) => r.id)).toEqual([fx.pendingRequestId]);
    expect((await get(`${em}/assignmentRequests/filterByCurrentUser(on='approver')`, demo.users.lee.upn)).body.value).toEqual([]);
    const approvals = await get(`${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, people.guest);
    expect(approvals.body.value.map((a: any) => a.id)).toEqual([fx.pendingRequestId]);
  });

  it.each(roles)('as %s, each navigation shows exactly what the caller may read directly', async (role) => {
    const as = people[role];
    const mismatches: string[] = [];
    let omitted = 0;
    let shown = 0;
    for (const [type, path] of roots) {
      const def = entities[type as keyof typeof entities];
      for (const [navigation, nav] of Object.entries(def.navs as Record<string, { kind: string; target: string }>)) {
        const url = `${path}${path.includes('?') ? '&' : '?'}$expand=${navigation}`;
        const full = await get(url);
        if (full.status !== 200) throw new Error(`${url} as admin: ${full.status} ${JSON.stringify(full.body)}`);
        const res = await get(url, as);
        // The root itself: the expansion changes nothing about whether it can be read.
        expect([url, res.status]).toEqual([url, await directStatus(as, path)]);
        if (res.status !== 200) continue;
        const all: any[] = nav.kind === 'one' ? (full.body[navigation] ? [full.body[navigation]] : []) : full.body[navigation];
        const expected: string[] = [];
        const unverifiable = new Set<string>();
        for (const child of all) {
          const childPath = directPath(nav.target, child);
          if (!childPath) unverifiable.add(child.id);
          else if ((await directStatus(as, childPath)) === 200) expected.push(child.id);
          else omitted++;
        }
        const got: any[] = nav.kind === 'one' ? (res.body[navigation] ? [res.body[navigation]] : []) : res.body[navigation];
        if (nav.kind === 'one' && !(navigation in res.body)) mismatches.push(`${url}: '${navigation}' missing`);
        const actual = got.map((child) => child.id).filter((id: string) => !unverifiable.has(id));
        shown += actual.length;
        if (JSON.stringify([...actual].sort()) !== JSON.stringify([...expected].sort())) mismatches.push(`${url}: expanded ${JSON.stringify(actual)}, readable directly ${JSON.stringify(expected)}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The table is not empty: every role reads something through an expansion, or is refused the roots.
    expect(shown + omitted).toBeGreaterThan(0);
  }, 120_000);
});
