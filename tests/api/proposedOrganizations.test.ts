import { demo } from '../../bot/seed/tenant';
import { buildRequestablePackage, newPartnerTenant, partnerAccount, singleUser, stage, approval, submit } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Connected organizations proposed by the people who write policies (here Megan, a catalog creator),
 * as the Extranet tab lets a team owner connect a partner: created `proposed`, managed by their
 * proposer while proposed, configured only by an administrator. Their sponsors approve only under
 * policies that name the organization, so proposing a partner with yourself as sponsor gives no say
 * over anybody else's packages.
 */

const admin = demo.users.admin.upn;
const megan = demo.users.megan.upn;
const alex = demo.users.alex.upn;
const orgs = `${em}/connectedOrganizations`;
const graphUsers = 'https://graph.microsoft.com/v1.0/users';
const domainSource = (domainName: string) => ({ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName, displayName: domainName });
const tenantSource = (tenantId: string) => ({ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId, displayName: tenantId });
const internalSponsors = { '@odata.type': '#microsoft.graph.internalSponsors' };

describe('connected organizations proposed by policy writers', () => {
  let server: TestServer;
  const partner = newPartnerTenant();
  let northwind: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_SEED: 'directory' } });
  });
  afterAll(() => server.close());

  const pendingFor = async (upn: string): Promise<string[]> =>
    ((await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as: upn })).body.value as Array<{ id: string }>).map((a) => a.id);

  it('lets a catalog creator propose a partner, never configure one, and nobody without a policy role do either', async () => {
    const configured = await server.graph('POST', orgs, { as: megan, body: { displayName: 'Northwind', identitySources: [tenantSource(partner.tenantId)], state: 'configured' } });
    expect(configured.status).toBe(403);
    expect(configured.body.error.message).toMatch(/Identity Governance Administrator/);
    expect((await server.graph('POST', orgs, { as: alex, body: { displayName: 'Northwind', identitySources: [tenantSource(partner.tenantId)] } })).status).toBe(403);
    expect((await server.graph('GET', `${orgs}?$filter=displayName eq 'Northwind'`, { as: admin })).body.value).toEqual([]);

    const created = await server.graph('POST', orgs, { as: megan, body: { displayName: 'Northwind', identitySources: [tenantSource(partner.tenantId), domainSource(partner.domain)] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ displayName: 'Northwind', state: 'proposed' });
    northwind = created.body.id;
    // An administrator's new organization is still configured by default.
    const other = await server.graph('POST', orgs, { as: admin, body: { displayName: 'Tailspin', identitySources: [domainSource('tailspin-proposed.test')] } });
    expect(other.body.state).toBe('configured');
  });

  it('lets the proposer manage the proposed organization, but not configure it or touch anybody else’s', async () => {
    expect((await server.graph('POST', `${orgs}/${northwind}/internalSponsors/$ref`, { as: megan, body: { '@odata.id': `${graphUsers}/${demo.users.megan.id}` } })).status).toBe(204);
    expect((await server.graph('PATCH', `${orgs}/${northwind}`, { as: megan, body: { description: 'Proposed for Project Falcon' } })).status).toBe(204);
    const promote = await server.graph('PATCH', `${orgs}/${northwind}`, { as: megan, body: { state: 'configured' } });
    expect(promote.status).toBe(403);
    expect((await server.graph('GET', `${orgs}/${northwind}`, { as: admin })).body).toMatchObject({ state: 'proposed', description: 'Proposed for Project Falcon' });

    // Someone else's organization, proposed or configured, stays out of her reach.
    const adminProposed = await server.graph('POST', orgs, { as: admin, body: { displayName: 'Wingtip', identitySources: [domainSource('wingtip-proposed.test')], state: 'proposed' } });
    expect(adminProposed.status).toBe(201);
    expect((await server.graph('POST', `${orgs}/${adminProposed.body.id}/internalSponsors/$ref`, { as: megan, body: { '@odata.id': `${graphUsers}/${demo.users.megan.id}` } })).status).toBe(403);
    expect((await server.graph('DELETE', `${orgs}/${adminProposed.body.id}`, { as: megan })).status).toBe(403);
    const sponsors = await server.graph('GET', `${orgs}/${adminProposed.body.id}/internalSponsors`, { as: admin });
    expect(sponsors.body.value).toEqual([]);

    // She may delete what she proposed.
    const mistake = await server.graph('POST', orgs, { as: megan, body: { displayName: 'Typo', identitySources: [domainSource('typo-proposed.test')] } });
    expect((await server.graph('DELETE', `${orgs}/${mistake.body.id}`, { as: megan })).status).toBe(204);
  });

  it('asks a proposed organization’s sponsors only under a policy that names it, the fallback approver elsewhere', async () => {
    const lee = demo.users.lee;
    const approvers = approval([stage([internalSponsors], { fallbackPrimaryApprovers: [singleUser(lee.id)] })]);
    // Somebody else's package open to every external user, approved by "the requestor's sponsors".
    const open = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allExternalUsers', requestApprovalSettings: approvers } });
    // A package whose policy names Northwind.
    const named = await buildRequestablePackage(server, {
      policy: {
        allowedTargetScope: 'specificConnectedOrganizationUsers',
        specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: northwind }],
        requestApprovalSettings: approvers,
      },
    });

    const onOpen = await submit(server, await partnerAccount(server, partner), open.packageId);
    const onNamed = await submit(server, await partnerAccount(server, partner), named.packageId);
    await server.portier.jobs.runOnce();
    expect(await pendingFor(megan)).toEqual([onNamed]);
    expect(await pendingFor(lee.upn)).toEqual([onOpen]);

    // Once an administrator configures Northwind, its sponsors approve wherever its people may request.
    expect((await server.graph('PATCH', `${orgs}/${northwind}`, { as: admin, body: { state: 'configured' } })).status).toBe(204);
    const later = await submit(server, await partnerAccount(server, partner), open.packageId);
    await server.portier.jobs.runOnce();
    expect((await pendingFor(megan)).sort()).toEqual([onNamed, later].sort());
    // And it is no longer hers to change.
    expect((await server.graph('PATCH', `${orgs}/${northwind}`, { as: megan, body: { description: 'Mine again' } })).status).toBe(403);
  });
});
