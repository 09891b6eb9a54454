import type { Client, Context } from '@microsoft/microsoft-graph-client';
import { createGraphClient, ScopedAuthenticationHandler } from '../../bot/graph/client';
import { InProcessGraphHandler } from '../../bot/graph/inProcess';
import { demo } from '../../bot/seed/tenant';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * The same client the tab and the bot use in production, pointed at the embedded Graph. It walks
 * the configuration half of the extranet scenario (DESIGN §1 steps 1–7) from an empty extranet.
 */
describe('@microsoft/microsoft-graph-client against the embedded Graph', () => {
  let server: TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_SEED: 'directory' } });
    const token = await server.token('admin@contoso.test');
    client = createGraphClient({ baseUrl: `${server.url}/graph/`, token: async () => token });
  });
  afterAll(() => server.close());

  it('connects Fabrikam, builds the catalog, package and policy, and reads them back', async () => {
    // 1. Connected organization with sponsors.
    const fabrikam = await client.api(`/${em}/connectedOrganizations`).post({
      displayName: 'Fabrikam',
      description: 'Engineering partner',
      identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: demo.fabrikam.id, displayName: 'Fabrikam' }],
      state: 'configured',
    });
    expect(fabrikam).toMatchObject({ displayName: 'Fabrikam', state: 'configured' });
    await client.api(`/${em}/connectedOrganizations/${fabrikam.id}/internalSponsors/$ref`).post({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.users.adele.id}` });
    await client.api(`/${em}/connectedOrganizations/${fabrikam.id}/externalSponsors/$ref`).post({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.ruthGuest.id}` });

    // 2. Catalog, 3. resources.
    const catalog = await client.api(`/${em}/catalogs`).post({ displayName: 'Fabrikam extranet', description: 'Shared with Fabrikam', isExternallyVisible: true });
    for (const resource of [
      { originId: demo.projectFalcon.groupId, originSystem: 'AadGroup' },
      { originId: demo.projectFalcon.siteUrl, originSystem: 'SharePointOnline' },
    ]) {
      const request = await client.api(`/${em}/resourceRequests`).post({ requestType: 'adminAdd', resource, catalog: { id: catalog.id } });
      expect(request.state).toBe('delivered');
    }
    const roles = await client.api(`/${em}/catalogs/${catalog.id}/resourceRoles`).expand('resource').orderby('displayName').get();
    expect(roles.value.map((r: { displayName: string }) => r.displayName)).toEqual(['Member', 'Owner', 'Project Falcon Members', 'Project Falcon Owners', 'Project Falcon Visitors']);

    // 4. Access package with the team's Member role and the site's Members role; 7. hidden.
    const accessPackage = await client.api(`/${em}/accessPackages`).post({ displayName: 'Project Falcon – partner access', isHidden: true, catalog: { id: catalog.id } });
    const member = roles.value.find((r: { displayName: string }) => r.displayName === 'Member');
    const siteMembers = roles.value.find((r: { displayName: string }) => r.displayName === 'Project Falcon Members');
    for (const role of [member, siteMembers]) {
      await client.api(`/${em}/accessPackages/${accessPackage.id}/resourceRoleScopes`).post({
        role: { originId: role.originId, originSystem: role.originSystem, resource: { id: role.resource.id } },
        scope: { originId: role.resource.originId, originSystem: role.originSystem },
      });
    }

    // 5–6. Policy: Fabrikam only, sponsor approval with a fallback, 90 days, quarterly review.
    const policy = await client.api(`/${em}/assignmentPolicies`).post({
      displayName: 'Fabrikam partners',
      accessPackage: { id: accessPackage.id },
      allowedTargetScope: 'specificConnectedOrganizationUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: fabrikam.id }],
      expiration: { type: 'afterDuration', duration: 'P90D' },
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        isRequestorJustificationRequired: true,
        stages: [
          {
            durationBeforeAutomaticDenial: 'P14D',
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }],
            fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.lee.id }],
          },
        ],
      },
    });
    expect(policy.allowedTargetScope).toBe('specificConnectedOrganizationUsers');

    const read = await client
      .api(`/${em}/accessPackages/${accessPackage.id}`)
      .expand('resourceRoleScopes($expand=role,scope),assignmentPolicies,catalog')
      .get();
    expect(read).toMatchObject({ isHidden: true, catalog: { id: catalog.id } });
    expect(read.resourceRoleScopes).toHaveLength(2);
    expect(read.assignmentPolicies).toEqual([expect.objectContaining({ id: policy.id, expiration: expect.objectContaining({ type: 'afterDuration', duration: 'P90D' }) })]);

    const listed = await client.api(`/${em}/accessPackages`).filter(`catalog/id eq '${catalog.id}'`).select('id,displayName').count(true).get();
    expect(listed['@odata.count']).toBe(1);
  });

  it('surfaces Graph errors as GraphError with status and code', async () => {
    const error = await client
      .api(`/${em}/catalogs`)
      .post({ displayName: '' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });
});

describe('the demo seed', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('has Fabrikam, the catalog and the hidden package with its policy, as DESIGN §7 says', async () => {
    const orgs = await server.graph('GET', `${em}/connectedOrganizations?$expand=internalSponsors,externalSponsors`, { as: 'admin@contoso.test' });
    expect(orgs.body.value).toEqual([
      expect.objectContaining({
        displayName: 'Fabrikam',
        state: 'configured',
        internalSponsors: [expect.objectContaining({ id: demo.users.adele.id })],
        externalSponsors: [expect.objectContaining({ id: demo.ruthGuest.id })],
      }),
    ]);
    const packages = await server.graph('GET', `${em}/accessPackages?$expand=catalog,resourceRoleScopes($expand=role),assignmentPolicies`, { as: 'megan@contoso.test' });
    expect(packages.status).toBe(200);
    expect(packages.body.value).toHaveLength(1);
    const [pkg] = packages.body.value;
    expect(pkg).toMatchObject({ displayName: demo.packageName, isHidden: true, catalog: { displayName: demo.catalogName, isExternallyVisible: true } });
    expect(pkg.resourceRoleScopes.map((s: { role: { displayName: string } }) => s.role.displayName).sort()).toEqual(['Member', 'Project Falcon Members']);
    expect(pkg.assignmentPolicies[0]).toMatchObject({
      allowedTargetScope: 'specificConnectedOrganizationUsers',
      expiration: { type: 'afterDuration', duration: 'P90D' },
      requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [expect.objectContaining({ primaryApprovers: [expect.objectContaining({ '@odata.type': '#microsoft.graph.externalSponsors' })], fallbackPrimaryApprovers: [expect.objectContaining({ userId: demo.users.lee.id })] })] },
      reviewSettings: expect.objectContaining({ isEnabled: true }),
    });
  });

  it('does not seed twice when the server restarts on the same database', async () => {
    const { startPortier } = await import('../../bot/server');
    const again = await startPortier({ ...server.portier.config, port: 0 }, { store: server.portier.store });
    try {
      const catalogs = await server.graph('GET', `${em}/catalogs?$count=true`, { as: 'admin@contoso.test' });
      expect(catalogs.body['@odata.count']).toBe(1);
    } finally {
      await again.close();
    }
  });
});

describe('the in-process transport (the bot inside Portier)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  /** The outcome of a call with Graph's volatile parts (request ids, dates) taken out. */
  const outcome = (call: Promise<unknown>) =>
    call.then(
      (body: unknown) => ({ ok: true, body }),
      (error: { statusCode?: number; code?: string; message?: string; body?: unknown }) => ({ ok: false, statusCode: error.statusCode, code: error.code, message: error.message }),
    );

  it('answers every call as the same client over HTTP does: bodies, errors and their codes', async () => {
    const token = await server.token('ruth@fabrikam.test');
    const bad = 'not-a-token';
    const clients = (t: string) => [
      createGraphClient({ baseUrl: `${server.url}/graph/`, token: async () => t, retries: 0 }),
      createGraphClient({ baseUrl: `${server.url}/graph/`, token: async () => t, retries: 0, local: (base) => new InProcessGraphHandler(base, server.portier.graphHandler) }),
    ];
    const pkg = (await server.graph('GET', `${em}/accessPackages?$select=id`, { as: 'admin@contoso.test' })).body.value[0].id as string;
    const calls: Array<[string, (c: Client) => Promise<unknown>]> = [
      ['a read with $expand and $select', (c) => c.api(`/${em}/accessPackages/${pkg}`).expand('catalog($select=displayName)').select('id,displayName').get()],
      ['a function segment', (c) => c.api(`/${em}/assignmentRequests/filterByCurrentUser(on='target')`).get()],
      ['an unknown id (404)', (c) => c.api(`/${em}/assignmentRequests/00000000-0000-4000-8000-000000000000`).get()],
      ['a malformed id (400)', (c) => c.api(`/${em}/assignmentRequests/nope`).get()],
      ['a refused body (400)', (c) => c.api(`/${em}/assignmentRequests`).post({ requestType: 'userAdd' })],
      ['a write that is not allowed (403)', (c) => c.api(`/${em}/catalogs`).post({ displayName: 'Not Ruth’s' })],
      ['a body with a key twice (400)', (c) => c.api(`/${em}/catalogs`).header('content-type', 'application/json').post('{"displayName":"a","displayName":"b"}')],
    ];
    for (const [what, call] of calls) {
      const [http, local] = clients(token);
      const [viaHttp, inProcess] = [await outcome(call(http)), await outcome(call(local))];
      expect({ what, ...inProcess }).toEqual({ what, ...viaHttp });
    }
    const [http, local] = clients(bad);
    const unauthenticated = await outcome(local.api('/me').get());
    expect(unauthenticated).toEqual(await outcome(http.api('/me').get()));
    expect(unauthenticated).toMatchObject({ ok: false, statusCode: 401 });
  });

  it('leaves calls to any other host or path, and bodies it cannot read, to the next middleware (HTTP)', async () => {
    const served: string[] = [];
    const passed: string[] = [];
    const handler = new InProcessGraphHandler('http://127.0.0.1:3978/graph/', async (req, res) => {
      served.push(req.url ?? '');
      res.writeHead(204);
      res.end();
    });
    handler.setNext({ execute: async (context: Context) => void passed.push(String(context.request)), setNext: () => undefined });
    await handler.execute({ request: 'http://127.0.0.1:3978/graph/v1.0/me?$select=id', options: { method: 'GET' } });
    await handler.execute({ request: 'https://evil.example/graph/v1.0/me', options: {} });
    await handler.execute({ request: 'http://127.0.0.1:3979/graph/v1.0/me', options: {} });
    await handler.execute({ request: 'http://127.0.0.1:3978/api/messages', options: {} });
    await handler.execute({ request: 'http://127.0.0.1:3978/graph/v1.0/me/photo/$value', options: { method: 'PUT', body: new Blob(['x']) } });
    expect(served).toEqual(['/graph/v1.0/me?$select=id']);
    expect(passed).toEqual(['https://evil.example/graph/v1.0/me', 'http://127.0.0.1:3979/graph/v1.0/me', 'http://127.0.0.1:3978/api/messages', 'http://127.0.0.1:3978/graph/v1.0/me/photo/$value']);
  });
});

describe(ScopedAuthenticationHandler.name, () => {
  it('adds the token under its base URL only, never to other hosts', async () => {
    const seen: Array<string | undefined> = [];
    const handler = new ScopedAuthenticationHandler('http://127.0.0.1:3978/graph/', async () => 'secret');
    handler.setNext({
      execute: async (context: Context) => {
        seen.push((context.options?.headers as Record<string, string> | undefined)?.authorization);
      },
      setNext: () => undefined,
    });
    await handler.execute({ request: 'http://127.0.0.1:3978/graph/v1.0/me', options: { headers: { accept: 'application/json' } } });
    await handler.execute({ request: 'https://evil.example/graph/v1.0/me', options: {} });
    await handler.execute({ request: 'http://127.0.0.1:3978/graphs-not-ours/v1.0/me', options: {} });
    expect(seen).toEqual(['Bearer secret', undefined, undefined]);
  });
});
