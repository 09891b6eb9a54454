import { demo } from '../../bot/seed/tenant';
import { approve, demoPackage, requestDemoPackage } from '../helpers/accessFlow';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Graph v1.0's shapes where Portier's differed: values of a derived type where Graph declares a base type
 * carry `@odata.type` (issue 8 item 11), and nothing beta-only is served on v1.0 (item 12).
 */
describe('Graph v1.0 fidelity', () => {
  let server: TestServer;
  const admin = demo.users.admin.upn;
  const user = '#microsoft.graph.user';
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  describe('derived values say what they are (@odata.type)', () => {
    it('manager: a directoryObject that is a user, read directly and expanded', async () => {
      const manager = await server.graph('GET', `users/${demo.users.alex.id}/manager`, { as: admin });
      expect(manager.status).toBe(200);
      expect(manager.body['@odata.context']).toMatch(/\$metadata#directoryObjects\/\$entity$/);
      expect(manager.body).toMatchObject({ '@odata.type': user, id: demo.users.lee.id });
      const expanded = await server.graph('GET', `users/${demo.users.alex.id}?$expand=manager($select=id,displayName)`, { as: admin });
      expect(expanded.body.manager).toEqual({ '@odata.type': user, id: demo.users.lee.id, displayName: 'Lee Gu' });
      const mine = await server.graph('GET', 'me?$expand=manager', { as: demo.users.adele.upn });
      expect(mine.body.manager).toMatchObject({ '@odata.type': user, id: demo.users.lee.id });
    });

    it("sponsors of a connected organization: listed and expanded", async () => {
      const org = await server.portier.store.db.selectFrom('connected_organizations').select('id').where('displayName', '=', demo.fabrikam.name).executeTakeFirstOrThrow();
      for (const [nav, sponsorId] of [
        ['internalSponsors', demo.users.adele.id],
        ['externalSponsors', demo.ruthGuest.id],
      ] as const) {
        const listed = await server.graph('GET', `${em}/connectedOrganizations/${org.id}/${nav}`, { as: admin });
        expect(listed.status).toBe(200);
        expect(listed.body.value).toEqual([expect.objectContaining({ '@odata.type': user, id: sponsorId })]);
      }
      const expanded = await server.graph('GET', `${em}/connectedOrganizations/${org.id}?$expand=internalSponsors($select=id),externalSponsors($select=id)`, { as: admin });
      expect(expanded.body.internalSponsors).toEqual([{ '@odata.type': user, id: demo.users.adele.id }]);
      expect(expanded.body.externalSponsors).toEqual([{ '@odata.type': user, id: demo.ruthGuest.id }]);
    });

    it("a user's sponsors and a group's members and owners, listed and expanded", async () => {
      const sponsors = await server.graph('GET', `users/${demo.ruthGuest.id}/sponsors`, { as: admin });
      expect(sponsors.body.value).toEqual([expect.objectContaining({ '@odata.type': user, id: demo.users.adele.id })]);
      const expanded = await server.graph('GET', `users/${demo.ruthGuest.id}?$expand=sponsors($select=id)`, { as: admin });
      expect(expanded.body.sponsors).toEqual([{ '@odata.type': user, id: demo.users.adele.id }]);
      const group = await server.graph('GET', `groups/${demo.projectFalcon.groupId}?$expand=members($select=id),owners($select=id)`, { as: admin });
      expect(group.body.owners.length).toBeGreaterThan(0);
      for (const member of [...group.body.members, ...group.body.owners]) expect(member['@odata.type']).toBe(user);
      const memberOf = await server.graph('GET', `users/${demo.users.megan.id}?$expand=memberOf($select=id)`, { as: admin });
      expect(memberOf.body.memberOf).toContainEqual({ '@odata.type': '#microsoft.graph.group', id: demo.projectFalcon.groupId });
    });

    it('the principal of a role assignment', async () => {
      const listed = await server.graph('GET', 'roleManagement/entitlementManagement/roleAssignments?$expand=principal($select=id)', { as: admin });
      expect(listed.status).toBe(200);
      expect(listed.body.value.length).toBeGreaterThan(0);
      for (const assignment of listed.body.value) expect(assignment.principal).toEqual({ '@odata.type': user, id: assignment.principalId });
    });

    it("approvalStage.reviewedBy: an identity that is a user's is a userIdentity", async () => {
      const pkg = await demoPackage(server);
      const requestId = await requestDemoPackage(server, demo.partners.pradeep.upn, pkg);
      await server.portier.jobs.runOnce();
      await approve(server, demo.ruthGuest.upn, requestId);
      const stages = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${requestId}/stages`, { as: admin });
      expect(stages.body.value[0].reviewedBy).toEqual({ '@odata.type': '#microsoft.graph.userIdentity', id: demo.ruthGuest.id, displayName: demo.ruthGuest.name, userPrincipalName: demo.ruthGuest.upn });
    });
  });

  describe('nothing beta-only on v1.0', () => {
    it('connectedOrganization has no createdBy', async () => {
      const created = await server.graph('POST', `${em}/connectedOrganizations`, {
        as: admin,
        body: { displayName: 'Woodgrove', identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'woodgrove.test', displayName: 'woodgrove.test' }] },
      });
      expect(created.status).toBe(201);
      expect(created.body).not.toHaveProperty('createdBy');
      const listed = await server.graph('GET', `${em}/connectedOrganizations`, { as: admin });
      for (const org of listed.body.value) expect(org).not.toHaveProperty('createdBy');
    });

    it('accessPackageResource has no catalog, accessPackageResourceRoleScope no accessPackage navigation', async () => {
      const catalog = await server.portier.store.db.selectFrom('catalogs').select('id').where('displayName', '=', demo.catalogName).executeTakeFirstOrThrow();
      expect((await server.graph('GET', `${em}/catalogs/${catalog.id}/resources?$expand=catalog`, { as: admin })).status).toBe(400);
      const { packageId } = await demoPackage(server);
      expect((await server.graph('GET', `${em}/accessPackages/${packageId}/resourceRoleScopes?$expand=accessPackage`, { as: admin })).status).toBe(400);
      expect((await server.graph('GET', `${em}/accessPackages/${packageId}/resourceRoleScopes?$expand=role,scope`, { as: admin })).status).toBe(200);
    });

    it("a multiple-choice question says isMultipleSelectionAllowed (v1.0), also when created with beta's allowsMultipleSelection", async () => {
      const { packageId } = await demoPackage(server);
      const created = await server.graph('POST', `${em}/assignmentPolicies`, {
        as: admin,
        body: {
          displayName: 'Members with a role',
          allowedTargetScope: 'allMemberUsers',
          accessPackage: { id: packageId },
          questions: [
            { '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', text: 'Role', choices: [{ actualValue: 'eng', text: 'Engineering' }], allowsMultipleSelection: true },
            { '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', text: 'Site', choices: [{ actualValue: 'ams', text: 'Amsterdam' }], isMultipleSelectionAllowed: false },
          ],
        },
      });
      expect(created.status).toBe(201);
      const [role, site] = created.body.questions;
      expect(role).toMatchObject({ isMultipleSelectionAllowed: true });
      expect(site).toMatchObject({ isMultipleSelectionAllowed: false });
      for (const question of created.body.questions) expect(question).not.toHaveProperty('allowsMultipleSelection');
    });
  });
});
