import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import { demo } from '../../bot/seed/tenant';
import { em, startTestServer, TestServer } from '../helpers/server';

const clientId = '5e3a4c1b-0000-4000-8000-00000000c11e';
const kid = 'test-key-1';

/** A JWKS endpoint on loopback, serving the public half of a key pair made here: no network. */
async function startJwks(jwk: JWK): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`, server };
}

describe('Entra ID access tokens (AUTH_MODE=entra)', () => {
  let key: KeyLike;
  let otherKey: KeyLike;
  let jwks: { url: string; server: Server };
  let server: TestServer;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    ({ privateKey: otherKey } = await generateKeyPair('RS256'));
    key = pair.privateKey;
    jwks = await startJwks(await exportJWK(pair.publicKey));
    server = await startTestServer({
      env: {
        AUTH_MODE: 'entra',
        HOST: '127.0.0.1',
        AAD_APP_CLIENT_ID: clientId,
        AAD_APP_TENANT_ID: demo.contoso.id,
        BOT_ID: '5e3a4c1b-0000-4000-8000-0000000000b0',
        BOT_PASSWORD: 'test-secret',
        AAD_JWKS_URL: jwks.url,
        AAD_APP_ID_URI: `api://portier.example.com/${clientId}`,
      },
    });
  });
  afterAll(async () => {
    await server.close();
    jwks.server.close();
  });

  interface Claims {
    tid?: string;
    oid?: string;
    aud?: string;
    iss?: string;
    scp?: string;
    exp?: number | null;
  }

  async function token(claims: Claims & { email?: string } = {}, signWith: KeyLike = key): Promise<string> {
    const tid = claims.tid ?? demo.contoso.id;
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ oid: claims.oid ?? demo.users.admin.id, tid, scp: claims.scp ?? 'access_as_user', name: 'Test', preferred_username: claims.email ?? 'admin@contoso.test', ...(claims.email ? { email: claims.email } : {}) })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(claims.iss ?? `https://login.microsoftonline.com/${tid}/v2.0`)
      .setAudience(claims.aud ?? clientId)
      .setIssuedAt(now - 60);
    // `exp: null` leaves the claim out.
    if (claims.exp !== null) jwt.setExpirationTime(claims.exp ?? now + 3600);
    return jwt.sign(signWith);
  }

  async function call(bearer: string) {
    const res = await fetch(`${server.url}/graph/v1.0/${em}/catalogs`, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string }; value?: unknown[] } };
  }

  it('accepts a valid token for our app from our tenant (v2 issuer and the configured Application ID URI)', async () => {
    expect((await call(await token())).status).toBe(200);
    expect((await call(await token({ aud: `api://portier.example.com/${clientId}` }))).status).toBe(200);
    expect((await call(await token({ iss: `https://sts.windows.net/${demo.contoso.id}/` }))).status).toBe(200);
  });

  it.each([
    ['expired', async () => token({ exp: Math.floor(Date.now() / 1000) - 3600 })],
    ['signed by another key', async () => token({}, otherKey)],
    ['meant for another app', async () => token({ aud: '00000000-0000-4000-8000-000000000999' })],
    // Audience confusion: another app registration may carry any api://<its domain>/<our client id>.
    ['for an Application ID URI of another domain ending in our client id', async () => token({ aud: `api://evil.example.net/${clientId}` })],
    ['for an Application ID URI that only starts like ours', async () => token({ aud: `api://portier.example.com/${clientId}/extra` })],
    ['without an expiry (exp)', async () => token({ exp: null })],
    ['issued by another tenant than it names', async () => token({ iss: 'https://login.microsoftonline.com/00000000-0000-4000-8000-000000000998/v2.0' })],
    ['from an unknown tenant', async () => token({ tid: '00000000-0000-4000-8000-000000000997' })],
    ['without the access_as_user scope', async () => token({ scp: 'User.Read' })],
    ['for a user not in the directory', async () => token({ oid: '00000000-0000-4000-8000-000000000996' })],
    ['unsigned (alg none)', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ oid: demo.users.admin.id, tid: demo.contoso.id, aud: clientId, scp: 'access_as_user', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
      return `${header}.${payload}.`;
    }],
    ['garbage', async () => 'not-a-token'],
  ])('refuses a token %s with 401 and a Graph error body', async (_name, make) => {
    const res = await call(await make());
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBeTruthy();
    expect(res.body.error?.message).toBeTruthy();
    expect(res.body.value).toBeUndefined();
  });

  it('maps a partner tenant token to the guest that account redeemed', async () => {
    const partnerToken = await token({ tid: demo.fabrikam.id, oid: demo.partners.ruth.id });
    // A guest is not a member: the directory-wide catalog list is empty for them, but the call is authenticated.
    const res = await call(partnerToken);
    expect(res.status).toBe(200);
    expect(res.body.value).toEqual([]);
  });

  async function graph(method: string, path: string, bearer: string, body?: unknown) {
    const res = await fetch(`${server.url}/graph/v1.0/${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('redeems an invitation at first sign-in from the tenant that owns the mail domain, and from no other', async () => {
    const admin = await token();
    const invited = await graph('POST', 'invitations', admin, { invitedUserEmailAddress: 'newbie@fabrikam.test', inviteRedirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false });
    expect(invited.status).toBe(201);
    const guestId = invited.body.invitedUser.id;
    // Litware becomes a connected organization, so its tokens are accepted — but it does not own fabrikam.test.
    const litware = await graph('POST', `${em}/connectedOrganizations`, admin, {
      displayName: 'Litware',
      identitySources: [
        { '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: demo.litware.id, displayName: 'Litware' },
        { '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'litware.test', displayName: 'litware.test' },
      ],
    });
    expect(litware.status).toBe(201);

    const impostor = await graph('GET', 'me', await token({ tid: demo.litware.id, oid: '00000000-0000-4000-8000-00000000beef', email: 'newbie@fabrikam.test' }));
    expect(impostor.status).toBe(404);
    expect((await graph('GET', `users/${guestId}`, admin)).body).toMatchObject({ externalUserState: 'PendingAcceptance' });

    const newbie = await token({ tid: demo.fabrikam.id, oid: '00000000-0000-4000-8000-00000000cafe', email: 'newbie@fabrikam.test' });
    const me = await graph('GET', 'me', newbie);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: guestId, userType: 'Guest', externalUserState: 'Accepted' });
    // Bound now: the same address from another account of that tenant is not this guest.
    const other = await graph('GET', 'me', await token({ tid: demo.fabrikam.id, oid: '00000000-0000-4000-8000-00000000f00d', email: 'newbie@fabrikam.test' }));
    expect(other.status).toBe(404);
  });

  it('offers no dev sign-in', async () => {
    const res = await fetch(`${server.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn: 'admin@contoso.test' }) });
    expect(res.status).toBe(404);
  });
});
