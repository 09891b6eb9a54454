import { demo } from '../../../bot/seed/tenant';
import { admin, buildRequestablePackage, submit } from '../../helpers/requests';
import { em, startTestServer, TestServer } from '../../helpers/server';

/**
 * Bad input is refused the same way on SQLite and PostgreSQL, always with Graph's error body and
 * never with a database's text (issue 8, items 8, 9 and 14).
 */
describe('bad input', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
  });
  afterAll(() => server.close());

  const graphError = { error: expect.objectContaining({ code: expect.any(String), message: expect.any(String), innerError: { date: expect.any(String), 'request-id': expect.any(String), 'client-request-id': expect.any(String) } }) };
  const databaseWords = /sqlite|postgres|syntax error|invalid byte sequence|SQLSTATE|constraint|relation "|no such table|0x00/i;

  /** A raw call, to send exactly the bytes and headers under test. */
  async function raw(method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string>; as?: string } = {}) {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.as) headers.authorization = `Bearer ${await server.token(init.as)}`;
    const res = await fetch(`${server.url}${path}`, { method, headers, body: init.body });
    const text = await res.text();
    return { status: res.status, text, body: text ? (JSON.parse(text) as any) : undefined };
  }

  describe('NUL bytes and unpaired surrogates (item 8)', () => {
    const json = { 'content-type': 'application/json' };
    const hostileStrings = ['abc\u0000def', 'lone \ud800 high', 'lone \udc00 low', '\u0000'];

    it.each(hostileStrings)('refuses %j in a body with 400 and writes nothing', async (value) => {
      const before = await server.graph('GET', `${em}/catalogs?$count=true&$top=0`, { as: admin });
      for (const body of [{ displayName: value, description: 'x' }, { displayName: 'ok', description: value }, { [value]: 'key' }]) {
        const res = await raw('POST', `/graph/v1.0/${em}/catalogs`, { as: admin, headers: json, body: JSON.stringify(body) });
        expect({ value, status: res.status }).toEqual({ value, status: 400 });
        expect(res.body).toEqual(graphError);
        expect(res.text).not.toMatch(databaseWords);
      }
      const after = await server.graph('GET', `${em}/catalogs?$count=true&$top=0`, { as: admin });
      expect(after.body['@odata.count']).toBe(before.body['@odata.count']);
    });

    it('refuses them on the unauthenticated dev sign-in with Graph error bodies and no database text', async () => {
      for (const upn of ['admin\u0000@contoso.test', 'x\ud800@contoso.test']) {
        const res = await raw('POST', '/api/dev/token', { headers: json, body: JSON.stringify({ upn }) });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(graphError);
        expect(res.text).not.toMatch(databaseWords);
      }
      const invalidUtf8 = await raw('POST', '/api/dev/token', { headers: json, body: Buffer.from([0x7b, 0x22, 0x75, 0x70, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) });
      expect(invalidUtf8.status).toBe(400);
      expect(invalidUtf8.body).toEqual(graphError);
      for (const [method, path, init] of [
        ['GET', '/api/dev/token', {}],
        ['POST', '/api/dev/token', { headers: { 'content-type': 'text/plain' }, body: '{"upn":"admin@contoso.test"}' }],
        ['POST', '/api/dev/token', { headers: json, body: '{"upn":' }],
        ['POST', '/api/nothing-here', { headers: json, body: '{}' }],
      ] as const) {
        const res = await raw(method, path, init);
        expect({ path, method, status: res.status >= 400 && res.status < 500 }).toEqual({ path, method, status: true });
        expect(res.body).toEqual(graphError);
      }
    });

    it('refuses them in path ids and $filter literals with 400', async () => {
      // A surrogate cannot be percent-encoded as UTF-8 at all: %ED%A0%80 (its CESU-8 form) is refused as encoding.
      for (const path of [`${em}/catalogs/abc%00def`, `users/alex%00@contoso.test`, `${em}/accessPackages/${demo.users.alex.id}%00`, `users/%ED%A0%80`]) {
        const res = await raw('GET', `/graph/v1.0/${path}`, { as: admin });
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(res.body).toEqual(graphError);
      }
      for (const filter of ["displayName eq 'a\u0000b'", "startswith(displayName,'\u0000')", "target/objectId eq '\u0000'"]) {
        const collection = filter.startsWith('target') ? `${em}/assignmentRequests` : 'users';
        const res = await raw('GET', `/graph/v1.0/${collection}?$filter=${encodeURIComponent(filter)}`, { as: admin });
        expect({ filter, status: res.status }).toEqual({ filter, status: 400 });
        expect(res.body).toEqual(graphError);
        expect(res.text).not.toMatch(databaseWords);
      }
    });
  });

  describe('crafted query options, function arguments and bodies (item 9)', () => {
    const token = (o: unknown) => Buffer.from(JSON.stringify({ o })).toString('base64url');

    it.each([1e300, 2 ** 60, -1, 1.5, '10', Number.MAX_SAFE_INTEGER])('refuses $skiptoken with offset %p with 400', async (offset) => {
      const res = await server.graph('GET', `${em}/catalogs?$skiptoken=${token(offset)}`, { as: admin });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/skiptoken/);
    });

    it('still pages with the nextLink it gave', async () => {
      const first = await server.graph('GET', 'users?$top=2', { as: admin });
      const next = new URL(first.body['@odata.nextLink']);
      const second = await server.graph('GET', `users${next.search}`, { as: admin });
      expect(second.status).toBe(200);
      expect(second.body.value.length).toBeGreaterThan(0);
    });

    it.each([
      `${em}/assignmentRequests/filterByCurrentUser(on='target',x='y')`,
      `${em}/assignmentRequests/filterByCurrentUser(on='target',on='createdBy')`,
      `${em}/assignments/filterByCurrentUser(target='x')`,
      `${em}/accessPackages/filterByCurrentUser(on='allowedRequestor',extra='1')`,
    ])('refuses unknown or repeated function arguments: %s', async (path) => {
      const res = await server.graph('GET', path, { as: admin });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(graphError);
    });

    it('parses only application/json bodies, with parameters, and refuses duplicate keys', async () => {
      const body = JSON.stringify({ displayName: 'Typed', description: 'x' });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json', 'application/json; charset=latin1']) {
        const res = await raw('POST', `/graph/v1.0/${em}/catalogs`, { as: admin, headers: { 'content-type': type }, body });
        expect({ type, status: res.status }).toEqual({ type, status: 415 });
        expect(res.body).toEqual(graphError);
      }
      const none = await raw('POST', `/graph/v1.0/${em}/catalogs`, { as: admin, body: Buffer.from(body) });
      expect(none.status).toBe(415);
      for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'application/json;odata.metadata=minimal']) {
        const res = await raw('POST', `/graph/v1.0/${em}/catalogs`, { as: admin, headers: { 'content-type': type }, body: JSON.stringify({ displayName: `Typed ${type}`, description: 'x' }) });
        expect({ type, status: res.status }).toEqual({ type, status: 201 });
      }
      for (const text of ['{"displayName":"A","displayName":"B"}', '{"displayName":"A","description":"x","catalog":{"id":"1","id":"2"}}', '{"displayName":"A","description":"x","\\u0064isplayName":"B"}']) {
        const res = await raw('POST', `/graph/v1.0/${em}/catalogs`, { as: admin, headers: { 'content-type': 'application/json' }, body: text });
        expect({ text, status: res.status }).toEqual({ text, status: 400 });
        expect(res.body.error.message).toMatch(/more than once/);
      }
    });
  });

  describe("Graph's semantics of names and ids (item 14)", () => {
    it('matches property names and enum values in $filter case-insensitively', async () => {
      const pkg = await buildRequestablePackage(server);
      const requestId = await submit(server, 'alex@contoso.test', pkg.packageId);
      await server.portier.jobs.runOnce();
      const alexId = demo.users.alex.id;
      const assignmentId = (await server.portier.store.db.selectFrom('assignment_requests').select('assignmentId').where('id', '=', requestId).executeTakeFirstOrThrow()).assignmentId;
      for (const filter of [`target/objectid eq '${alexId}' and state eq 'Delivered'`, `Target/ObjectId eq '${alexId}' and State eq 'delivered'`, `STATE in ('DELIVERED') and accesspackage/ID eq '${pkg.packageId}'`]) {
        const res = await server.graph('GET', `${em}/assignments?$filter=${encodeURIComponent(filter)}`, { as: admin });
        expect({ filter, status: res.status }).toEqual({ filter, status: 200 });
        expect(res.body.value.map((r: { id: string }) => r.id)).toContain(assignmentId);
      }
      const requests = await server.graph('GET', `${em}/assignmentRequests?$filter=${encodeURIComponent("State eq 'Delivered' and RequestType eq 'USERADD'")}`, { as: admin });
      expect(requests.status).toBe(200);
      expect(requests.body.value.map((r: { id: string }) => r.id)).toContain(requestId);
      const ordered = await server.graph('GET', 'users?$orderby=DisplayName desc&$top=1', { as: admin });
      expect(ordered.status).toBe(200);
      const bad = await server.graph('GET', `${em}/assignmentRequests?$filter=${encodeURIComponent("state eq 'nonsense'")}`, { as: admin });
      expect(bad.status).toBe(400);
    });

    it('answers 400 to a malformed id and 404 to an unknown well-formed one', async () => {
      const unknown = '00000000-0000-4000-8000-000000000001';
      for (const collection of ['catalogs', 'accessPackages', 'assignmentPolicies', 'assignmentRequests', 'assignments', 'connectedOrganizations']) {
        const malformed = await server.graph('GET', `${em}/${collection}/not-a-guid`, { as: admin });
        expect({ collection, status: malformed.status }).toEqual({ collection, status: 400 });
        expect(malformed.body).toEqual(graphError);
        const missing = await server.graph('GET', `${em}/${collection}/${unknown}`, { as: admin });
        expect({ collection, status: missing.status }).toEqual({ collection, status: 404 });
      }
      expect((await server.graph('GET', 'groups/not-a-guid', { as: admin })).status).toBe(400);
      // Users are addressed by id or userPrincipalName: an unknown name is a 404.
      expect((await server.graph('GET', 'users/nobody@contoso.test', { as: admin })).status).toBe(404);
      expect((await server.graph('GET', 'users/alex@contoso.test', { as: admin })).status).toBe(200);
    });
  });
});
