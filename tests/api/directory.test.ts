import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer } from '../helpers/server';

const admin = 'admin@contoso.test';
const alex = 'alex@contoso.test';
const megan = 'megan@contoso.test';
const ruthGuest = demo.ruthGuest.upn;
const strongPassword = 'Xy7!passw0rd';

/** A valid POST /users body; `overrides` replace or add fields. */
function newUser(alias: string, overrides: Record<string, unknown> = {}) {
  return {
    accountEnabled: true,
    displayName: `Test ${alias}`,
    mailNickname: alias,
    userPrincipalName: `${alias}@contoso.test`,
    passwordProfile: { password: strongPassword, forceChangePasswordNextSignIn: true },
    ...overrides,
  };
}

describe('directory: organization, me and users', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  describe('organization', () => {
    it('lists the home tenant with its verified domains, and reads it by id', async () => {
      const list = await server.graph('GET', 'organization', { as: ruthGuest });
      expect(list.status).toBe(200);
      expect(list.body.value).toHaveLength(1);
      expect(list.body.value[0]).toMatchObject({
        id: demo.contoso.id,
        displayName: 'Contoso',
        verifiedDomains: [{ name: 'contoso.test', isDefault: true, isInitial: true, type: 'Managed' }],
      });
      const one = await server.graph('GET', `organization/${demo.contoso.id}`, { as: alex });
      expect(one.status).toBe(200);
      expect(one.body.displayName).toBe('Contoso');
      // A partner tenant is not "the organization".
      expect((await server.graph('GET', `organization/${demo.fabrikam.id}`, { as: alex })).status).toBe(404);
    });
  });

  describe('me', () => {
    it('returns the caller with $select and $expand', async () => {
      const me = await server.graph('GET', 'me?$select=displayName,userPrincipalName&$expand=manager($select=displayName)', { as: alex });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: demo.users.alex.id, displayName: 'Alex Wilber', userPrincipalName: alex, manager: { id: demo.users.lee.id, displayName: 'Lee Gu' } });
      expect(me.body.jobTitle).toBeUndefined();
    });

    it('gives the manager, sponsors and groups of the caller', async () => {
      const manager = await server.graph('GET', 'me/manager', { as: alex });
      expect(manager.status).toBe(200);
      expect(manager.body.id).toBe(demo.users.lee.id);
      expect((await server.graph('GET', 'me/manager', { as: 'lee@contoso.test' })).status).toBe(404);

      const sponsors = await server.graph('GET', 'me/sponsors', { as: ruthGuest });
      expect(sponsors.status).toBe(200);
      expect(sponsors.body.value).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.user', id: demo.users.adele.id })]);

      const groups = await server.graph('GET', 'me/memberOf', { as: alex });
      expect(groups.status).toBe(200);
      expect(groups.body.value.map((g: any) => g.id)).toEqual([demo.projectFalcon.groupId]);
      expect(groups.body.value[0]['@odata.type']).toBe('#microsoft.graph.group');
    });

    it('resolves a guest signing in with their home account', async () => {
      const me = await server.graph('GET', 'me', { as: 'ruth@fabrikam.test' });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: demo.ruthGuest.id, userType: 'Guest' });
    });

    it('answers 404 with a clear message for a partner who is not in the directory', async () => {
      const me = await server.graph('GET', 'me', { as: 'diego@litware.test' });
      expect(me.status).toBe(404);
      expect(me.body.error.message).toContain('not in this directory');
    });
  });

  describe('reading users', () => {
    it('lets members list users, with $filter, $select and $count', async () => {
      const res = await server.graph('GET', "users?$filter=userType eq 'Guest'&$select=displayName,mail&$count=true", { as: alex });
      expect(res.status).toBe(200);
      expect(res.body['@odata.count']).toBe(1);
      expect(res.body.value).toEqual([{ id: demo.ruthGuest.id, displayName: demo.ruthGuest.name, mail: 'ruth@fabrikam.test' }]);

      const starts = await server.graph('GET', "users?$filter=startswith(displayName,'Megan')", { as: alex });
      expect(starts.body.value.map((u: any) => u.userPrincipalName)).toEqual([megan]);
    });

    it('pages with $top and @odata.nextLink until every user is seen once', async () => {
      const seen: string[] = [];
      let path: string | undefined = 'users?$top=2&$orderby=displayName';
      let pages = 0;
      while (path) {
        const res: any = await server.graph('GET', path, { as: alex });
        expect(res.status).toBe(200);
        expect(res.body.value.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.value.map((u: any) => u.id));
        const next: string | undefined = res.body['@odata.nextLink'];
        path = next ? next.slice(next.indexOf('/graph/v1.0/') + '/graph/v1.0/'.length) : undefined;
        pages++;
      }
      const all = await server.graph('GET', 'users?$select=id', { as: alex });
      expect(pages).toBeGreaterThan(1);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual(all.body.value.map((u: any) => u.id).sort());
    });

    it('reads a user by id and by userPrincipalName, with $expand', async () => {
      const byId = await server.graph('GET', `users/${demo.users.alex.id}?$expand=memberOf`, { as: megan });
      expect(byId.status).toBe(200);
      expect(byId.body.memberOf.map((g: any) => g.displayName)).toEqual(['Project Falcon']);
      const byUpn = await server.graph('GET', `users/${encodeURIComponent('ALEX@contoso.test')}`, { as: megan });
      expect(byUpn.status).toBe(200);
      expect(byUpn.body.id).toBe(demo.users.alex.id);
      expect((await server.graph('GET', 'users/00000000-0000-4000-8000-000000000000', { as: megan })).status).toBe(404);
    });

    it('refuses guests the user list (403) and hides other users from them (404)', async () => {
      const list = await server.graph('GET', 'users', { as: ruthGuest });
      expect(list.status).toBe(403);
      expect(list.body.error.code).toBe('Authorization_RequestDenied');
      expect((await server.graph('GET', `users/${demo.users.alex.id}`, { as: ruthGuest })).status).toBe(404);
      expect((await server.graph('GET', `users/${demo.users.alex.id}/manager`, { as: ruthGuest })).status).toBe(404);
      const self = await server.graph('GET', `users/${encodeURIComponent(ruthGuest)}`, { as: ruthGuest });
      expect(self.status).toBe(200);
      expect(self.body.id).toBe(demo.ruthGuest.id);
    });
  });

  describe('creating, updating and deleting users', () => {
    it('creates a user (201) who can then sign in and call /me', async () => {
      const res = await server.graph('POST', 'users', {
        as: admin,
        body: newUser('nestor', { givenName: 'Nestor', surname: 'Wilke', jobTitle: 'Buyer', department: 'Purchasing', mail: 'nestor@contoso.test', usageLocation: 'NL' }),
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ displayName: 'Test nestor', userPrincipalName: 'nestor@contoso.test', userType: 'Member', accountEnabled: true, jobTitle: 'Buyer', usageLocation: 'NL' });
      expect(JSON.stringify(res.body)).not.toContain(strongPassword);

      const me = await server.graph('GET', 'me', { as: 'nestor@contoso.test' });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(res.body.id);

      const audits = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq 'Add user' and category eq 'UserManagement'`, { as: admin });
      expect(audits.body.value.some((a: any) => a.targetResources[0].id === res.body.id)).toBe(true);
    });

    it('refuses a duplicate userPrincipalName like Graph, whatever its case', async () => {
      const res = await server.graph('POST', 'users', { as: admin, body: newUser('dup1', { userPrincipalName: 'ALEX@contoso.test' }) });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('Another object with the same value for property userPrincipalName already exists.');
    });

    it.each([
      ['an unknown property', { favouriteColour: 'red' }, 'favouriteColour'],
      ['a missing required property', { passwordProfile: undefined }, 'passwordProfile'],
      ['a wrong type', { accountEnabled: 'yes' }, 'accountEnabled'],
      ['a weak password', { passwordProfile: { password: 'password' } }, 'passwordProfile.password'],
      ['a domain the organization does not own', { userPrincipalName: 'bad1@fabrikam.test' }, 'userPrincipalName'],
      ['a nickname with a space', { mailNickname: 'bad one' }, 'mailNickname'],
    ])('refuses %s with a 400 naming the field and writes nothing', async (_what, overrides, field) => {
      const body = newUser('bad1', overrides);
      const res = await server.graph('POST', 'users', { as: admin, body });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field.split('.').at(-1));
      const upn = String(body.userPrincipalName);
      expect((await server.graph('GET', `users/${encodeURIComponent(upn)}`, { as: admin })).status).toBe(404);
    });

    it('lets only user administrators create users', async () => {
      const res = await server.graph('POST', 'users', { as: megan, body: newUser('sneaky') });
      expect(res.status).toBe(403);
      expect((await server.graph('GET', 'users/sneaky@contoso.test', { as: admin })).status).toBe(404);
    });

    it('updates a user (204), blocks sign-in with accountEnabled false, and validates the body', async () => {
      const created = await server.graph('POST', 'users', { as: admin, body: newUser('patchme') });
      const id = created.body.id as string;
      expect((await server.graph('GET', 'me', { as: 'patchme@contoso.test' })).status).toBe(200);

      const patch = await server.graph('PATCH', `users/${id}`, { as: admin, body: { jobTitle: 'Analyst', department: null, accountEnabled: false } });
      expect(patch.status).toBe(204);
      const read = await server.graph('GET', `users/${id}`, { as: admin });
      expect(read.body).toMatchObject({ jobTitle: 'Analyst', department: null, accountEnabled: false });
      // A disabled account cannot call Graph any more (its cached token is refused).
      expect((await server.graph('GET', 'me', { as: 'patchme@contoso.test' })).status).toBe(401);

      const bad = await server.graph('PATCH', `users/${id}`, { as: admin, body: { jobTitle: 'X', userType: 'Guest' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain("'userType'");
      expect((await server.graph('GET', `users/${id}`, { as: admin })).body.jobTitle).toBe('Analyst');

      expect((await server.graph('PATCH', `users/${id}`, { as: alex, body: { jobTitle: 'Boss' } })).status).toBe(403);
      expect((await server.graph('PATCH', 'users/00000000-0000-4000-8000-000000000000', { as: admin, body: { jobTitle: 'X' } })).status).toBe(404);
    });

    it('deletes a user (204) with their memberships, sponsorships and role assignments', async () => {
      const created = await server.graph('POST', 'users', { as: admin, body: newUser('leaver') });
      const id = created.body.id as string;
      const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/users/${id}` };
      expect((await server.graph('POST', `groups/${demo.projectFalcon.groupId}/members/$ref`, { as: megan, body: ref })).status).toBe(204);
      expect((await server.graph('POST', `users/${demo.ruthGuest.id}/sponsors/$ref`, { as: admin, body: ref })).status).toBe(204);
      const role = await server.graph('POST', 'roleManagement/entitlementManagement/roleAssignments', {
        as: admin,
        body: { principalId: id, roleDefinitionId: 'ba92d953-d8e0-4e39-a797-0cbedb0a89e8', appScopeId: '/', directoryScopeId: '/' },
      });
      expect(role.status).toBe(201);

      expect((await server.graph('DELETE', `users/${id}`, { as: alex })).status).toBe(403);
      expect((await server.graph('DELETE', `users/${id}`, { as: admin })).status).toBe(204);
      expect((await server.graph('GET', `users/${id}`, { as: admin })).status).toBe(404);
      const members = await server.graph('GET', `groups/${demo.projectFalcon.groupId}/members`, { as: admin });
      expect(members.body.value.map((u: any) => u.id)).not.toContain(id);
      const sponsors = await server.graph('GET', `users/${demo.ruthGuest.id}/sponsors`, { as: admin });
      expect(sponsors.body.value.map((u: any) => u.id)).toEqual([demo.users.adele.id]);
      expect((await server.graph('GET', `roleManagement/entitlementManagement/roleAssignments/${role.body.id}`, { as: admin })).status).toBe(404);
      expect((await server.graph('DELETE', `users/${id}`, { as: admin })).status).toBe(404);
    });
  });

  describe('manager and sponsors', () => {
    it('sets a manager with PUT manager/$ref and reads it back', async () => {
      const put = await server.graph('PUT', `users/${demo.users.megan.id}/manager/$ref`, {
        as: admin,
        body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.users.lee.id}` },
      });
      expect(put.status).toBe(204);
      const manager = await server.graph('GET', `users/${demo.users.megan.id}/manager?$select=displayName`, { as: alex });
      expect(manager.status).toBe(200);
      expect(manager.body).toMatchObject({ id: demo.users.lee.id, displayName: 'Lee Gu' });
      expect((await server.graph('GET', `users/${demo.users.lee.id}/manager`, { as: alex })).status).toBe(404);
    });

    it('refuses circular chains, unknown managers, bad bodies and non-administrators', async () => {
      const lee = `users/${demo.users.lee.id}/manager/$ref`;
      const circular = await server.graph('PUT', lee, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.users.alex.id}` } });
      expect(circular.status).toBe(400);
      const unknown = await server.graph('PUT', lee, { as: admin, body: { '@odata.id': 'https://graph.microsoft.com/v1.0/users/00000000-0000-4000-8000-000000000000' } });
      expect(unknown.status).toBe(404);
      const bad = await server.graph('PUT', lee, { as: admin, body: { id: demo.users.alex.id } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain("'@odata.id' is required");
      const forbidden = await server.graph('PUT', lee, { as: alex, body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.users.admin.id}` } });
      expect(forbidden.status).toBe(403);
      expect((await server.graph('GET', `users/${demo.users.lee.id}/manager`, { as: admin })).status).toBe(404);
    });

    it('adds and removes sponsors with $ref', async () => {
      const sponsors = `users/${demo.ruthGuest.id}/sponsors`;
      const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.users.lee.id}` };
      expect((await server.graph('POST', `${sponsors}/$ref`, { as: admin, body: ref })).status).toBe(204);
      const again = await server.graph('POST', `${sponsors}/$ref`, { as: admin, body: ref });
      expect(again.status).toBe(400);
      expect(again.body.error.message).toContain('already exist');
      expect((await server.graph('POST', `${sponsors}/$ref`, { as: alex, body: ref })).status).toBe(403);

      const list = await server.graph('GET', `${sponsors}?$select=displayName`, { as: alex });
      expect(list.body.value.map((u: any) => u.displayName).sort()).toEqual(['Adele Vance', 'Lee Gu']);

      expect((await server.graph('DELETE', `${sponsors}/${demo.users.lee.id}/$ref`, { as: admin })).status).toBe(204);
      expect((await server.graph('DELETE', `${sponsors}/${demo.users.lee.id}/$ref`, { as: admin })).status).toBe(404);
      const after = await server.graph('GET', sponsors, { as: alex });
      expect(after.body.value.map((u: any) => u.id)).toEqual([demo.users.adele.id]);
    });

    it('lists the groups a user is a member of', async () => {
      const res = await server.graph('GET', `users/${demo.users.megan.id}/memberOf?$select=displayName`, { as: alex });
      expect(res.status).toBe(200);
      expect(res.body.value).toEqual([{ '@odata.type': '#microsoft.graph.group', id: demo.projectFalcon.groupId, displayName: 'Project Falcon' }]);
    });
  });
});
