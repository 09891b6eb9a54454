import { startTestServer, TestServer, em } from '../helpers/server';

describe('catalogs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('creates, reads, updates and deletes a catalog as Graph does', async () => {
    const create = await server.graph('POST', `${em}/catalogs`, { as: 'admin@contoso.test', body: { displayName: 'Partners', description: 'For partners', isExternallyVisible: true } });
    expect(create.status).toBe(201);
    expect(create.body).toMatchObject({ displayName: 'Partners', description: 'For partners', catalogType: 'userManaged', state: 'published', isExternallyVisible: true });
    const id = create.body.id as string;

    const patch = await server.graph('PATCH', `${em}/catalogs/${id}`, { as: 'admin@contoso.test', body: { state: 'unpublished' } });
    expect(patch.status).toBe(204);
    const get = await server.graph('GET', `${em}/catalogs/${id}`, { as: 'admin@contoso.test' });
    expect(get.status).toBe(200);
    expect(get.body.state).toBe('unpublished');

    const list = await server.graph('GET', `${em}/catalogs?$filter=displayName eq 'Partners'&$select=id,displayName`, { as: 'admin@contoso.test' });
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([{ id, displayName: 'Partners' }]);

    expect((await server.graph('DELETE', `${em}/catalogs/${id}`, { as: 'admin@contoso.test' })).status).toBe(204);
    expect((await server.graph('GET', `${em}/catalogs/${id}`, { as: 'admin@contoso.test' })).status).toBe(404);
  });

  it('refuses an unknown property with a Graph error naming it', async () => {
    const res = await server.graph('POST', `${em}/catalogs`, { as: 'admin@contoso.test', body: { displayName: 'X', colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BadRequest');
    expect(res.body.error.message).toContain("'colour'");
    expect(res.body.error.innerError['request-id']).toEqual(expect.any(String));
  });

  it('refuses callers without a token', async () => {
    const res = await server.graph('GET', `${em}/catalogs`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('InvalidAuthenticationToken');
  });
});
