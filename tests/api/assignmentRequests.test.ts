import { demo } from '../../bot/seed/tenant';
import { entitlementRoles } from '../../bot/domain/roles';
import { buildAccessPackage, buildCatalog, buildGroup, grantCatalogRole } from '../helpers/factories';
import {
  addGroupMemberRole,
  addPolicy,
  admin,
  approval,
  buildRequestablePackage,
  decide,
  eventsOf,
  groupMembers,
  newPartnerTenant,
  partnerAccount,
  readRequest,
  selfAdd,
  singleUser,
  stage,
  submit,
  userAdd,
} from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Every rule of `POST /assignmentRequests` (DESIGN §5 "Rules"), over HTTP into a running server:
 * who may request, which policy applies, what a request must carry, what blocks it, what an
 * administrator may do, schedules, reading, canceling, deleting, reprocessing and the audit trail.
 */
describe('assignmentRequests', () => {
  let server: TestServer;
  const clock = { t: Date.parse('2026-01-05T09:00:00Z'), now() { return new Date(this.t); } };
  const { alex, adele, lee, megan } = { alex: 'alex@contoso.test', adele: 'adele@contoso.test', lee: 'lee@contoso.test', megan: 'megan@contoso.test' };
  // Fabrikam partners who are not in the directory yet: new ones for each test, since a partner
  // whose request is delivered (the runner wakes after each submission) becomes a guest.
  let pradeep: string;
  let isabel: string;
  const diego = 'diego@litware.test';
  const ruth = 'ruth@fabrikam.test';
  let fabrikamId: string;
  const run = () => server.portier.jobs.runOnce();
  const day = 24 * 3600_000;

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    fabrikamId = (await server.portier.store.db.selectFrom('connected_organizations').select('id').where('displayName', '=', 'Fabrikam').executeTakeFirstOrThrow()).id;
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    pradeep = await partnerAccount(server, { tenantId: demo.fabrikam.id, domain: demo.fabrikam.domain });
    isabel = await partnerAccount(server, { tenantId: demo.fabrikam.id, domain: demo.fabrikam.domain });
  });

  const fabrikamOnly = () => ({
    allowedTargetScope: 'specificConnectedOrganizationUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: fabrikamId }],
  });

  /** Submits, processes, and expects the request delivered (policies without approval). */
  async function deliver(as: string, packageId: string, extra: Record<string, unknown> = {}): Promise<string> {
    const id = await submit(server, as, packageId, extra);
    await run();
    expect((await readRequest(server, id)).state).toBe('delivered');
    return id;
  }

  async function expectRefused(as: string, packageId: string, status: number, code?: string, extra: Record<string, unknown> = {}) {
    const res = await userAdd(server, as, packageId, extra);
    expect({ as, status: res.status }).toEqual({ as, status });
    if (code) expect(res.body.error.code).toBe(code);
    return res.body.error as { code: string; message: string };
  }

  /** A package the caller may not read is answered exactly like an unknown id: 404, and nothing in the message names it. */
  async function expectHidden(as: string, packageId: string) {
    const unknownId = '00000000-0000-4000-8000-0000000000ab';
    const [hidden, unknown] = [await userAdd(server, as, packageId), await userAdd(server, as, unknownId)];
    expect({ as, status: hidden.status }).toEqual({ as, status: 404 });
    expect(hidden.body.error.code).toBe(unknown.body.error.code);
    expect(hidden.body.error.message.replace(packageId, '{id}')).toBe(unknown.body.error.message.replace(unknownId, '{id}'));
    const requirements = await server.graph('POST', `${em}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { as });
    expect(requirements.status).toBe(404);
  }

  describe('who may request', () => {
    it('only from a published catalog, and partners only from one enabled for external users', async () => {
      const pkg = await buildRequestablePackage(server);
      await addPolicy(server, pkg.packageId, { allowedTargetScope: 'allExternalUsers' });
      const patchCatalog = (body: Record<string, unknown>) => server.graph('PATCH', `${em}/catalogs/${pkg.catalogId}`, { as: admin, body });

      // Pradeep has it, so he may read it and is told why he cannot request it now; Alex
      // may not read a package of a closed catalog, so for him it does not exist.
      await deliver(pradeep, pkg.packageId);
      expect((await patchCatalog({ state: 'unpublished' })).status).toBe(204);
      expect((await expectRefused(pradeep, pkg.packageId, 403, 'CatalogNotAvailable')).message).toMatch(/catalog is not enabled/);
      await expectHidden(alex, pkg.packageId);

      expect((await patchCatalog({ state: 'published', isExternallyVisible: false })).status).toBe(204);
      expect((await expectRefused(pradeep, pkg.packageId, 403, 'CatalogNotAvailable')).message).toMatch(/not enabled for external users/);
      await expectHidden(isabel, pkg.packageId);
      await submit(server, alex, pkg.packageId);

      expect((await patchCatalog({ isExternallyVisible: true })).status).toBe(204);
      await submit(server, isabel, pkg.packageId);
    });

    it('specificDirectoryUsers: the named users and the members of the named groups', async () => {
      const group = await buildGroup(server, admin);
      expect((await server.graph('POST', `groups/${group.id}/members/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${demo.users.adele.id}` } })).status).toBe(204);
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [singleUser(demo.users.alex.id), groupMembers(group.id)] } });
      await submit(server, alex, pkg.packageId);
      await submit(server, adele, pkg.packageId);
      await expectHidden(lee, pkg.packageId);
      await expectHidden(pradeep, pkg.packageId);
    });

    it('specificConnectedOrganizationUsers: users of the named organizations only', async () => {
      const pkg = await buildRequestablePackage(server, { policy: fabrikamOnly() });
      await submit(server, pradeep, pkg.packageId);
      await expectHidden(diego, pkg.packageId);
      await expectHidden(alex, pkg.packageId);
    });

    it('allMemberUsers: members, not guests nor partners', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
      await submit(server, alex, pkg.packageId);
      await expectHidden(ruth, pkg.packageId);
      await expectHidden(pradeep, pkg.packageId);
    });

    it('allDirectoryUsers: members and guests, not partners outside the directory', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allDirectoryUsers' } });
      await submit(server, alex, pkg.packageId);
      await submit(server, ruth, pkg.packageId);
      await expectHidden(pradeep, pkg.packageId);
    });

    it('allConfiguredConnectedOrganizationUsers: a proposed organization does not count', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allConfiguredConnectedOrganizationUsers' } });
      const partner = newPartnerTenant();
      const proposed = await server.graph('POST', `${em}/connectedOrganizations`, {
        as: admin,
        body: { displayName: partner.domain, state: 'proposed', identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: partner.domain, displayName: partner.domain }] },
      });
      expect(proposed.status).toBe(201);
      const proposedUser = await partnerAccount(server, partner);

      await submit(server, pradeep, pkg.packageId);
      await expectHidden(proposedUser, pkg.packageId);
      await expectHidden(diego, pkg.packageId);
      await expectHidden(alex, pkg.packageId);

      // Once configured, its users are in.
      expect((await server.graph('PATCH', `${em}/connectedOrganizations/${proposed.body.id}`, { as: admin, body: { state: 'configured' } })).status).toBe(204);
      await submit(server, proposedUser, pkg.packageId);
    });

    it('allExternalUsers: an unknown domain becomes a proposed connected organization, once', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allExternalUsers' } });
      const partner = newPartnerTenant();
      const first = await partnerAccount(server, partner);
      const second = await partnerAccount(server, partner);
      const before = await server.graph('GET', `${em}/connectedOrganizations?$filter=displayName eq '${partner.domain}'`, { as: admin });
      expect(before.body.value).toHaveLength(0);

      await submit(server, first, pkg.packageId);
      const orgs = await server.graph('GET', `${em}/connectedOrganizations?$filter=displayName eq '${partner.domain}'`, { as: admin });
      expect(orgs.body.value).toHaveLength(1);
      expect(orgs.body.value[0]).toMatchObject({ state: 'proposed' });
      const sources = orgs.body.value[0].identitySources.map((s: any) => s.domainName ?? s.tenantId);
      expect(sources).toEqual(expect.arrayContaining([partner.domain, partner.tenantId]));

      await submit(server, second, pkg.packageId);
      const again = await server.graph('GET', `${em}/connectedOrganizations?$filter=displayName eq '${partner.domain}'`, { as: admin });
      expect(again.body.value).toHaveLength(1);
      const subjects = await server.portier.store.db.selectFrom('subjects').select('connectedOrganizationId').where('homeTenantId', '=', partner.tenantId).execute();
      expect(subjects.map((s) => s.connectedOrganizationId)).toEqual([orgs.body.value[0].id, orgs.body.value[0].id]);

      // Known partners and members: Fabrikam's users are external too; members are not.
      await submit(server, isabel, pkg.packageId);
      await expectHidden(alex, pkg.packageId);
    });

    it('enableTargetsToSelfAddAccess false: nobody requests for themselves', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestorSettings: { ...selfAdd, enableTargetsToSelfAddAccess: false } } });
      // Nobody may request it, so for everyone but its catalog's staff it does not exist.
      await expectHidden(alex, pkg.packageId);
      const requirements = await server.graph('POST', `${em}/accessPackages/${pkg.packageId}/getApplicablePolicyRequirements`, { as: admin });
      expect(requirements.body.value).toEqual([]);
    });

    it('matches a partner to a connected organization by tenant id and by domain', async () => {
      const byTenant = newPartnerTenant();
      const byDomain = newPartnerTenant();
      const orgBody = (name: string, source: Record<string, unknown>) => ({ as: admin, body: { displayName: name, identitySources: [source], state: 'configured' } });
      const tenantOrg = await server.graph('POST', `${em}/connectedOrganizations`, orgBody('By tenant', { '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: byTenant.tenantId, displayName: 'By tenant' }));
      const domainOrg = await server.graph('POST', `${em}/connectedOrganizations`, orgBody('By domain', { '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: byDomain.domain, displayName: byDomain.domain }));
      expect([tenantOrg.status, domainOrg.status]).toEqual([201, 201]);
      const pkg = await buildRequestablePackage(server, {
        policy: {
          allowedTargetScope: 'specificConnectedOrganizationUsers',
          specificAllowedTargets: [tenantOrg.body.id, domainOrg.body.id].map((connectedOrganizationId) => ({ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId })),
        },
      });
      // The tenant's users have a domain the organization does not list; the domain's users sign in with a tenant it does not list.
      const tenantUser = await partnerAccount(server, byTenant);
      const domainUser = await partnerAccount(server, { tenantId: newPartnerTenant().tenantId, domain: byDomain.domain });
      const stranger = await partnerAccount(server, newPartnerTenant());
      await submit(server, tenantUser, pkg.packageId);
      await submit(server, domainUser, pkg.packageId);
      await expectHidden(stranger, pkg.packageId);
      const db = server.portier.store.db;
      const orgOf = async (upn: string) => (await db.selectFrom('subjects').select('connectedOrganizationId').where('email', '=', upn).executeTakeFirstOrThrow()).connectedOrganizationId;
      expect(await orgOf(tenantUser)).toBe(tenantOrg.body.id);
      expect(await orgOf(domainUser)).toBe(domainOrg.body.id);
    });
  });

  describe('policy selection', () => {
    it('takes the most specific policy, and an explicit policy must cover the caller', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
      const specific = await addPolicy(server, pkg.packageId, {
        allowedTargetScope: 'specificDirectoryUsers',
        specificAllowedTargets: [singleUser(demo.users.alex.id)],
        requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]),
      });

      // Alex is named: the specific policy (with approval) wins over "all members" (without).
      const alexRequest = await submit(server, alex, pkg.packageId);
      await run();
      expect(await readRequest(server, alexRequest)).toMatchObject({ state: 'pendingApproval' });
      // Adele is only a member: no approval.
      await deliver(adele, pkg.packageId);

      // Naming a policy that does not cover the caller is refused; one that does is used.
      expect((await expectRefused(lee, pkg.packageId, 403, 'RequestorNotInScope', { assignment: { assignmentPolicyId: specific } })).message).toMatch(/through this policy/);
      await expectRefused(lee, pkg.packageId, 404, undefined, { assignment: { assignmentPolicyId: '00000000-0000-4000-8000-000000000999' } });
      expect((await server.graph('POST', `${em}/assignmentRequests/${alexRequest}/cancel`, { as: alex })).status).toBe(204);
      await deliver(alex, pkg.packageId, { assignment: { assignmentPolicyId: pkg.policyId } });
    });

    it('for partners, specific organizations win over all configured organizations', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allConfiguredConnectedOrganizationUsers' } });
      await addPolicy(server, pkg.packageId, { ...fabrikamOnly(), requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) });
      const id = await submit(server, pradeep, pkg.packageId);
      await run();
      expect(await readRequest(server, id)).toMatchObject({ state: 'pendingApproval' });
    });
  });

  describe('what a request must carry', () => {
    it('a justification when the policy asks for one', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([], { isRequestorJustificationRequired: true }) } });
      const missing = await expectRefused(alex, pkg.packageId, 400);
      expect(missing.message).toMatch(/justification/);
      await expectRefused(alex, pkg.packageId, 400, undefined, { justification: '   ' });
      const id = await submit(server, alex, pkg.packageId, { justification: 'Needed for the audit' });
      expect((await readRequest(server, id)).justification).toBe('Needed for the audit');
    });

    it('answers to required questions, matching regexPattern as a whole, and choices that exist', async () => {
      const pkg = await buildRequestablePackage(server, {
        policy: {
          questions: [
            { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: 'code', text: 'Project code', isRequired: true, regexPattern: '[A-Z]{3}-\\d+', sequence: 0 },
            {
              '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
              id: 'areas',
              text: 'Areas',
              isRequired: true,
              allowsMultipleSelection: true,
              sequence: 1,
              choices: [
                { actualValue: 'fw', text: 'Firmware' },
                { actualValue: 'hw', text: 'Hardware' },
              ],
            },
            { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: 'note', text: 'Anything else', isRequired: false, sequence: 2 },
          ],
        },
      });
      const answer = (id: string, value: string) => ({ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value, answeredQuestion: { id } });
      const tryAnswers = (answers: unknown[]) => userAdd(server, alex, pkg.packageId, { answers });

      const missing = await tryAnswers([answer('code', 'ABC-1')]);
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toMatch(/Areas/);
      for (const bad of ['ABC-12x', 'xABC-12', 'abc-12']) {
        const res = await tryAnswers([answer('code', bad), answer('areas', 'fw')]);
        expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
        expect(res.body.error.message).toMatch(/answers\.0\.value/);
      }
      const badChoice = await tryAnswers([answer('code', 'ABC-12'), answer('areas', 'fw,sw')]);
      expect(badChoice.status).toBe(400);
      expect(badChoice.body.error.message).toMatch(/'sw' is not one of the choices/);
      const unknown = await tryAnswers([answer('code', 'ABC-12'), answer('areas', 'fw'), answer('colour', 'red')]);
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toMatch(/no question 'colour'/);

      const ok = await tryAnswers([answer('code', 'ABC-12'), answer('areas', 'fw, hw')]);
      expect(ok.status).toBe(201);
      expect(ok.body.answers).toEqual([
        expect.objectContaining({ value: 'ABC-12', answeredQuestion: expect.objectContaining({ id: 'code' }) }),
        expect.objectContaining({ value: 'fw, hw', displayValue: 'Firmware, Hardware' }),
      ]);
    });
  });

  describe('what blocks a request', () => {
    it('incompatible packages (both directions) and incompatible groups', async () => {
      const a = await buildRequestablePackage(server);
      const b = await buildRequestablePackage(server);
      const blocking = await buildGroup(server, admin);
      const ref = (path: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/${path}` });
      expect((await server.graph('POST', `${em}/accessPackages/${a.packageId}/incompatibleAccessPackages/$ref`, { as: admin, body: ref(`${em}/accessPackages/${b.packageId}`) })).status).toBe(204);
      expect((await server.graph('POST', `${em}/accessPackages/${a.packageId}/incompatibleGroups/$ref`, { as: admin, body: ref(`groups/${blocking.id}`) })).status).toBe(204);
      expect((await server.graph('POST', `groups/${blocking.id}/members/$ref`, { as: admin, body: ref(`users/${demo.users.lee.id}`) })).status).toBe(204);

      await deliver(alex, b.packageId);
      await deliver(adele, a.packageId);
      // A lists B: Alex (who has B) cannot get A, and Adele (who has A) cannot get B.
      expect((await expectRefused(alex, a.packageId, 403, 'IncompatibleAccessPackage')).message).toMatch(/incompatible/);
      await expectRefused(adele, b.packageId, 403, 'IncompatibleAccessPackage');
      expect((await expectRefused(lee, a.packageId, 403, 'IncompatibleGroup')).message).toMatch(blocking.displayName);
      await submit(server, lee, b.packageId);
    });

    it('a second open request, and a second active assignment, are conflicts', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) } });
      const first = await submit(server, alex, pkg.packageId);
      expect((await expectRefused(alex, pkg.packageId, 409, 'PendingRequestExists')).message).toMatch(/already an open request/);
      await run();
      await expectRefused(alex, pkg.packageId, 409, 'PendingRequestExists');
      expect((await decide(server, lee, first, { reviewResult: 'Approve' })).status).toBe(204);
      await run();
      expect((await readRequest(server, first)).state).toBe('delivered');
      expect((await expectRefused(alex, pkg.packageId, 409, 'ActiveAssignmentExists')).message).toMatch(/already has access package/);
    });
  });

  describe('adminAdd', () => {
    it('needs the assignment manager role, and assigns a directory user without approval', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) } });
      const body = (targetId: string) => ({ requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId, targetId } });
      expect((await server.graph('POST', `${em}/assignmentRequests`, { as: alex, body: body(demo.users.adele.id) })).status).toBe(403);
      expect((await server.graph('POST', `${em}/assignmentRequests`, { as: megan, body: body(demo.users.adele.id) })).status).toBe(403);
      const missingPolicy = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, targetId: demo.users.adele.id } } });
      expect(missingPolicy.status).toBe(400);
      const unknownUser = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: body('00000000-0000-4000-8000-0000000000aa') });
      expect(unknownUser.status).toBe(404);

      const created = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: body(demo.users.adele.id) });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ requestType: 'adminAdd', state: 'submitted' });
      await run();
      const read = await readRequest(server, created.body.id);
      expect(read).toMatchObject({ state: 'delivered', assignment: { state: 'delivered' } });
      const member = await server.portier.store.db.selectFrom('group_members').select('memberId').where('groupId', '=', pkg.groupId).where('memberId', '=', demo.users.adele.id).executeTakeFirst();
      expect(member).toBeDefined();

      // An assignment manager of the catalog may do it too.
      await grantCatalogRole(server, admin, demo.users.megan.id, entitlementRoles.accessPackageAssignmentManager, pkg.catalogId);
      const byManager = await server.graph('POST', `${em}/assignmentRequests`, { as: megan, body: body(demo.users.alex.id) });
      expect(byManager.status).toBe(201);
      // A target outside the policy's scope is refused.
      const partnerPolicy = await addPolicy(server, pkg.packageId, fabrikamOnly());
      const outOfScope = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: partnerPolicy, targetId: demo.users.lee.id } } });
      expect(outOfScope.status).toBe(403);
      expect(outOfScope.body.error.code).toBe('TargetNotInPolicyScope');
    });

    it('an email not in the directory is invited as a governed guest at delivery; an unknown home-domain email is 404', async () => {
      const pkg = await buildRequestablePackage(server, { policy: fabrikamOnly() });
      const body = (email: string) => ({ requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId, target: { email, displayName: 'New Partner' } } });

      const created = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: body('New.Partner@Fabrikam.test') });
      expect(created.status).toBe(201);
      const db = server.portier.store.db;
      await run();
      expect(await readRequest(server, created.body.id)).toMatchObject({ state: 'delivered', status: 'Delivered' });
      const guest = await db.selectFrom('users').selectAll().where('mailLower', '=', 'new.partner@fabrikam.test').executeTakeFirstOrThrow();
      expect(guest).toMatchObject({ userType: 'Guest', creationType: 'Invitation', externalUserState: 'PendingAcceptance', displayName: 'New Partner' });
      expect(await db.selectFrom('group_members').select('memberId').where('groupId', '=', pkg.groupId).where('memberId', '=', guest.id).executeTakeFirst()).toBeDefined();
      const subject = await db.selectFrom('subjects').selectAll().where('objectId', '=', guest.id).executeTakeFirstOrThrow();
      expect(subject).toMatchObject({ subjectLifecycle: 'governed', connectedOrganizationId: fabrikamId });

      // Outside the policy (Litware is not Fabrikam), and a home-domain address nobody has.
      const litware = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: body('someone@litware.test') });
      expect(litware.status).toBe(403);
      const nobody = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: body('nobody@contoso.test') });
      expect(nobody.status).toBe(404);
      expect(nobody.body.error.message).toMatch(/own domain/);
      // A home-domain address that exists is that user.
      const leeByMail = await server.graph('POST', `${em}/assignmentRequests`, {
        as: admin,
        body: { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: (await addPolicy(server, pkg.packageId, { allowedTargetScope: 'allMemberUsers' })), target: { email: 'lee@contoso.test' } } },
      });
      expect(leeByMail.status).toBe(201);
      await run();
      const leeSubject = await db.selectFrom('assignment_requests as r').innerJoin('subjects as s', 's.id', 'r.targetId').select('s.objectId').where('r.id', '=', leeByMail.body.id).executeTakeFirstOrThrow();
      expect(leeSubject.objectId).toBe(demo.users.lee.id);
    });
  });

  describe('schedules', () => {
    it('a custom schedule needs allowCustomAssignmentSchedule, stays within the policy, and a future start waits', async () => {
      const fixed = await buildRequestablePackage(server, { policy: { expiration: { type: 'afterDuration', duration: 'P30D' } } });
      const start = new Date(clock.t + 2 * day).toISOString();
      const notAllowed = await expectRefused(alex, fixed.packageId, 400, undefined, { schedule: { startDateTime: start } });
      expect(notAllowed.message).toMatch(/schedule/);

      const custom = await buildRequestablePackage(server, { policy: { expiration: { type: 'afterDuration', duration: 'P30D' }, requestorSettings: { ...selfAdd, allowCustomAssignmentSchedule: true } } });
      const tooLong = await expectRefused(alex, custom.packageId, 400, undefined, { schedule: { startDateTime: start, expiration: { type: 'afterDuration', duration: 'P60D' } } });
      expect(tooLong.message).toMatch(/schedule\.expiration/);
      const noEnd = await expectRefused(alex, custom.packageId, 400, undefined, { schedule: { expiration: { type: 'noExpiration' } } });
      expect(noEnd.message).toMatch(/schedule\.expiration/);
      await expectRefused(alex, custom.packageId, 400, undefined, { schedule: { startDateTime: new Date(clock.t - day).toISOString() } });

      const id = await submit(server, alex, custom.packageId, { schedule: { startDateTime: start, expiration: { type: 'afterDuration', duration: 'P7D' } } });
      // Adele's scheduled request is canceled before it starts: its assignment never does.
      const canceled = await submit(server, adele, custom.packageId, { schedule: { startDateTime: start } });
      await run();
      expect(await readRequest(server, canceled)).toMatchObject({ state: 'scheduled' });
      expect((await server.graph('POST', `${em}/assignmentRequests/${canceled}/cancel`, { as: adele })).status).toBe(204);
      expect(await readRequest(server, canceled)).toMatchObject({ state: 'canceled', assignment: { state: 'expired', status: 'Canceled' } });
      const waiting = await readRequest(server, id);
      expect(waiting).toMatchObject({ state: 'scheduled', assignment: { state: 'delivering', status: 'Scheduled' } });
      const db = server.portier.store.db;
      expect(await db.selectFrom('group_members').select('memberId').where('groupId', '=', custom.groupId).where('memberId', '=', demo.users.alex.id).executeTakeFirst()).toBeUndefined();

      clock.t += 2 * day + 60_000;
      await run();
      const delivered = await readRequest(server, id);
      expect(delivered).toMatchObject({ state: 'delivered', assignment: { state: 'delivered' } });
      const end = Date.parse(delivered.assignment.schedule.expiration.endDateTime);
      expect(end).toBe(clock.t + 7 * day);
      expect(await db.selectFrom('group_members').select('memberId').where('groupId', '=', custom.groupId).where('memberId', '=', demo.users.alex.id).executeTakeFirst()).toBeDefined();
      expect(await db.selectFrom('group_members').select('memberId').where('groupId', '=', custom.groupId).where('memberId', '=', demo.users.adele.id).executeTakeFirst()).toBeUndefined();
      expect(await readRequest(server, canceled)).toMatchObject({ state: 'canceled', assignment: { state: 'expired' } });
    });
  });

  describe('reading requests', () => {
    it("filterByCurrentUser(on='target'|'createdBy'|'approver')", async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) } });
      const own = await submit(server, alex, pkg.packageId);
      const assigned = await server.graph('POST', `${em}/assignmentRequests`, { as: admin, body: { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId, targetId: demo.users.adele.id } } });
      expect(assigned.status).toBe(201);
      await run();
      const ids = async (as: string, on: string) => {
        const res = await server.graph('GET', `${em}/assignmentRequests/filterByCurrentUser(on='${on}')?$top=999`, { as });
        expect(res.status).toBe(200);
        return res.body.value.map((r: { id: string }) => r.id) as string[];
      };
      expect(await ids(alex, 'target')).toContain(own);
      expect(await ids(alex, 'createdBy')).toContain(own);
      expect(await ids(adele, 'target')).toContain(assigned.body.id);
      expect(await ids(adele, 'createdBy')).not.toContain(assigned.body.id);
      expect(await ids(admin, 'createdBy')).toContain(assigned.body.id);
      expect(await ids(admin, 'target')).not.toContain(assigned.body.id);
      expect(await ids(lee, 'approver')).toContain(own);
      expect(await ids(lee, 'approver')).not.toContain(assigned.body.id);
      expect(await ids(alex, 'approver')).not.toContain(own);
      expect((await server.graph('GET', `${em}/assignmentRequests/filterByCurrentUser(on='everyone')`, { as: alex })).status).toBe(400);
    });

    it('a partner sees only their own requests; others get 404', async () => {
      const pkg = await buildRequestablePackage(server, { policy: fabrikamOnly() });
      const mine = await submit(server, pradeep, pkg.packageId);
      const hers = await submit(server, isabel, pkg.packageId);
      expect((await server.graph('GET', `${em}/assignmentRequests/${mine}`, { as: pradeep })).status).toBe(200);
      for (const who of [isabel, diego, alex]) {
        const res = await server.graph('GET', `${em}/assignmentRequests/${mine}`, { as: who });
        expect({ who, status: res.status }).toEqual({ who, status: 404 });
      }
      const list = await server.graph('GET', `${em}/assignmentRequests?$top=999`, { as: pradeep });
      expect(list.status).toBe(200);
      const listed = list.body.value.map((r: { id: string }) => r.id);
      expect(listed).toContain(mine);
      expect(listed).not.toContain(hers);
      expect((await server.graph('GET', `${em}/assignmentRequests/${mine}`, { as: admin })).status).toBe(200);
      // Catalog staff see the catalog's requests.
      await grantCatalogRole(server, admin, demo.users.megan.id, entitlementRoles.catalogReader, pkg.catalogId);
      expect((await server.graph('GET', `${em}/assignmentRequests/${mine}`, { as: megan })).status).toBe(200);
    });
  });

  describe('cancel, delete', () => {
    it('the requestor or an assignment manager cancels an open request; not after delivery', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) } });
      const cancel = (id: string, as: string) => server.graph('POST', `${em}/assignmentRequests/${id}/cancel`, { as });

      const pending = await submit(server, alex, pkg.packageId);
      await run();
      expect((await cancel(pending, adele)).status).toBe(404);
      expect((await cancel(pending, alex)).status).toBe(204);
      expect(await readRequest(server, pending)).toMatchObject({ state: 'canceled', status: 'Canceled' });
      expect((await decide(server, lee, pending, { reviewResult: 'Approve' }, (await server.portier.store.db.selectFrom('approval_stages').select('id').where('requestId', '=', pending).executeTakeFirstOrThrow()).id)).status).toBe(409);
      expect((await cancel(pending, alex)).status).toBe(409);
      expect(await eventsOf(server, 'assignmentRequest.canceled', pending)).toHaveLength(1);
      const approvals = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as: lee });
      expect(approvals.body.value.map((a: { id: string }) => a.id)).not.toContain(pending);

      // Before processing, by an assignment manager of the catalog.
      await grantCatalogRole(server, admin, demo.users.megan.id, entitlementRoles.accessPackageAssignmentManager, pkg.catalogId);
      const submitted = await submit(server, adele, pkg.packageId);
      expect((await cancel(submitted, megan)).status).toBe(204);
      await run();
      expect(await readRequest(server, submitted)).toMatchObject({ state: 'canceled' });
      const stages = await server.portier.store.db.selectFrom('approval_stages').select('status').where('requestId', '=', submitted).execute();
      expect(stages.filter((s) => s.status === 'InProgress')).toEqual([]);

      // Delivered: too late.
      const delivered = await submit(server, alex, pkg.packageId);
      await run();
      expect((await decide(server, lee, delivered, { reviewResult: 'Approve' })).status).toBe(204);
      await run();
      const late = await cancel(delivered, alex);
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('RequestNotCancelable');
    });

    it('only an assignment manager deletes, and only finished requests without active access', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) } });
      const del = (id: string, as: string) => server.graph('DELETE', `${em}/assignmentRequests/${id}`, { as });
      const open = await submit(server, alex, pkg.packageId);
      await run();
      expect((await del(open, alex)).status).toBe(403);
      const stillOpen = await del(open, admin);
      expect(stillOpen.status).toBe(409);
      expect(stillOpen.body.error.code).toBe('RequestStillOpen');
      expect((await server.graph('POST', `${em}/assignmentRequests/${open}/cancel`, { as: alex })).status).toBe(204);
      expect((await del(open, alex)).status).toBe(403);
      expect((await del(open, admin)).status).toBe(204);
      expect((await server.graph('GET', `${em}/assignmentRequests/${open}`, { as: admin })).status).toBe(404);
      expect((await del(open, admin)).status).toBe(404);

      const delivered = await submit(server, adele, pkg.packageId);
      await run();
      expect((await decide(server, lee, delivered, { reviewResult: 'Approve' })).status).toBe(204);
      await run();
      const inUse = await del(delivered, admin);
      expect(inUse.status).toBe(409);
      expect(inUse.body.error.code).toBe('ResourceInUse');
    });
  });

  describe('reprocess', () => {
    it('a delivery that failed (the group was deleted) is retried, and delivered by reprocess once the group is back', async () => {
      const db = server.portier.store.db;
      const pkg = await buildRequestablePackage(server);
      // The group disappears from the directory before the request is delivered.
      const group = await db.selectFrom('groups').selectAll().where('id', '=', pkg.groupId).executeTakeFirstOrThrow();
      await db.deleteFrom('groups').where('id', '=', pkg.groupId).execute();

      const id = await submit(server, alex, pkg.packageId);
      await run();
      const failed = await readRequest(server, id);
      expect(failed).toMatchObject({ state: 'deliveryFailed', status: 'DeliveryFailed', assignment: { state: 'deliveryFailed' } });
      const [failure] = await eventsOf(server, 'assignment.deliveryFailed', failed.assignment.id);
      expect(failure.payload).toMatchObject({ requestId: id, attempts: 1, error: expect.stringMatching(/no longer exists/) });
      expect(Date.parse(failure.payload.nextAttemptDateTime)).toBe(clock.t + 30_000);
      // Still open: a second request is refused while the first may yet be delivered.
      await expectRefused(alex, pkg.packageId, 409);

      // The automatic retry fails again.
      clock.t += 30_000;
      await run();
      expect(await eventsOf(server, 'assignment.deliveryFailed', failed.assignment.id)).toHaveLength(2);

      // Others may not reprocess; the requestor may, once the group is back.
      expect((await server.graph('POST', `${em}/assignmentRequests/${id}/reprocess`, { as: adele })).status).toBe(404);
      await db.insertInto('groups').values(group).execute();
      expect((await server.graph('POST', `${em}/assignmentRequests/${id}/reprocess`, { as: alex })).status).toBe(202);
      await run();
      expect(await readRequest(server, id)).toMatchObject({ state: 'delivered', status: 'Delivered', assignment: { state: 'delivered' } });
      expect(await db.selectFrom('group_members').select('memberId').where('groupId', '=', pkg.groupId).where('memberId', '=', demo.users.alex.id).execute()).toHaveLength(1);
      expect(await db.selectFrom('assignment_grants').select(['state']).where('assignmentId', '=', failed.assignment.id).execute()).toEqual([{ state: 'granted' }]);
      const again = await server.graph('POST', `${em}/assignmentRequests/${id}/reprocess`, { as: alex });
      expect(again.status).toBe(409);
      // The pending retry timer found nothing left to do.
      clock.t += 120_000;
      await run();
      expect(await eventsOf(server, 'assignment.delivered', failed.assignment.id)).toHaveLength(1);
    });
  });

  describe('audit', () => {
    it('records submit, approve and deliver with who and target', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)], { isApproverJustificationRequired: true })]) } });
      const id = await submit(server, alex, pkg.packageId, { justification: 'For the audit test' });
      await run();
      expect((await decide(server, lee, id, { reviewResult: 'Approve', justification: 'Fine by me' })).status).toBe(204);
      await run();
      const request = await readRequest(server, id);

      const audits = async (activity: string) => {
        const res = await server.graph('GET', `auditLogs/directoryAudits?$filter=category eq 'EntitlementManagement' and activityDisplayName eq '${activity}'&$top=999`, { as: admin });
        expect(res.status).toBe(200);
        return res.body.value as any[];
      };
      const submitted = (await audits('User requests access package assignment')).find((a) => a.targetResources.some((t: any) => t.id === id));
      expect(submitted).toMatchObject({ category: 'EntitlementManagement', result: 'success', initiatedBy: { user: { id: demo.users.alex.id, userPrincipalName: alex } } });
      expect(submitted.targetResources).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: pkg.packageId, type: 'AccessPackage' }), expect.objectContaining({ id: demo.users.alex.id, type: 'User' })]),
      );
      expect(submitted.additionalDetails).toEqual(expect.arrayContaining([{ key: 'justification', value: 'For the audit test' }]));

      const approved = (await audits('Approve access package assignment request')).find((a) => a.targetResources.some((t: any) => t.id === id));
      expect(approved).toMatchObject({ initiatedBy: { user: { id: demo.users.lee.id } } });
      expect(approved.additionalDetails).toEqual(expect.arrayContaining([{ key: 'justification', value: 'Fine by me' }]));

      const delivered = (await audits('Access package assignment delivered')).find((a) => a.targetResources.some((t: any) => t.id === request.assignment.id));
      expect(delivered).toMatchObject({ initiatedBy: { user: { displayName: 'Entitlement Management' } } });
      expect(delivered.targetResources).toEqual(expect.arrayContaining([expect.objectContaining({ id: demo.users.alex.id, type: 'User' })]));

      // Filterable by who acted.
      const byLee = await server.graph('GET', `auditLogs/directoryAudits?$filter=category eq 'EntitlementManagement' and initiatedBy/user/id eq '${demo.users.lee.id}'&$top=999`, { as: admin });
      expect(byLee.body.value.map((a: any) => a.id)).toContain(approved.id);
      expect(byLee.body.value.every((a: any) => a.initiatedBy.user.id === demo.users.lee.id)).toBe(true);
    });
  });
});
