import { randomUUID } from 'node:crypto';
import { matchConnectedOrganization } from '../../bot/commands/connectedOrganizations/matchConnectedOrganization';
import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer, em } from '../helpers/server';

const admin = 'admin@contoso.test';
const megan = 'megan@contoso.test';
const alex = 'alex@contoso.test';
const orgs = `${em}/connectedOrganizations`;
const graphUsers = 'https://graph.microsoft.com/v1.0/users';
const { adele, lee } = demo.users;

const tenantSource = (tenantId: string, displayName = 'Tenant') => ({ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId, displayName });
const domainSource = (domainName: string) => ({ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName, displayName: domainName });

describe('connectedOrganizations', () => {
  let server: TestServer;
  let fabrikam: string;
  const db = () => server.portier.store.db;

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_SEED: 'directory' } });
    const res = await server.graph('POST', orgs, {
      as: admin,
      body: { displayName: 'Fabrikam', description: 'Project Falcon partner', identitySources: [tenantSource(demo.fabrikam.id.toUpperCase(), 'Fabrikam'), domainSource('Fabrikam.TEST')] },
    });
    expect(res.status).toBe(201);
    fabrikam = res.body.id;
  });
  afterAll(() => server.close());

  it('creates, reads, lists and updates a connected organization as Graph does', async () => {
    const get = await server.graph('GET', `${orgs}/${fabrikam}`, { as: admin });
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({
      id: fabrikam,
      displayName: 'Fabrikam',
      description: 'Project Falcon partner',
      state: 'configured',
      identitySources: [tenantSource(demo.fabrikam.id.toUpperCase(), 'Fabrikam'), domainSource('Fabrikam.TEST')],
    });
    // createdBy is beta only: not on v1.0, not selectable, not filterable.
    expect(get.body).not.toHaveProperty('createdBy');
    expect((await server.graph('GET', `${orgs}/${fabrikam}?$select=createdBy`, { as: admin })).status).toBe(400);
    expect((await server.graph('GET', `${orgs}?$filter=createdBy eq '${admin}'`, { as: admin })).status).toBe(400);
    expect(get.body['@odata.context']).toContain('connectedOrganizations/$entity');

    // The side table holds lower-cased keys for matching.
    const sources = await db().selectFrom('connected_organization_sources').select(['kind', 'value']).where('connectedOrganizationId', '=', fabrikam).orderBy('kind').execute();
    expect(sources).toEqual([
      { kind: 'domain', value: 'fabrikam.test' },
      { kind: 'tenant', value: demo.fabrikam.id.toLowerCase() },
    ]);

    const list = await server.graph('GET', `${orgs}?$filter=displayName eq 'Fabrikam'&$select=id,state`, { as: admin });
    expect(list.body.value).toEqual([{ id: fabrikam, state: 'configured' }]);

    expect((await server.graph('PATCH', `${orgs}/${fabrikam}`, { as: admin, body: { state: 'proposed', description: 'Renamed' } })).status).toBe(204);
    expect((await server.graph('GET', `${orgs}/${fabrikam}`, { as: admin })).body).toMatchObject({ state: 'proposed', description: 'Renamed', displayName: 'Fabrikam' });
    expect((await server.graph('PATCH', `${orgs}/${fabrikam}`, { as: admin, body: { state: 'configured' } })).status).toBe(204);

    const audit = await db().selectFrom('directory_audits').select('activityDisplayName').where('activityDisplayName', 'in', ['Create connected organization', 'Update connected organization']).execute();
    expect(audit.length).toBeGreaterThanOrEqual(3);
  });

  it('defaults displayName of a source and accepts a federated domain', async () => {
    const res = await server.graph('POST', orgs, {
      as: admin,
      body: { displayName: 'Northwind', state: 'proposed', identitySources: [{ '@odata.type': 'microsoft.graph.externalDomainFederation', domainName: 'northwind.test', issuerUri: 'https://idp.northwind.test/', displayName: 'Northwind IdP' }, { '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'nw.test' }] },
    });
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('proposed');
    expect(res.body.identitySources).toEqual([
      { '@odata.type': '#microsoft.graph.externalDomainFederation', domainName: 'northwind.test', issuerUri: 'https://idp.northwind.test/', displayName: 'Northwind IdP' },
      { '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'nw.test', displayName: 'nw.test' },
    ]);
  });

  describe('refuses bad identity sources, writing nothing', () => {
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ['a tenant used by another organization', { displayName: 'Fab 2', identitySources: [tenantSource(demo.fabrikam.id)] }, 409, 'Fabrikam'],
      ['a domain used by another organization', { displayName: 'Fab 3', identitySources: [domainSource('fabrikam.test')] }, 409, 'fabrikam.test'],
      ['the home domain', { displayName: 'Us', identitySources: [domainSource('contoso.test')] }, 400, 'identitySources.0.domainName'],
      ['the home tenant', { displayName: 'Us', identitySources: [tenantSource(demo.contoso.id)] }, 400, 'identitySources.0.tenantId'],
      ['the same source twice', { displayName: 'Twice', identitySources: [domainSource('twice.test'), domainSource('TWICE.test')] }, 400, 'identitySources.1.domainName'],
      ['no identity source', { displayName: 'None', identitySources: [] }, 400, 'identitySources'],
      ['an unknown source type', { displayName: 'Social', identitySources: [{ '@odata.type': '#microsoft.graph.socialIdentitySource', displayName: 'x' }] }, 400, 'identitySources.0'],
      ['a tenant id that is not a GUID', { displayName: 'Bad', identitySources: [tenantSource('not-a-guid')] }, 400, 'identitySources.0.tenantId'],
      ['an unknown property', { displayName: 'Bad', identitySources: [domainSource('bad.test')], colour: 'red' }, 400, 'colour'],
      ['an unknown state', { displayName: 'Bad', identitySources: [domainSource('bad.test')], state: 'active' }, 400, 'state'],
      ['a missing displayName', { identitySources: [domainSource('bad.test')] }, 400, 'displayName'],
    ];
    it.each(cases)('%s', async (_name, body, status, mention) => {
      const before = (await db().selectFrom('connected_organizations').select('id').execute()).length;
      const res = await server.graph('POST', orgs, { as: admin, body });
      expect(res.status).toBe(status);
      expect(res.body.error.message).toContain(mention);
      expect((await db().selectFrom('connected_organizations').select('id').execute()).length).toBe(before);
    });

    it('refuses to change identity sources with PATCH', async () => {
      const res = await server.graph('PATCH', `${orgs}/${fabrikam}`, { as: admin, body: { identitySources: [domainSource('x.test')] } });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('identitySources');
    });
  });

  describe('sponsors', () => {
    it('adds, lists and removes internal and external sponsors with $ref', async () => {
      const add = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${adele.id}` } });
      expect(add.status).toBe(204);
      const addByDirectoryObject = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${lee.id}` } });
      expect(addByDirectoryObject.status).toBe(204);
      const external = await server.graph('POST', `${orgs}/${fabrikam}/externalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${demo.ruthGuest.id}` } });
      expect(external.status).toBe(204);

      const internal = await server.graph('GET', `${orgs}/${fabrikam}/internalSponsors?$orderby=displayName`, { as: admin });
      expect(internal.status).toBe(200);
      expect(internal.body.value.map((u: any) => u.id)).toEqual([adele.id, lee.id]);
      const externals = await server.graph('GET', `${orgs}/${fabrikam}/externalSponsors`, { as: admin });
      expect(externals.body.value.map((u: any) => u.userPrincipalName)).toEqual([demo.ruthGuest.upn]);
      const expanded = await server.graph('GET', `${orgs}/${fabrikam}?$expand=internalSponsors($select=id)`, { as: admin });
      expect(expanded.body.internalSponsors).toHaveLength(2);

      const duplicate = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${adele.id}` } });
      expect(duplicate.status).toBe(400);
      expect(duplicate.body.error.message).toContain('already exist');

      expect((await server.graph('DELETE', `${orgs}/${fabrikam}/internalSponsors/${lee.id}/$ref`, { as: admin })).status).toBe(204);
      expect((await server.graph('DELETE', `${orgs}/${fabrikam}/internalSponsors/${lee.id}/$ref`, { as: admin })).status).toBe(404);
      expect((await server.graph('GET', `${orgs}/${fabrikam}/internalSponsors`, { as: admin })).body.value.map((u: any) => u.id)).toEqual([adele.id]);
      // Removing an internal sponsor does not touch the external ones.
      expect((await server.graph('DELETE', `${orgs}/${fabrikam}/internalSponsors/${demo.ruthGuest.id}/$ref`, { as: admin })).status).toBe(404);

      const audit = await db().selectFrom('directory_audits').select('activityDisplayName').where('activityDisplayName', 'like', '%sponsor%').execute();
      expect(audit.map((a) => a.activityDisplayName)).toEqual(expect.arrayContaining(['Add internal sponsor to connected organization', 'Add external sponsor to connected organization', 'Remove internal sponsor from connected organization']));
    });

    it('requires members as internal sponsors and guests of the organization as external sponsors', async () => {
      const guestInternal = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${demo.ruthGuest.id}` } });
      expect(guestInternal.status).toBe(400);
      expect(guestInternal.body.error.message).toContain('member');
      const memberExternal = await server.graph('POST', `${orgs}/${fabrikam}/externalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${lee.id}` } });
      expect(memberExternal.status).toBe(400);
      expect(memberExternal.body.error.message).toContain('guest');

      const litware = await server.graph('POST', orgs, { as: admin, body: { displayName: 'Litware', identitySources: [domainSource('litware.test')] } });
      const wrongOrg = await server.graph('POST', `${orgs}/${litware.body.id}/externalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${demo.ruthGuest.id}` } });
      expect(wrongOrg.status).toBe(400);
      expect(wrongOrg.body.error.message).toContain('Litware');

      const missing = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${randomUUID()}` } });
      expect(missing.status).toBe(404);
      const badRef = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': 'https://graph.microsoft.com/v1.0/applications/x' } });
      expect(badRef.status).toBe(400);
      expect(await db().selectFrom('connected_organization_sponsors').select('sponsorId').where('connectedOrganizationId', '=', litware.body.id).execute()).toEqual([]);
    });
  });

  it('refuses to delete an organization a policy lets in, and deletes it with its sources and sponsors otherwise', async () => {
    const org = (await server.graph('POST', orgs, { as: admin, body: { displayName: 'Tailspin', identitySources: [domainSource('tailspin.test')] } })).body;
    await server.graph('POST', `${orgs}/${org.id}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphUsers}/${adele.id}` } });
    const catalog = (await server.graph('POST', `${em}/catalogs`, { as: admin, body: { displayName: 'Tailspin extranet', isExternallyVisible: true } })).body;
    const packageId = randomUUID();
    const now = new Date().toISOString();
    await db().insertInto('access_packages').values({ id: packageId, catalogId: catalog.id, displayName: 'Tailspin access', description: null, isHidden: 0, createdDateTime: now, modifiedDateTime: now }).execute();
    const policy = await server.graph('POST', `${em}/assignmentPolicies`, {
      as: admin,
      body: {
        displayName: 'Tailspin',
        allowedTargetScope: 'specificConnectedOrganizationUsers',
        specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: org.id }],
        accessPackage: { id: packageId },
      },
    });
    expect(policy.status).toBe(201);

    const refused = await server.graph('DELETE', `${orgs}/${org.id}`, { as: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('Tailspin');
    expect((await server.graph('GET', `${orgs}/${org.id}`, { as: admin })).status).toBe(200);

    expect((await server.graph('DELETE', `${em}/assignmentPolicies/${policy.body.id}`, { as: admin })).status).toBe(204);
    expect((await server.graph('DELETE', `${orgs}/${org.id}`, { as: admin })).status).toBe(204);
    expect((await server.graph('GET', `${orgs}/${org.id}`, { as: admin })).status).toBe(404);
    expect(await db().selectFrom('connected_organization_sources').selectAll().where('connectedOrganizationId', '=', org.id).execute()).toEqual([]);
    expect(await db().selectFrom('connected_organization_sponsors').selectAll().where('connectedOrganizationId', '=', org.id).execute()).toEqual([]);
    // Its domain is free again.
    expect((await server.graph('POST', orgs, { as: admin, body: { displayName: 'Tailspin again', identitySources: [domainSource('tailspin.test')] } })).status).toBe(201);
  });

  it('lets administrators write, people with an entitlement role read and propose, and nobody else', async () => {
    expect((await server.graph('GET', orgs, { as: alex })).status).toBe(403);
    expect((await server.graph('GET', `${orgs}/${fabrikam}`, { as: alex })).status).toBe(404);
    // Megan is a catalog creator: she picks connected organizations in policies, so she may read them.
    expect((await server.graph('GET', orgs, { as: megan })).status).toBe(200);
    expect((await server.graph('GET', `${orgs}/${fabrikam}/internalSponsors`, { as: megan })).status).toBe(200);
    // She may propose one (tests/api/proposedOrganizations.test.ts), not configure one.
    expect((await server.graph('POST', orgs, { as: megan, body: { displayName: 'Megan org', identitySources: [domainSource('megan.test')], state: 'configured' } })).status).toBe(403);
    expect((await server.graph('POST', orgs, { as: alex, body: { displayName: 'Alex org', identitySources: [domainSource('alex.test')] } })).status).toBe(403);
    expect((await server.graph('PATCH', `${orgs}/${fabrikam}`, { as: megan, body: { state: 'proposed' } })).status).toBe(403);
    expect((await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: megan, body: { '@odata.id': `${graphUsers}/${lee.id}` } })).status).toBe(403);
    expect((await server.graph('DELETE', `${orgs}/${fabrikam}`, { as: megan })).status).toBe(403);
    expect((await server.graph('DELETE', `${orgs}/${fabrikam}`, { as: alex })).status).toBe(404);
    expect((await server.graph('GET', `${orgs}/${randomUUID()}`, { as: admin })).status).toBe(404);
    expect((await server.graph('GET', `${orgs}/${fabrikam}`, { as: admin })).body.state).toBe('configured');
  });

  describe(matchConnectedOrganization.name, () => {
    let contosoPartner: string;
    let acme: string;
    const otherTenant = 'aaaaaaaa-0000-4000-8000-0000000000aa';
    beforeAll(async () => {
      // One organization by tenant, one by domain, and the domain of the first tenant's people points at the second.
      contosoPartner = (await server.graph('POST', orgs, { as: admin, body: { displayName: 'By tenant', identitySources: [tenantSource(otherTenant)] } })).body.id;
      acme = (await server.graph('POST', orgs, { as: admin, body: { displayName: 'By domain', identitySources: [domainSource('acme.test')] } })).body.id;
    });
    const cases: Array<[string, { tenantId?: string | null; email?: string | null }, () => string | null]> = [
      ['matches by tenant id', { tenantId: otherTenant }, () => contosoPartner],
      ['matches by tenant id case-insensitively', { tenantId: otherTenant.toUpperCase() }, () => contosoPartner],
      ['prefers the tenant over the email domain', { tenantId: otherTenant, email: 'joe@acme.test' }, () => contosoPartner],
      ['falls back to the email domain', { tenantId: randomUUID(), email: 'joe@ACME.test' }, () => acme],
      ['matches by email domain alone', { email: 'joe@acme.test' }, () => acme],
      ['matches Fabrikam by its tenant', { tenantId: demo.fabrikam.id }, () => fabrikam],
      ['does not match a subdomain', { email: 'joe@mail.acme.test' }, () => null],
      ['returns null for unknown partners', { tenantId: randomUUID(), email: 'diego@litware.example' }, () => null],
      ['returns null for an address without a domain', { email: 'joe' }, () => null],
      ['returns null with nothing to match on', {}, () => null],
    ];
    it.each(cases)('%s', async (_name, partner, expected) => {
      const org = await matchConnectedOrganization(db(), partner);
      expect(org?.id ?? null).toBe(expected());
    });
  });
});
