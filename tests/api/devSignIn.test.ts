import { decodeJwt, SignJWT } from 'jose';
import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer } from '../helpers/server';

/**
 * Dev sign-in (AUTH_MODE=dev) issues tokens shaped like Entra ID's, and only for accounts that could use them.
 */
describe('POST /api/dev/token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function devToken(upn: string) {
    const res = await fetch(`${server.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn }) });
    return { status: res.status, body: (await res.json()) as { access_token?: string; error?: { code: string; message: string } } };
  }

  async function me(token: string) {
    const res = await fetch(`${server.url}/graph/v1.0/me`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { id?: string; userType?: string } };
  }

  it("signs a guest in by their #EXT# UPN as that guest user of the resource tenant, with idp naming their home organization", async () => {
    const issued = await devToken(demo.ruthGuest.upn);
    expect(issued.status).toBe(200);
    const claims = decodeJwt(issued.body.access_token!);
    expect(claims).toMatchObject({ tid: demo.contoso.id, oid: demo.ruthGuest.id, idp: `https://sts.windows.net/${demo.fabrikam.id}/`, email: demo.partners.ruth.upn });
    // Entra puts no upn in a guest's token for the resource tenant.
    expect(claims.upn).toBeUndefined();
    expect(typeof claims.exp).toBe('number');
    const self = await me(issued.body.access_token!);
    expect(self).toMatchObject({ status: 200, body: { id: demo.ruthGuest.id, userType: 'Guest' } });
  });

  it("signs a partner's home account in as a user of their own tenant", async () => {
    const ruth = decodeJwt((await devToken(demo.partners.ruth.upn)).body.access_token!);
    expect(ruth).toMatchObject({ tid: demo.fabrikam.id, oid: demo.partners.ruth.id, upn: demo.partners.ruth.upn });
    expect(ruth.idp).toBeUndefined();
    const pradeep = await devToken(demo.partners.pradeep.upn);
    expect(decodeJwt(pradeep.body.access_token!)).toMatchObject({ tid: demo.fabrikam.id, oid: demo.partners.pradeep.id });
    // Not a guest yet: no user object here.
    expect((await me(pradeep.body.access_token!)).status).toBe(404);
  });

  it('signs a member in as a user of this tenant', async () => {
    const claims = decodeJwt((await devToken('Lee@Contoso.test')).body.access_token!);
    expect(claims).toMatchObject({ tid: demo.contoso.id, oid: demo.users.lee.id, upn: demo.users.lee.upn });
    expect(claims.idp).toBeUndefined();
  });

  it('issues no token for a disabled account, nor for the home account of a disabled guest', async () => {
    // Before: both work.
    expect((await devToken(demo.users.alex.upn)).status).toBe(200);
    for (const [id] of [[demo.users.alex.id], [demo.ruthGuest.id]]) {
      const patched = await server.graph('PATCH', `users/${id}`, { as: demo.users.admin.upn, body: { accountEnabled: false } });
      expect(patched.status).toBe(204);
    }
    for (const upn of [demo.users.alex.upn, demo.ruthGuest.upn, demo.partners.ruth.upn]) {
      const refused = await devToken(upn);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'AccountDisabled', message: expect.stringContaining('disabled') });
      expect(refused.body.access_token).toBeUndefined();
    }
  });

  it('refuses a dev token without an expiry (exp), even one signed with the right key', async () => {
    const row = await server.portier.store.db.selectFrom('instance_secrets').select('value').where('name', '=', 'devTokenKey').executeTakeFirstOrThrow();
    const forever = await new SignJWT({ oid: demo.users.admin.id, tid: demo.contoso.id, upn: demo.users.admin.upn, scp: 'access_as_user' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('https://portier.local/dev')
      .setAudience('portier-dev')
      .setIssuedAt()
      .sign(Buffer.from(row.value, 'base64'));
    const res = await fetch(`${server.url}/graph/v1.0/me`, { headers: { authorization: `Bearer ${forever}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/exp/);
  });
});
