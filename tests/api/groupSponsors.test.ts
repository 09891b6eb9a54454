import { sponsorsOf } from '../../bot/commands/guests/guests';
import { demo } from '../../bot/seed/tenant';
import { approve, demoPackage, requestDemoPackage } from '../helpers/accessFlow';
import { buildGroup } from '../helpers/factories';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Groups as internal and external sponsors of a connected organization (Graph: "a user or a group"), and
 * approvals by sponsors resolved to the members of a sponsoring group.
 */
describe('groups as sponsors of a connected organization', () => {
  let server: TestServer;
  let fabrikam: string;
  let approvers: string;
  const admin = demo.users.admin.upn;
  const orgs = `${em}/connectedOrganizations`;
  const graphRoot = 'https://graph.microsoft.com/v1.0';

  beforeAll(async () => {
    server = await startTestServer();
    fabrikam = (await server.portier.store.db.selectFrom('connected_organizations').select('id').where('displayName', '=', demo.fabrikam.name).executeTakeFirstOrThrow()).id;
    approvers = (await buildGroup(server, admin, [], { displayName: 'Fabrikam approvers' })).id;
    for (const member of [demo.users.megan.id, demo.users.alex.id]) {
      const added = await server.graph('POST', `groups/${approvers}/members/$ref`, { as: admin, body: { '@odata.id': `${graphRoot}/users/${member}` } });
      expect(added.status).toBe(204);
    }
  });
  afterAll(() => server.close());

  it('adds a group as internal sponsor (groups/{id}) and as external sponsor (directoryObjects/{id}), lists it typed, refuses duplicates, removes it', async () => {
    const internal = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphRoot}/groups/${approvers}` } });
    expect(internal.status).toBe(204);
    const again = await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphRoot}/directoryObjects/${approvers}` } });
    expect(again.status).toBe(400);
    const listed = await server.graph('GET', `${orgs}/${fabrikam}/internalSponsors`, { as: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.value).toEqual([
      expect.objectContaining({ '@odata.type': '#microsoft.graph.user', id: demo.users.adele.id }),
      expect.objectContaining({ '@odata.type': '#microsoft.graph.group', id: approvers, displayName: 'Fabrikam approvers' }),
    ]);
    const counted = await server.graph('GET', `${orgs}/${fabrikam}/internalSponsors?$count=true&$select=id,displayName`, { as: admin });
    expect(counted.body['@odata.count']).toBe(2);
    // Expanded from the organization, alone and in the list.
    const expanded = await server.graph('GET', `${orgs}/${fabrikam}?$expand=internalSponsors($select=id,displayName)`, { as: admin });
    expect(expanded.body.internalSponsors).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: demo.users.adele.id, displayName: demo.users.adele.name },
      { '@odata.type': '#microsoft.graph.group', id: approvers, displayName: 'Fabrikam approvers' },
    ]);
    const all = await server.graph('GET', `${orgs}?$expand=internalSponsors($select=id)`, { as: admin });
    expect(all.body.value.find((o: { id: string }) => o.id === fabrikam).internalSponsors).toContainEqual({ '@odata.type': '#microsoft.graph.group', id: approvers });

    const removed = await server.graph('DELETE', `${orgs}/${fabrikam}/internalSponsors/${approvers}/$ref`, { as: admin });
    expect(removed.status).toBe(204);
    expect((await server.graph('GET', `${orgs}/${fabrikam}/internalSponsors`, { as: admin })).body.value.map((s: { id: string }) => s.id)).toEqual([demo.users.adele.id]);
    expect((await server.graph('DELETE', `${orgs}/${fabrikam}/internalSponsors/${approvers}/$ref`, { as: admin })).status).toBe(404);

    const audits = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq 'Add internal sponsor to connected organization'`, { as: admin });
    expect(audits.body.value.some((a: { targetResources: Array<{ id: string; type: string }> }) => a.targetResources.some((t) => t.id === approvers && t.type === 'Group'))).toBe(true);
  });

  it("sends a request to the members of the group that is the organization's external sponsor", async () => {
    // The demo policy asks Fabrikam's external sponsors (Ruth) with Lee as fallback; a group takes Ruth's place.
    expect((await server.graph('DELETE', `${orgs}/${fabrikam}/externalSponsors/${demo.ruthGuest.id}/$ref`, { as: admin })).status).toBe(204);
    const external = await server.graph('POST', `${orgs}/${fabrikam}/externalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphRoot}/directoryObjects/${approvers}` } });
    expect(external.status).toBe(204);

    const pkg = await demoPackage(server);
    const requestId = await requestDemoPackage(server, demo.partners.pradeep.upn, pkg);
    await server.portier.jobs.runOnce();
    const pendingFor = async (upn: string) =>
      ((await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as: upn })).body.value as Array<{ id: string }>).map((a) => a.id);
    expect(await pendingFor(demo.users.megan.upn)).toContain(requestId);
    expect(await pendingFor(demo.users.alex.upn)).toContain(requestId);
    // The group resolved to people: the fallback approver is not asked.
    expect(await pendingFor(demo.users.lee.upn)).not.toContain(requestId);

    await approve(server, demo.users.alex.upn, requestId);
    const request = await server.graph('GET', `${em}/assignmentRequests/${requestId}`, { as: admin });
    expect(['delivering', 'delivered']).toContain(request.body.state);
  });

  it("counts the members of an internal sponsoring group among a guest's sponsors (lifecycle warnings)", async () => {
    expect((await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphRoot}/groups/${approvers}` } })).status).toBe(204);
    const sponsors = await sponsorsOf(server.portier.store.db, [{ userId: demo.ruthGuest.id, connectedOrganizationId: fabrikam }]);
    expect(sponsors.get(demo.ruthGuest.id)).toEqual([demo.users.adele.id, demo.users.alex.id, demo.users.megan.id].sort());
    expect((await server.graph('DELETE', `${orgs}/${fabrikam}/internalSponsors/${approvers}/$ref`, { as: admin })).status).toBe(204);
  });

  it('forgets the sponsorship when the group is deleted', async () => {
    const doomed = (await buildGroup(server, admin)).id as string;
    expect((await server.graph('POST', `${orgs}/${fabrikam}/internalSponsors/$ref`, { as: admin, body: { '@odata.id': `${graphRoot}/groups/${doomed}` } })).status).toBe(204);
    await server.portier.store.db.deleteFrom('groups').where('id', '=', doomed).execute();
    const rows = await server.portier.store.db.selectFrom('connected_organization_group_sponsors').select('groupId').where('groupId', '=', doomed).execute();
    expect(rows).toEqual([]);
  });
});
