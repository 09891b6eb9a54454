import { readFileSync } from 'node:fs';
import { entities } from '../../bot/graph/odata/model';
import { demo } from '../../bot/seed/tenant';
import { beyondTypings, buildModel, checkErrorBody, GraphConformance, graphTypeModel, navigationsBeyondTypings } from '../helpers/conformance';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Graph v1.0 conformance (issue 8 item 15). Every successful response the API tests see through
 * `TestServer.graph` / `graphAt` is checked against Microsoft's typings (tests/helpers/conformance.ts).
 * This file checks the checker, then walks every collection with every navigation expanded.
 */
const root = 'http://localhost/graph/v1.0/$metadata#';

describe('the conformance checker', () => {
  const checker = new GraphConformance();

  it('is built from the typings with the TypeScript parser: interfaces, bases, enums', () => {
    const model = graphTypeModel();
    expect(model.interfaces.ConnectedOrganization.base).toBe('Entity');
    expect(model.interfaces.UserIdentity.base).toBe('Identity');
    expect(model.enums.AccessPackageCatalogState).toEqual(['unpublished', 'published', 'unknownFutureValue']);
    expect(Object.keys(model.interfaces).length).toBeGreaterThan(1000);
    // The cached model is what a fresh parse gives.
    const typings = readFileSync(require.resolve('@microsoft/microsoft-graph-types/microsoft-graph.d.ts'), 'utf8');
    expect(buildModel(typings).interfaces.AccessPackage).toEqual(model.interfaces.AccessPackage);
  });

  it('finds the type of a response from its @odata.context', () => {
    expect(checker.contextType(`${root}identityGovernance/entitlementManagement/accessPackages('x')/assignmentPolicies`)).toEqual({ type: 'AccessPackageAssignmentPolicy', collection: true });
    expect(checker.contextType(`${root}identityGovernance/entitlementManagement/catalogs/$entity`)).toEqual({ type: 'AccessPackageCatalog', collection: false });
    expect(checker.contextType(`${root}directoryObjects/$entity`)).toEqual({ type: 'DirectoryObject', collection: false });
    expect(checker.contextType(`${root}Collection(microsoft.graph.approval)`)).toEqual({ type: 'Approval', collection: true });
    expect(() => checker.contextType(`${root}identityGovernance/entitlementManagement/widgets`)).toThrow(/widgets/);
  });

  it.each([
    ['an unknown property', { '@odata.context': `${root}identityGovernance/entitlementManagement/connectedOrganizations/$entity`, id: 'x', createdBy: 'me' }, /connectedOrganization has no property 'createdBy'/],
    ['a wrong JSON type', { '@odata.context': `${root}identityGovernance/entitlementManagement/accessPackages/$entity`, id: 'x', isHidden: 1 }, /isHidden: expected a boolean/],
    ['a value outside the enum', { '@odata.context': `${root}identityGovernance/entitlementManagement/catalogs/$entity`, id: 'x', state: 'Published' }, /'Published' is not a member of accessPackageCatalogState/],
    ['a user served as a bare directoryObject', { '@odata.context': `${root}users/$entity`, id: 'x', manager: { id: 'y', displayName: 'Lee' } }, /directoryObject has no property 'displayName'.*@odata.type/],
    ['a userIdentity served as a bare identity', { '@odata.context': `${root}Collection(microsoft.graph.approval)`, value: [{ id: 'a', stages: [{ id: 's', reviewedBy: { id: 'u', displayName: 'U', userPrincipalName: 'u@x' } }] }] }, /identity has no property 'userPrincipalName'/],
    ['an @odata.type that is not derived from the declared type', { '@odata.context': `${root}users/$entity`, id: 'x', manager: { '@odata.type': '#microsoft.graph.accessPackage', id: 'y' } }, /not microsoft.graph.directoryObject nor derived/],
    ['a null where the typings allow none', { '@odata.context': `${root}identityGovernance/entitlementManagement/catalogs`, value: [{ id: null }] }, /value\[0\]\.id: null is not allowed|expected a string/],
    ['a member a collection response has not', { '@odata.context': `${root}groups`, value: [], extra: 1 }, /unexpected member 'extra'/],
  ])('reports %s', (_name, body, message) => {
    const problems = checker.checkResponse(body);
    expect(problems.join('\n')).toMatch(message);
  });

  it("checks error bodies against Graph's error body", () => {
    const innerError = { date: '2026-01-01T00:00:00Z', 'request-id': 'r', 'client-request-id': 'r' };
    expect(checkErrorBody({ error: { code: 'BadRequest', message: 'x', target: '$filter', innerError } })).toEqual([]);
    expect(checkErrorBody({ message: 'x' })).not.toEqual([]);
    expect(checkErrorBody({ error: { code: 'BadRequest', message: 'x', innerError, stack: 'at …' } }).join()).toMatch(/error.stack/);
    expect(checkErrorBody({ error: { code: '', message: 'x', innerError } }).join()).toMatch(/code/);
  });

  it('accepts derived values that say what they are, and what the allow-list names', () => {
    expect(
      checker.checkResponse({
        '@odata.context': `${root}users/$entity`,
        id: 'x',
        displayName: 'Alex',
        manager: { '@odata.type': '#microsoft.graph.user', id: 'y', displayName: 'Lee' },
        memberOf: [{ '@odata.type': '#microsoft.graph.group', id: 'g', displayName: 'G', resourceProvisioningOptions: ['Team'] }],
      }),
    ).toEqual([]);
    expect(checker.checkResponse({ '@odata.context': `${root}identityGovernance/entitlementManagement/subjects/$entity`, id: 's', subjectLifecycle: 'governed' })).toEqual([]);
  });

  it('keeps the allow-list short, each entry with its reason, and only for what the typings lack', () => {
    const model = graphTypeModel();
    const entries = Object.entries(beyondTypings).flatMap(([type, props]) => Object.entries(props).map(([prop, reason]) => ({ type, prop, reason })));
    expect(entries.length).toBeLessThanOrEqual(5);
    for (const { type, prop, reason } of entries) {
      expect(reason.length).toBeGreaterThan(30);
      const name = type.charAt(0).toUpperCase() + type.slice(1);
      expect(model.interfaces[name]).toBeDefined();
      expect(model.interfaces[name].props[prop]).toBeUndefined();
    }
    for (const [type, navs] of Object.entries(navigationsBeyondTypings)) {
      for (const [nav, { reason }] of Object.entries(navs)) {
        expect(model.interfaces[type].props[nav]).toBeUndefined();
        expect(reason.length).toBeGreaterThan(30);
      }
    }
  });

  it("knows every property of every entity Portier serves, or the allow-list does", () => {
    const model = graphTypeModel();
    const known = (type: string, name: string) => {
      for (let t: string | null = type; t; t = model.interfaces[t]?.base ?? null) if (model.interfaces[t]?.props[name]) return true;
      return false;
    };
    const unknown: string[] = [];
    for (const def of Object.values(entities)) {
      const type = def.type.charAt(0).toUpperCase() + def.type.slice(1);
      for (const name of [...Object.keys(def.props), ...Object.keys(def.navs)]) {
        if (!known(type, name) && !(name in (beyondTypings[def.type] ?? {}))) unknown.push(`${def.type}.${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});

describe('every collection, every navigation expanded, conforms to Graph v1.0', () => {
  let server: TestServer;
  const admin = demo.users.admin.upn;
  const checker = new GraphConformance();
  beforeAll(async () => {
    server = await startTestServer();
    // Some life in the data: a request, decided, so stages, assignments and subjects exist.
    const pkg = await server.portier.store.db.selectFrom('access_packages').select('id').where('displayName', '=', demo.packageName).executeTakeFirstOrThrow();
    const policy = await server.portier.store.db.selectFrom('assignment_policies').select('questions').where('accessPackageId', '=', pkg.id).executeTakeFirstOrThrow();
    const [question] = JSON.parse(policy.questions) as Array<{ id: string }>;
    const request = await server.graph('POST', `${em}/assignmentRequests`, {
      as: demo.partners.pradeep.upn,
      body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.id }, justification: 'Falcon', answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'Firmware', answeredQuestion: { id: question.id } }] },
    });
    expect(request.status).toBe(201);
    await server.portier.jobs.runOnce();
    const stages = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${request.body.id}/stages`, { as: admin });
    const decided = await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${request.body.id}/stages/${stages.body.value[0].id}`, { as: demo.ruthGuest.upn, body: { reviewResult: 'Approve', justification: 'ok' } });
    expect(decided.status).toBe(204);
    await server.portier.jobs.runOnce();
  });
  afterAll(() => server.close());

  const expandAll = (type: keyof typeof entities) => Object.keys(entities[type].navs).join(',');
  it.each([
    ['users', 'user'],
    ['groups', 'group'],
    ['organization', 'organization'],
    ['roleManagement/entitlementManagement/roleDefinitions', 'unifiedRoleDefinition'],
    ['roleManagement/entitlementManagement/roleAssignments', 'unifiedRoleAssignment'],
    ['auditLogs/directoryAudits', 'directoryAudit'],
    [`${em}/catalogs`, 'accessPackageCatalog'],
    [`${em}/accessPackages`, 'accessPackage'],
    [`${em}/assignmentPolicies`, 'accessPackageAssignmentPolicy'],
    [`${em}/assignmentRequests`, 'accessPackageAssignmentRequest'],
    [`${em}/assignments`, 'accessPackageAssignment'],
    [`${em}/connectedOrganizations`, 'connectedOrganization'],
    [`${em}/resourceRequests`, 'accessPackageResourceRequest'],
  ] as const)('GET %s', async (path, type) => {
    const expand = expandAll(type);
    const res = await server.graph('GET', `${path}${expand ? `?$expand=${expand}` : ''}`, { as: admin });
    expect(res.status).toBe(200);
    expect(res.body.value.length).toBeGreaterThan(0);
    expect(checker.checkResponse(res.body)).toEqual([]);
  });

  it('GET the single objects and the function results', async () => {
    const db = server.portier.store.db;
    const catalog = await db.selectFrom('catalogs').select('id').executeTakeFirstOrThrow();
    const request = await db.selectFrom('assignment_requests').select('id').executeTakeFirstOrThrow();
    const paths = [
      'me?$expand=manager,sponsors,memberOf',
      `users/${demo.users.alex.id}/manager`,
      `users/${demo.ruthGuest.id}/sponsors`,
      `groups/${demo.projectFalcon.groupId}/members`,
      `groups/${demo.projectFalcon.groupId}/sites/root`,
      `${em}/settings`,
      `${em}/catalogs/${catalog.id}?$expand=${expandAll('accessPackageCatalog')}`,
      `${em}/catalogs/${catalog.id}/resources?$expand=roles,scopes`,
      `${em}/catalogs/${catalog.id}/resourceRoles?$expand=resource`,
      `${em}/accessPackageAssignmentApprovals/${request.id}`,
      `${em}/assignmentRequests/${request.id}?$expand=${expandAll('accessPackageAssignmentRequest')}`,
      `${em}/assignments/filterByCurrentUser(on='target')`,
      'identityGovernance/accessReviews/definitions',
    ];
    for (const path of paths) {
      const res = await server.graph('GET', path, { as: admin });
      expect([path, res.status]).toEqual([path, 200]);
      expect([path, checker.checkResponse(res.body)]).toEqual([path, []]);
    }
  });
});
