import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer } from '../helpers/server';

const admin = 'admin@contoso.test';
const alex = 'alex@contoso.test';
const megan = 'megan@contoso.test';
const ruthGuest = demo.ruthGuest.upn;
const falcon = demo.projectFalcon.groupId;
const userUrl = (id: string) => `https://graph.microsoft.com/v1.0/users/${id}`;
const ref = (id: string) => ({ '@odata.id': userUrl(id) });

describe('directory: groups and sites', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('lists and reads groups with $filter, $select and $expand=members', async () => {
    const list = await server.graph('GET', "groups?$filter=mailNickname eq 'projectfalcon'&$select=displayName,groupTypes", { as: alex });
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([{ id: falcon, displayName: 'Project Falcon', groupTypes: ['Unified'] }]);

    const one = await server.graph('GET', `groups/${falcon}?$expand=members($select=displayName),owners`, { as: alex });
    expect(one.status).toBe(200);
    expect(one.body.members.map((m: any) => m.displayName).sort()).toEqual(['Adele Vance', 'Alex Wilber', 'Megan Bowen']);
    expect(one.body.owners.map((o: any) => o.id)).toEqual([demo.users.megan.id]);
    expect((await server.graph('GET', 'groups/00000000-0000-4000-8000-000000000000', { as: alex })).status).toBe(404);
  });

  it('lists members and owners as directory objects', async () => {
    const members = await server.graph('GET', `groups/${falcon}/members?$filter=startswith(displayName,'A')&$select=displayName`, { as: alex });
    expect(members.status).toBe(200);
    expect(members.body.value.map((m: any) => m.displayName).sort()).toEqual(['Adele Vance', 'Alex Wilber']);
    expect(members.body.value[0]['@odata.type']).toBe('#microsoft.graph.user');
    const owners = await server.graph('GET', `groups/${falcon}/owners`, { as: alex });
    expect(owners.body.value.map((o: any) => o.userPrincipalName)).toEqual([megan]);
    expect((await server.graph('GET', 'groups/00000000-0000-4000-8000-000000000000/members', { as: alex })).status).toBe(404);
  });

  it('keeps groups from guests unless they are members', async () => {
    expect((await server.graph('GET', 'groups', { as: ruthGuest })).status).toBe(403);
    expect((await server.graph('GET', `groups/${falcon}`, { as: ruthGuest })).status).toBe(404);
    expect((await server.graph('GET', `groups/${falcon}/members`, { as: ruthGuest })).status).toBe(404);
    expect((await server.graph('GET', `groups/${falcon}/sites/root`, { as: ruthGuest })).status).toBe(404);
    expect((await server.graph('GET', `sites/${demo.projectFalcon.siteId}`, { as: ruthGuest })).status).toBe(404);
  });

  it('creates a Microsoft 365 group with its team site; the creator owns it', async () => {
    const res = await server.graph('POST', 'groups', {
      as: alex,
      body: {
        displayName: 'Osprey',
        description: 'Project Osprey',
        mailNickname: 'osprey',
        mailEnabled: true,
        securityEnabled: false,
        groupTypes: ['Unified'],
        visibility: 'Private',
        'members@odata.bind': [userUrl(demo.users.adele.id), userUrl(demo.users.lee.id)],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ displayName: 'Osprey', mail: 'osprey@contoso.test', mailEnabled: true, securityEnabled: false, groupTypes: ['Unified'], visibility: 'Private' });
    const id = res.body.id as string;

    const owners = await server.graph('GET', `groups/${id}/owners`, { as: alex });
    expect(owners.body.value.map((o: any) => o.id)).toEqual([demo.users.alex.id]);
    const members = await server.graph('GET', `groups/${id}/members`, { as: alex });
    expect(members.body.value.map((m: any) => m.id).sort()).toEqual([demo.users.adele.id, demo.users.lee.id].sort());

    const site = await server.graph('GET', `groups/${id}/sites/root`, { as: alex });
    expect(site.status).toBe(200);
    expect(site.body).toMatchObject({ displayName: 'Osprey', name: 'osprey', webUrl: 'https://contoso.sharepoint.com/sites/osprey' });
    expect(site.body.id).toMatch(/^contoso\.sharepoint\.com,[0-9a-f-]{36},[0-9a-f-]{36}$/);
    const byId = await server.graph('GET', `sites/${site.body.id}`, { as: megan });
    expect(byId.status).toBe(200);
    expect(byId.body.webUrl).toBe('https://contoso.sharepoint.com/sites/osprey');

    // A guest sees the group (and its site) once a member of it, and still no other group.
    expect((await server.graph('POST', `groups/${id}/members/$ref`, { as: alex, body: ref(demo.ruthGuest.id) })).status).toBe(204);
    expect((await server.graph('GET', `groups/${id}?$select=displayName`, { as: ruthGuest })).body).toMatchObject({ id, displayName: 'Osprey' });
    expect((await server.graph('GET', `groups/${id}/sites/root`, { as: ruthGuest })).status).toBe(200);
    expect((await server.graph('GET', `groups/${falcon}`, { as: ruthGuest })).status).toBe(404);
    expect((await server.graph('GET', 'me/memberOf', { as: ruthGuest })).body.value.map((g: any) => g.id)).toEqual([id]);

    // Same nickname again: the address is taken.
    const again = await server.graph('POST', 'groups', { as: alex, body: { displayName: 'Osprey 2', mailNickname: 'OSPREY', mailEnabled: true, securityEnabled: false, groupTypes: ['Unified'] } });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain('proxyAddresses');

    const audits = await server.graph('GET', "auditLogs/directoryAudits?$filter=category eq 'GroupManagement' and activityDisplayName eq 'Add group'", { as: admin });
    expect(audits.body.value.map((a: any) => a.targetResources[0].id)).toContain(id);
  });

  it('creates a security group with bound owners and no site', async () => {
    const res = await server.graph('POST', 'groups', {
      as: admin,
      body: { displayName: 'Auditors', mailNickname: 'auditors', mailEnabled: false, securityEnabled: true, 'owners@odata.bind': [userUrl(demo.users.lee.id)] },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ groupTypes: [], mail: null, securityEnabled: true });
    const owners = await server.graph('GET', `groups/${res.body.id}/owners`, { as: admin });
    expect(owners.body.value.map((o: any) => o.id)).toEqual([demo.users.lee.id]);
    const site = await server.graph('GET', `groups/${res.body.id}/sites/root`, { as: admin });
    expect(site.status).toBe(404);
  });

  it.each([
    ['an unknown property', { colour: 'red' }, 'colour'],
    ['a missing required property', { mailEnabled: undefined }, 'mailEnabled'],
    ['a wrong type', { securityEnabled: 'no' }, 'securityEnabled'],
    ['an unsupported group type', { groupTypes: ['DynamicMembership'] }, 'groupTypes'],
    ['a bind to a missing user', { 'members@odata.bind': [userUrl('00000000-0000-4000-8000-000000000000')] }, 'members@odata.bind'],
    ['a bind that is not a user URL', { 'owners@odata.bind': ['https://graph.microsoft.com/v1.0/groups/x'] }, 'owners@odata.bind'],
  ])('refuses %s with a 400 naming the field and writes nothing', async (_what, overrides, field) => {
    const body = { displayName: 'Broken', mailNickname: 'broken', mailEnabled: true, securityEnabled: false, groupTypes: ['Unified'], ...overrides };
    const res = await server.graph('POST', 'groups', { as: alex, body });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    const left = await server.graph('GET', "groups?$filter=displayName eq 'Broken'", { as: alex });
    expect(left.body.value).toEqual([]);
  });

  it('refuses guests creating groups', async () => {
    const res = await server.graph('POST', 'groups', { as: ruthGuest, body: { displayName: 'Guests', mailNickname: 'guests', mailEnabled: false, securityEnabled: true } });
    expect(res.status).toBe(403);
  });

  it('lets owners add and remove members with $ref, and refuses others', async () => {
    const members = `groups/${falcon}/members`;
    expect((await server.graph('POST', `${members}/$ref`, { as: alex, body: ref(demo.users.lee.id) })).status).toBe(403);
    expect((await server.graph('POST', `${members}/$ref`, { as: megan, body: ref(demo.users.lee.id) })).status).toBe(204);

    const dup = await server.graph('POST', `${members}/$ref`, { as: megan, body: ref(demo.users.lee.id) });
    expect(dup.status).toBe(400);
    expect(dup.body.error.message).toContain('One or more added object references already exist');
    const missing = await server.graph('POST', `${members}/$ref`, { as: megan, body: ref('00000000-0000-4000-8000-000000000000') });
    expect(missing.status).toBe(404);
    const bad = await server.graph('POST', `${members}/$ref`, { as: megan, body: { '@odata.id': userUrl(demo.users.lee.id), extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('extra');

    const list = await server.graph('GET', `${members}?$filter=id eq '${demo.users.lee.id}'`, { as: alex });
    expect(list.body.value).toHaveLength(1);

    expect((await server.graph('DELETE', `${members}/${demo.users.lee.id}/$ref`, { as: alex })).status).toBe(403);
    expect((await server.graph('DELETE', `${members}/${demo.users.lee.id}/$ref`, { as: admin })).status).toBe(204);
    expect((await server.graph('DELETE', `${members}/${demo.users.lee.id}/$ref`, { as: admin })).status).toBe(404);
    const after = await server.graph('GET', `${members}?$filter=id eq '${demo.users.lee.id}'`, { as: alex });
    expect(after.body.value).toEqual([]);
  });

  it('manages owners and never removes the last one', async () => {
    const owners = `groups/${falcon}/owners`;
    const last = await server.graph('DELETE', `${owners}/${demo.users.megan.id}/$ref`, { as: megan });
    expect(last.status).toBe(400);
    expect(last.body.error.message).toContain('at least one owner');

    expect((await server.graph('POST', `${owners}/$ref`, { as: megan, body: ref(demo.users.adele.id) })).status).toBe(204);
    // Adele is an owner now, so she may change the membership.
    expect((await server.graph('POST', `groups/${falcon}/members/$ref`, { as: 'adele@contoso.test', body: ref(demo.users.lee.id) })).status).toBe(204);
    expect((await server.graph('DELETE', `${owners}/${demo.users.megan.id}/$ref`, { as: 'adele@contoso.test' })).status).toBe(204);
    const list = await server.graph('GET', owners, { as: alex });
    expect(list.body.value.map((o: any) => o.id)).toEqual([demo.users.adele.id]);
    // Megan is no longer an owner: she may not change the membership any more.
    expect((await server.graph('DELETE', `groups/${falcon}/members/${demo.users.lee.id}/$ref`, { as: megan })).status).toBe(403);

    const audits = await server.graph('GET', "auditLogs/directoryAudits?$filter=activityDisplayName eq 'Remove owner from group'", { as: admin });
    expect(audits.body.value).toHaveLength(1);
    expect(audits.body.value[0].initiatedBy.user.id).toBe(demo.users.adele.id);
  });

  it('reads the team site of a group and a site by its comma-separated id', async () => {
    const root = await server.graph('GET', `groups/${falcon}/sites/root?$select=webUrl`, { as: alex });
    expect(root.status).toBe(200);
    expect(root.body).toEqual(expect.objectContaining({ id: demo.projectFalcon.siteId, webUrl: demo.projectFalcon.siteUrl }));
    const site = await server.graph('GET', `sites/${demo.projectFalcon.siteId}`, { as: alex });
    expect(site.status).toBe(200);
    expect(site.body.displayName).toBe('Project Falcon');
    expect((await server.graph('GET', 'sites/contoso.sharepoint.com,nope,nope', { as: alex })).status).toBe(404);
  });

  it("adds a member by the documented directoryObjects/{id} reference as well as by users/{id}", async () => {
    const created = await server.graph('POST', 'groups', { as: admin, body: { displayName: 'Ref forms', mailNickname: `refforms${Date.now()}`, mailEnabled: false, securityEnabled: true } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const byDirectoryObject = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${demo.users.lee.id}` };
    expect((await server.graph('POST', `groups/${id}/members/$ref`, { as: admin, body: byDirectoryObject })).status).toBe(204);
    expect((await server.graph('POST', `groups/${id}/members/$ref`, { as: admin, body: ref(demo.users.adele.id) })).status).toBe(204);
    const members = await server.graph('GET', `groups/${id}/members?$select=id`, { as: admin });
    expect(members.body.value.map((m: any) => m.id).sort()).toEqual([demo.users.adele.id, demo.users.lee.id].sort());
    // Anything else is still refused, naming the forms it takes.
    const other = await server.graph('POST', `groups/${id}/members/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/groups/${falcon}` } });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/directoryObjects\/\{id\}/);
  });
});
