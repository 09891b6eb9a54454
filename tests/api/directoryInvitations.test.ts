import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer } from '../helpers/server';

const admin = 'admin@contoso.test';
const alex = 'alex@contoso.test';
const ruthGuest = demo.ruthGuest.upn;

function invitation(address: string, overrides: Record<string, unknown> = {}) {
  return { invitedUserEmailAddress: address, inviteRedirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false, ...overrides };
}

describe('directory: invitations and the audit log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('invites a partner as a guest, who then signs in with their home account as that guest', async () => {
    // Before the invitation, Pradeep is a partner user without a user object.
    expect((await server.graph('GET', 'me', { as: 'pradeep@fabrikam.test' })).status).toBe(404);

    const res = await server.graph('POST', 'invitations', {
      as: admin,
      body: invitation('Pradeep@fabrikam.test', {
        invitedUserDisplayName: 'Pradeep Gupta (Fabrikam)',
        invitedUserMessageInfo: { customizedMessageBody: 'Welcome to Falcon', messageLanguage: 'en-US', ccRecipients: [{ emailAddress: { address: 'adele@contoso.test' } }] },
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      inviteRedirectUrl: 'https://myapps.microsoft.com',
      invitedUserDisplayName: 'Pradeep Gupta (Fabrikam)',
      invitedUserEmailAddress: 'Pradeep@fabrikam.test',
      invitedUserType: 'Guest',
      sendInvitationMessage: false,
      status: 'PendingAcceptance',
      resetRedemption: false,
      invitedUser: { id: expect.any(String) },
    });
    expect(res.body.id).toEqual(expect.any(String));
    expect(res.body.inviteRedeemUrl).toEqual(expect.any(String));
    const guestId = res.body.invitedUser.id as string;

    const guest = await server.graph('GET', `users/${guestId}`, { as: admin });
    expect(guest.body).toMatchObject({
      userPrincipalName: 'pradeep_fabrikam.test#EXT#@contoso.test',
      mail: 'Pradeep@fabrikam.test',
      userType: 'Guest',
      creationType: 'Invitation',
      externalUserState: 'PendingAcceptance',
      companyName: 'Fabrikam',
    });

    const me = await server.graph('GET', 'me', { as: 'pradeep@fabrikam.test' });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(guestId);
    // As a guest now, Pradeep still cannot list the directory.
    expect((await server.graph('GET', 'users', { as: 'pradeep@fabrikam.test' })).status).toBe(403);

    // Inviting the same address again re-invites the same user.
    const again = await server.graph('POST', 'invitations', { as: admin, body: invitation('pradeep@FABRIKAM.test') });
    expect(again.status).toBe(201);
    expect(again.body.invitedUser.id).toBe(guestId);
    const guests = await server.graph('GET', "users?$filter=mail eq 'pradeep@fabrikam.test'", { as: admin });
    expect(guests.body.value).toHaveLength(1);

    const audits = await server.graph('GET', "auditLogs/directoryAudits?$filter=category eq 'UserManagement' and activityDisplayName eq 'Invite external user'", { as: admin });
    expect(audits.status).toBe(200);
    expect(audits.body.value.filter((a: any) => a.targetResources[0].id === guestId)).toHaveLength(2);
  });

  it('invites an address of an unknown organization without a home link or company', async () => {
    const res = await server.graph('POST', 'invitations', { as: admin, body: invitation('someone@northwind.test', { invitedUserType: 'Guest' }) });
    expect(res.status).toBe(201);
    const guest = await server.graph('GET', `users/${res.body.invitedUser.id}`, { as: admin });
    expect(guest.body).toMatchObject({ displayName: 'someone', companyName: null, userType: 'Guest', userPrincipalName: 'someone_northwind.test#EXT#@contoso.test' });
  });

  it('re-inviting a guest who accepted answers Completed for the same user', async () => {
    const res = await server.graph('POST', 'invitations', { as: admin, body: invitation('ruth@fabrikam.test') });
    expect(res.status).toBe(201);
    expect(res.body.invitedUser.id).toBe(demo.ruthGuest.id);
    expect(res.body.status).toBe('Completed');
  });

  it('refuses addresses of the organization itself', async () => {
    const res = await server.graph('POST', 'invitations', { as: admin, body: invitation('newbie@contoso.test') });
    expect(res.status).toBe(400);
    expect(res.body.error.target).toBe('invitedUserEmailAddress');
  });

  it.each([
    ['an unknown property', { colour: 'red' }, 'colour'],
    ['a missing redirect URL', { inviteRedirectUrl: undefined }, 'inviteRedirectUrl'],
    ['a malformed address', { invitedUserEmailAddress: 'not-an-address' }, 'invitedUserEmailAddress'],
    ['a wrong type', { sendInvitationMessage: 'yes' }, 'sendInvitationMessage'],
    ['an unknown user type', { invitedUserType: 'Admin' }, 'invitedUserType'],
    ['an unknown message field', { invitedUserMessageInfo: { subject: 'Hi' } }, 'invitedUserMessageInfo.subject'],
  ])('refuses %s with a 400 naming the field and creates nobody', async (_what, overrides, field) => {
    const res = await server.graph('POST', 'invitations', { as: admin, body: invitation('isabel@fabrikam.test', overrides) });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    const users = await server.graph('GET', "users?$filter=mail eq 'isabel@fabrikam.test'", { as: admin });
    expect(users.body.value).toEqual([]);
  });

  it('lets only administrators and entitlement role holders invite', async () => {
    const res = await server.graph('POST', 'invitations', { as: alex, body: invitation('isabel@fabrikam.test') });
    expect(res.status).toBe(403);
    expect((await server.graph('POST', 'invitations', { as: ruthGuest, body: invitation('isabel@fabrikam.test') })).status).toBe(403);
    // Megan is catalog creator: she may invite.
    const megan = await server.graph('POST', 'invitations', { as: 'megan@contoso.test', body: invitation('isabel@fabrikam.test') });
    expect(megan.status).toBe(201);
    expect((await server.graph('GET', 'me', { as: 'isabel@fabrikam.test' })).body.id).toBe(megan.body.invitedUser.id);
  });

  describe('auditLogs/directoryAudits', () => {
    it('lists newest first by default, filters, and reads one record', async () => {
      const all = await server.graph('GET', 'auditLogs/directoryAudits', { as: admin });
      expect(all.status).toBe(200);
      const times = all.body.value.map((a: any) => a.activityDateTime);
      expect(times.length).toBeGreaterThan(2);
      expect([...times].sort().reverse()).toEqual(times);

      const oldestFirst = await server.graph('GET', 'auditLogs/directoryAudits?$orderby=activityDateTime asc', { as: admin });
      expect(oldestFirst.body.value.map((a: any) => a.activityDateTime)).toEqual([...times].sort());

      const byMegan = await server.graph('GET', `auditLogs/directoryAudits?$filter=initiatedBy/user/id eq '${demo.users.megan.id}' and result eq 'success'`, { as: admin });
      expect(byMegan.body.value).toHaveLength(1);
      expect(byMegan.body.value[0]).toMatchObject({ category: 'UserManagement', activityDisplayName: 'Invite external user', loggedByService: 'Core Directory' });

      const since = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDateTime ge ${times.at(-1)}&$top=1`, { as: admin });
      expect(since.body.value).toHaveLength(1);
      expect(since.body['@odata.nextLink']).toEqual(expect.any(String));

      const one = await server.graph('GET', `auditLogs/directoryAudits/${all.body.value[0].id}`, { as: admin });
      expect(one.status).toBe(200);
      expect(one.body.id).toBe(all.body.value[0].id);
      expect((await server.graph('GET', 'auditLogs/directoryAudits/nope', { as: admin })).status).toBe(404);
      expect((await server.graph('GET', "auditLogs/directoryAudits?$filter=colour eq 'red'", { as: admin })).status).toBe(400);
    });

    it('is for administrators only', async () => {
      expect((await server.graph('GET', 'auditLogs/directoryAudits', { as: alex })).status).toBe(403);
      expect((await server.graph('GET', 'auditLogs/directoryAudits', { as: 'megan@contoso.test' })).status).toBe(403);
      expect((await server.graph('GET', 'auditLogs/directoryAudits', { as: ruthGuest })).status).toBe(403);
    });
  });
});
