import { em, startTestServer, TestServer } from '../helpers/server';

describe('the HTTP edge', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('answers the health check with version, storage kind and migration level', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: 'test', storage: expect.stringMatching(/^(sqlite|postgres)$/), migration: expect.stringMatching(/^\d{4}_/) });
  });

  it('issues dev tokens for directory users and partner home accounts, and refuses unknown ones', async () => {
    for (const upn of ['admin@contoso.test', 'pradeep@fabrikam.test', 'diego@litware.test', 'ruth@fabrikam.test']) {
      const res = await fetch(`${server.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer', expires_in: expect.any(Number) });
    }
    const unknown = await fetch(`${server.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn: 'nobody@nowhere.test' }) });
    expect(unknown.status).toBe(404);
    const bad = await fetch(`${server.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'x' }) });
    expect(bad.status).toBe(400);
  });

  it('refuses a tampered dev token', async () => {
    const token = await server.token('alex@contoso.test');
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, oid: 'a0000000-0000-4000-8000-00000000ad01' })).toString('base64url')}.${s}`;
    const res = await fetch(`${server.url}/graph/v1.0/${em}/catalogs`, { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
  });

  it('answers malformed JSON with 400 and writes nothing', async () => {
    const res = await server.graph('POST', `${em}/catalogs`, { as: 'admin@contoso.test', rawBody: '{"displayName": "Broken",' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/JSON/);
    const list = await server.graph('GET', `${em}/catalogs?$filter=displayName eq 'Broken'`, { as: 'admin@contoso.test' });
    expect(list.body.value).toEqual([]);
  });

  it('answers a body over 1 MB with 413', async () => {
    const res = await server.graph('POST', `${em}/catalogs`, { as: 'admin@contoso.test', body: { displayName: 'Big', description: 'x'.repeat(1024 * 1024 + 10) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('RequestEntityTooLarge');
  });

  it('answers unknown paths with 404 and unknown query options with 400, in Graph error bodies', async () => {
    const notFound = await server.graph('GET', 'identityGovernance/entitlementManagement/widgets', { as: 'admin@contoso.test' });
    expect(notFound.status).toBe(404);
    expect(notFound.body.error.innerError).toMatchObject({ 'request-id': expect.any(String), date: expect.any(String) });
    const badOption = await server.graph('GET', `${em}/catalogs?$frobnicate=1`, { as: 'admin@contoso.test' });
    expect(badOption.status).toBe(400);
    expect(badOption.body.error.message).toContain('$frobnicate');
  });

  it('tells a missing property from one of the wrong type, and refuses a body that is not an object', async () => {
    const wrongType = await server.graph('POST', `${em}/catalogs`, { as: 'admin@contoso.test', body: { displayName: 42 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toBe("Invalid value for 'displayName': expected string.");
    const missing = await server.graph('POST', `${em}/catalogs`, { as: 'admin@contoso.test', body: { description: 'x' } });
    expect(missing.body.error.message).toBe("Property 'displayName' is required.");
    const array = await server.graph('POST', `${em}/catalogs`, { as: 'admin@contoso.test', body: [1, 2] });
    expect(array.status).toBe(400);
    expect(array.body.error.message).toBe('Invalid value for the request body: expected object.');
  });

  it('answers a path with broken percent-encoding with 400, not 500', async () => {
    const res = await server.graph('GET', `${em}/accessPackages/%E0%A4%A`, { as: 'admin@contoso.test' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('percent-encoding');
  });

  it('echoes client-request-id', async () => {
    const res = await server.graph('GET', `${em}/catalogs`, { as: 'admin@contoso.test', headers: { 'client-request-id': 'abc-123' } });
    expect(res.headers.get('client-request-id')).toBe('abc-123');
    expect(res.headers.get('request-id')).toEqual(expect.any(String));
  });
});
