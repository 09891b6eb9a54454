import { requestorScopeRows } from '../../bot/commands/requests/applicablePolicies';
import { loadConfig } from '../../bot/config';
import { demo } from '../../bot/seed/tenant';
import { type Portier, startPortier } from '../../bot/server';
import { buildAccessPackage, buildCatalog, buildGroup, buildPolicy, policyBody, unique } from '../helpers/factories';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Who may request what, through `policy_requestor_scopes` (the derived table the list, the package's
 * read rule and the request rules match a person against): every kind of scope, for a member, a
 * member through a group, a guest of a configured organization, a partner not yet in the directory
 * and someone of no connected organization; the derived rows follow policy creation, replacement and
 * deletion in the same transaction, and a second server on the same database sees each change at once.
 */
describe('requestor scopes (who may request which package)', () => {
  let server: TestServer;
  const admin = 'admin@contoso.test';
  const prefix = unique('RS ');
  const people = ['alex@contoso.test', 'megan@contoso.test', 'ruth@fabrikam.test', 'pradeep@fabrikam.test', 'diego@litware.test'] as const;
  type Person = (typeof people)[number];
  const packages: Record<string, string> = {};
  const policies: Record<string, string> = {};
  let fabrikamId: string;
  let groupId: string;

  /** The test's packages `as` finds in the requestable list (by short name). */
  async function listed(as: string, on: TestServer | Portier = server): Promise<string[]> {
    const path = `${em}/accessPackages/filterByCurrentUser(on='allowedRequestor')?$select=id,displayName&$top=100&$filter=${encodeURIComponent(`startswith(displayName,'${prefix}')`)}`;
    const res = await graphOn(on, 'GET', path, as);
    expect([res.status, res.status === 200 ? null : res.body]).toEqual([200, null]);
    return (res.body.value as Array<{ displayName: string }>).map((p) => p.displayName.slice(prefix.length + 1)).sort();
  }

  /** The status of reading package `name` by id as `as`. */
  async function readById(as: string, name: string, on: TestServer | Portier = server): Promise<number> {
    return (await graphOn(on, 'GET', `${em}/accessPackages/${packages[name]}?$select=id`, as)).status;
  }

  /** The policy ids getApplicablePolicyRequirements offers `as` for package `name` (404 → null). */
  async function requirements(as: string, name: string): Promise<string[] | null> {
    const res = await server.graph('POST', `${em}/accessPackages/${packages[name]}/getApplicablePolicyRequirements`, { as });
    if (res.status === 404) return null;
    expect(res.status).toBe(200);
    return (res.body.value as Array<{ policyId: string }>).map((r) => r.policyId);
  }

  const tokens = new Map<string, string>();
  async function graphOn(on: TestServer | Portier, method: string, path: string, as: string): Promise<{ status: number; body: any }> {
    if ('graph' in on) return on.graph(method, path, { as });
    const key = `${on.url}|${as}`;
    if (!tokens.has(key)) {
      const res = await fetch(`${on.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn: as }) });
      tokens.set(key, ((await res.json()) as { access_token: string }).access_token);
    }
    const res = await fetch(`${on.url}/graph/v1.0/${path}`, { method, headers: { authorization: `Bearer ${tokens.get(key)}` } });
    return { status: res.status, body: await res.json() };
  }

  /** The derived table holds exactly what the policies say (the invariant every write keeps). */
  async function expectDerivedRowsTrue(): Promise<void> {
    const db = server.portier.store.db;
    const all = await db.selectFrom('assignment_policies').selectAll().execute();
    const expected = all.flatMap((p) => requestorScopeRows(p)).map((r) => `${r.policyId}|${r.accessPackageId}|${r.catalogId}|${r.kind}|${r.subjectId}`);
    const stored = (await db.selectFrom('policy_requestor_scopes').selectAll().execute()).map((r) => `${r.policyId}|${r.accessPackageId}|${r.catalogId}|${r.kind}|${r.subjectId}`);
    expect(stored.sort()).toEqual(expected.sort());
  }

  const selfAdd = { requestorSettings: { enableTargetsToSelfAddAccess: true } };

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
    const orgs = await server.graph('GET', `${em}/connectedOrganizations?$select=id,displayName`, { as: admin });
    fabrikamId = (orgs.body.value as Array<{ id: string; displayName: string }>).find((o) => o.displayName === demo.fabrikam.name)!.id;
    const group = await buildGroup(server, admin);
    groupId = group.id;
    expect((await server.graph('POST', `groups/${groupId}/members/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.users.alex.id}` } })).status).toBe(204);

    const open = (await buildCatalog(server, admin, { state: 'published', isExternallyVisible: true })).id;
    // Closed to externals after its policies were written (a policy for externals needs an open catalog to be created).
    const internalOnly = (await buildCatalog(server, admin, { state: 'published', isExternallyVisible: true })).id;
    const unpublished = (await buildCatalog(server, admin, { state: 'unpublished', isExternallyVisible: true })).id;
    const specs: Array<[string, string, Record<string, unknown>, Record<string, unknown>?]> = [
      ['allMembers', open, { allowedTargetScope: 'allMemberUsers', ...selfAdd }],
      ['allDirectory', open, { allowedTargetScope: 'allDirectoryUsers', ...selfAdd }],
      ['megan', open, { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.megan.id }], ...selfAdd }],
      ['group', open, { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: '' }], ...selfAdd }],
      ['fabrikam', open, { allowedTargetScope: 'specificConnectedOrganizationUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: '' }], ...selfAdd }],
      ['configured', open, { allowedTargetScope: 'allConfiguredConnectedOrganizationUsers', ...selfAdd }],
      ['external', open, { allowedTargetScope: 'allExternalUsers', ...selfAdd }],
      ['noSelfAdd', open, { allowedTargetScope: 'allMemberUsers' }],
      ['hidden', open, { allowedTargetScope: 'allDirectoryUsers', ...selfAdd }, { isHidden: true }],
      ['internalCatalog', internalOnly, { allowedTargetScope: 'allExternalUsers', ...selfAdd }],
      ['internalCatalogMembers', internalOnly, { allowedTargetScope: 'allMemberUsers', ...selfAdd }],
      ['unpublished', unpublished, { allowedTargetScope: 'allDirectoryUsers', ...selfAdd }],
    ];
    for (const [name, catalogId, policy, pkg] of specs) {
      packages[name] = (await buildAccessPackage(server, admin, catalogId, { displayName: `${prefix} ${name}`, ...pkg })).id;
      const targets = (policy.specificAllowedTargets as Array<Record<string, string>> | undefined)?.map((t) => ({
        ...t,
        ...('groupId' in t ? { groupId } : {}),
        ...('connectedOrganizationId' in t ? { connectedOrganizationId: fabrikamId } : {}),
      }));
      policies[name] = (await buildPolicy(server, admin, packages[name], { ...policy, ...(targets ? { specificAllowedTargets: targets } : {}) })).id;
    }
    expect((await server.graph('PATCH', `${em}/catalogs/${internalOnly}`, { as: admin, body: { isExternallyVisible: false } })).status).toBe(204);
  });
  afterAll(() => server.close());

  const expected: Record<Person, string[]> = {
    'alex@contoso.test': ['allDirectory', 'allMembers', 'group', 'internalCatalogMembers'],
    'megan@contoso.test': ['allDirectory', 'allMembers', 'internalCatalogMembers', 'megan'],
    // Ruth is a guest of Fabrikam (configured): directory-wide, her organization, configured organizations, externals.
    'ruth@fabrikam.test': ['allDirectory', 'configured', 'external', 'fabrikam'],
    // Pradeep is not in the directory yet: what partners of a connected organization may request.
    'pradeep@fabrikam.test': ['configured', 'external', 'fabrikam'],
    // Diego's organization is not connected: only "all external users".
    'diego@litware.test': ['external'],
  };

  it.each(people)('%s finds exactly the packages a policy lets them request, hidden ones left out of the list', async (as) => {
    expect(await listed(as)).toEqual(expected[as]);
  });

  it.each(people)('%s reads by id what they may request, hidden ones too, and nothing else of the test', async (as) => {
    const mayRequest = new Set([...expected[as], ...(expected[as].includes('allDirectory') ? ['hidden'] : [])]);
    for (const name of Object.keys(packages)) {
      expect([name, await readById(as, name)]).toEqual([name, mayRequest.has(name) ? 200 : 404]);
    }
  });

  it('offers the policies that let the caller request, and answers 404 where none does', async () => {
    expect(await requirements('alex@contoso.test', 'group')).toEqual([policies.group]);
    expect(await requirements('ruth@fabrikam.test', 'hidden')).toEqual([policies.hidden]);
    expect(await requirements('megan@contoso.test', 'group')).toBeNull();
    expect(await requirements('pradeep@fabrikam.test', 'allDirectory')).toBeNull();
    await expectDerivedRowsTrue();
  });

  it('offers the most specific policy first when several let the caller request', async () => {
    const broad = await buildPolicy(server, admin, packages.group, { allowedTargetScope: 'allMemberUsers', ...selfAdd });
    expect(await requirements('alex@contoso.test', 'group')).toEqual([policies.group, broad.id]);
    expect(await requirements('megan@contoso.test', 'group')).toEqual([broad.id]);
    expect((await server.graph('DELETE', `${em}/assignmentPolicies/${broad.id}`, { as: admin })).status).toBe(204);
    expect(await requirements('megan@contoso.test', 'group')).toBeNull();
    await expectDerivedRowsTrue();
  });

  it('follows a replaced policy (targets, scope, self-add) and a deleted one, in the same transaction', async () => {
    const replace = async (name: string, overrides: Record<string, unknown>) => {
      const res = await server.graph('PUT', `${em}/assignmentPolicies/${policies[name]}`, { as: admin, body: policyBody(packages[name], { displayName: `${prefix} ${name}`, ...overrides }) });
      expect(res.status).toBe(200);
    };
    await replace('megan', { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.alex.id }], ...selfAdd });
    expect(await listed('alex@contoso.test')).toContain('megan');
    expect(await listed('megan@contoso.test')).not.toContain('megan');
    expect(await readById('megan@contoso.test', 'megan')).toBe(404);
    await expectDerivedRowsTrue();

    await replace('megan', { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.alex.id }] });
    expect(await listed('alex@contoso.test')).not.toContain('megan');
    expect(await readById('alex@contoso.test', 'megan')).toBe(404);
    await expectDerivedRowsTrue();

    await replace('external', { allowedTargetScope: 'allMemberUsers', ...selfAdd });
    expect(await listed('diego@litware.test')).toEqual([]);
    expect(await listed('alex@contoso.test')).toContain('external');
    await expectDerivedRowsTrue();

    expect((await server.graph('DELETE', `${em}/assignmentPolicies/${policies.external}`, { as: admin })).status).toBe(204);
    expect(await listed('alex@contoso.test')).not.toContain('external');
    expect(await readById('alex@contoso.test', 'external')).toBe(404);
    await expectDerivedRowsTrue();

    expect((await server.graph('DELETE', `${em}/accessPackages/${packages.allMembers}`, { as: admin })).status).toBe(204);
    expect(await server.portier.store.db.selectFrom('policy_requestor_scopes').select('policyId').where('accessPackageId', '=', packages.allMembers).execute()).toEqual([]);
    await expectDerivedRowsTrue();
  });

  it('follows the catalog, group membership and the organization as they are now (read live, not derived)', async () => {
    const { catalogId: catalog } = await server.portier.store.db.selectFrom('access_packages').select('catalogId').where('id', '=', packages.allDirectory).executeTakeFirstOrThrow();
    expect((await server.graph('PATCH', `${em}/catalogs/${catalog}`, { as: admin, body: { isExternallyVisible: false } })).status).toBe(204);
    expect(await listed('ruth@fabrikam.test')).toEqual([]);
    expect(await listed('alex@contoso.test')).toContain('allDirectory');
    expect((await server.graph('PATCH', `${em}/catalogs/${catalog}`, { as: admin, body: { isExternallyVisible: true } })).status).toBe(204);
    expect(await listed('ruth@fabrikam.test')).toContain('allDirectory');

    expect((await server.graph('DELETE', `groups/${groupId}/members/${demo.users.alex.id}/$ref`, { as: admin })).status).toBe(204);
    expect(await listed('alex@contoso.test')).not.toContain('group');
    expect(await readById('alex@contoso.test', 'group')).toBe(404);
  });

  it('a second server on the same database sees every policy change at once (nothing cached per instance)', async () => {
    const config = loadConfig({ PORT: '0', DATABASE_URL: server.portier.config.databaseUrl, LOG_LEVEL: 'silent', PORTIER_JOB_INTERVAL_MS: '3600000' }, 'test');
    if (!config.ok) throw new Error(config.errors.join('\n'));
    const second = await startPortier(config.config);
    try {
      const body = (overrides: Record<string, unknown>) => policyBody(packages.megan, { displayName: `${prefix} megan`, allowedTargetScope: 'specificDirectoryUsers', ...selfAdd, ...overrides });
      const toMegan = body({ specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.megan.id }] });
      const toAlex = body({ specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.alex.id }] });
      for (const [target, who, other] of [
        [toMegan, 'megan@contoso.test', 'alex@contoso.test'],
        [toAlex, 'alex@contoso.test', 'megan@contoso.test'],
        [toMegan, 'megan@contoso.test', 'alex@contoso.test'],
      ] as const) {
        // Read on the second server first, so anything it kept would now be stale.
        await listed(who, second);
        await listed(other, second);
        expect((await server.graph('PUT', `${em}/assignmentPolicies/${policies.megan}`, { as: admin, body: target })).status).toBe(200);
        expect(await listed(who, second)).toContain('megan');
        expect(await listed(other, second)).not.toContain('megan');
        expect(await readById(who, 'megan', second)).toBe(200);
        expect(await readById(other, 'megan', second)).toBe(404);
      }
      // Replacements racing on both servers: each one's rows are written whole, and the last one stands.
      const secondToken = (await (await fetch(`${second.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn: admin }) })).json()) as { access_token: string };
      const racing = await Promise.all(
        Array.from({ length: 8 }, (_, i) => {
          const body = i % 2 === 0 ? toMegan : toAlex;
          if (i % 4 < 2) return server.graph('PUT', `${em}/assignmentPolicies/${policies.megan}`, { as: admin, body }).then((r) => r.status);
          return fetch(`${second.url}/graph/v1.0/${em}/assignmentPolicies/${policies.megan}`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${secondToken.access_token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }).then((r) => r.status);
        }),
      );
      expect(racing).toEqual(Array(8).fill(200));
      await expectDerivedRowsTrue();
      const [stored] = await server.portier.store.db.selectFrom('policy_requestor_scopes').select('subjectId').where('policyId', '=', policies.megan).execute();
      const who = stored.subjectId === demo.users.alex.id ? 'alex@contoso.test' : 'megan@contoso.test';
      expect(await listed(who, second)).toContain('megan');

      expect((await graphOn(second, 'GET', `${em}/accessPackages/${packages.configured}?$select=id`, 'pradeep@fabrikam.test')).status).toBe(200);
      expect((await server.graph('DELETE', `${em}/assignmentPolicies/${policies.configured}`, { as: admin })).status).toBe(204);
      expect((await graphOn(second, 'GET', `${em}/accessPackages/${packages.configured}?$select=id`, 'pradeep@fabrikam.test')).status).toBe(404);
      expect(await listed('pradeep@fabrikam.test', second)).not.toContain('configured');
    } finally {
      await second.close();
    }
    await expectDerivedRowsTrue();
  });
});
