import fc from 'fast-check';
import { demo } from '../../../bot/seed/tenant';
import { policyBody } from '../../helpers/factories';
import { filterText } from '../../helpers/fuzz';
import { admin } from '../../helpers/requests';
import { em, startTestServer, TestServer } from '../../helpers/server';

/**
 * Property-based tests through real HTTP (issue 8, "Tested"): fuzzed `$filter`/`$orderby`/`$expand`
 * and fuzzed bodies never make the server answer 500 or hang, on SQLite and PostgreSQL.
 */
describe('fuzzing the embedded Graph', () => {
  let server: TestServer;
  let packageId: string;
  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
    await server.portier.jobs.stop();
    const catalog = await server.graph('POST', `${em}/catalogs`, { as: admin, body: { displayName: 'Fuzz', description: 'x' } });
    packageId = (await server.graph('POST', `${em}/accessPackages`, { as: admin, body: { displayName: 'Fuzz', description: 'x', catalog: { id: catalog.body.id } } })).body.id;
  });
  afterAll(() => server.close());

  const noServerError = (res: { status: number; body: any }, what: unknown) => {
    if (res.status >= 500) throw new Error(`${res.status} for ${JSON.stringify(what)}: ${JSON.stringify(res.body)}`);
  };

  it('answers fuzzed query options with 200 or 4xx, never 500', async () => {
    const collections = fc.constantFrom('users', 'groups', `${em}/accessPackages`, `${em}/assignments`, `${em}/assignmentRequests`, `${em}/catalogs`, `${em}/connectedOrganizations`, 'auditLogs/directoryAudits');
    const option = fc.oneof(
      filterText().map((f) => `$filter=${encodeURIComponent(f)}`),
      fc.string({ maxLength: 40 }).map((s) => `$orderby=${encodeURIComponent(s)}`),
      fc.constantFrom('members', 'memberOf($expand=members)', 'catalog($expand=accessPackages)', 'sponsors($select=id', 'x(', 'accessPackage,target').map((e) => `$expand=${encodeURIComponent(e)}`),
      fc.string({ maxLength: 30 }).map((s) => `$skiptoken=${encodeURIComponent(s)}`),
      fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 })).map((n) => `$top=${encodeURIComponent(String(n))}`),
    );
    await fc.assert(
      fc.asyncProperty(collections, fc.array(option, { minLength: 1, maxLength: 3 }), async (collection, options) => {
        const path = `${collection}?${options.join('&')}`;
        noServerError(await server.graph('GET', path, { as: admin }), path);
      }),
      { numRuns: 150 },
    );
  });

  it('answers fuzzed bodies with 2xx or 4xx, never 500', async () => {
    const valid = (): Record<string, unknown> => policyBody(packageId, { allowedTargetScope: 'allMemberUsers' });
    // A valid policy with one property replaced by any JSON value (or removed), or any JSON at all.
    const mutatedPolicy = fc.tuple(fc.constantFrom(...Object.keys(valid()), 'questions', 'requestApprovalSettings', 'reviewSettings', 'expiration'), fc.option(fc.jsonValue({ maxDepth: 3 }))).map(([key, value]) => {
      const body = valid();
      if (value === null) delete body[key];
      else body[key] = value;
      return body;
    });
    const targets = fc.constantFrom(
      `${em}/assignmentPolicies`,
      `${em}/catalogs`,
      `${em}/accessPackages`,
      `${em}/assignmentRequests`,
      `${em}/connectedOrganizations`,
      'users',
      'groups',
      'invitations',
      `users/${demo.users.alex.id}/sponsors/$ref`,
    );
    const body = fc.oneof(mutatedPolicy, fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.constantFrom('displayName', 'description', 'catalog', 'accessPackage', 'requestType', 'assignment', '@odata.id', 'identitySources', 'upn'), fc.jsonValue({ maxDepth: 2 })));
    await fc.assert(
      fc.asyncProperty(targets, body, async (path, value) => {
        noServerError(await server.graph('POST', path, { as: admin, body: value }), { path, value });
      }),
      { numRuns: 250 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ upn: fc.string({ unit: 'binary', maxLength: 40 }) })), async (value) => {
        const res = await fetch(`${server.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
        const text = await res.text();
        noServerError({ status: res.status, body: text }, value);
        expect(JSON.parse(text)).toEqual(res.status === 200 ? expect.objectContaining({ access_token: expect.any(String) }) : { error: expect.objectContaining({ code: expect.any(String) }) });
      }),
      { numRuns: 100 },
    );
  });
});
