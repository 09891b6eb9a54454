import { entitlementRoles } from '../../bot/domain/roles';
import { demo } from '../../bot/seed/tenant';
import { buildGroup, buildUser, grantCatalogRole } from '../helpers/factories';
import { admin, approval, buildRequestablePackage, decide, eventsOf, groupMembers, partnerAccount, readRequest, singleUser, stage, stagesOf, submit } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Approvals over HTTP (DESIGN §5 "Rules", §1 step 9): stages in order, every kind of approver,
 * the requestor never deciding, fallback and fail-closed, justification, one decision per stage,
 * automatic denial, escalation and reminders on a movable clock, and the events each step emits.
 */
describe('accessPackageAssignmentApprovals', () => {
  let server: TestServer;
  const clock = { t: Date.parse('2026-01-05T09:00:00Z'), now() { return new Date(this.t); } };
  const minute = 60_000;
  const { alex, adele, lee, megan } = { alex: 'alex@contoso.test', adele: 'adele@contoso.test', lee: 'lee@contoso.test', megan: 'megan@contoso.test' };
  const ids = demo.users;
  let fabrikamId: string;
  const run = () => server.portier.jobs.runOnce();

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    fabrikamId = (await server.portier.store.db.selectFrom('connected_organizations').select('id').where('displayName', '=', 'Fabrikam').executeTakeFirstOrThrow()).id;
  });
  afterAll(() => server.close());

  /** A package whose one policy (all members, or `scope`) has these approval stages. */
  function packageWithStages(stages: Record<string, unknown>[], scope: Record<string, unknown> = { allowedTargetScope: 'allMemberUsers' }) {
    return buildRequestablePackage(server, { policy: { ...scope, requestApprovalSettings: approval(stages) } });
  }

  /** Submits and processes a request; returns its id and the stageStarted event of its first stage. */
  async function requestAndStart(as: string, packageId: string) {
    const id = await submit(server, as, packageId);
    await run();
    const started = await eventsOf(server, 'approval.stageStarted', id);
    return { id, started };
  }

  async function pendingFor(as: string): Promise<string[]> {
    const res = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as });
    expect(res.status).toBe(200);
    return res.body.value.map((a: { id: string }) => a.id);
  }

  const newFabrikamPartner = () => partnerAccount(server, { tenantId: demo.fabrikam.id, domain: demo.fabrikam.domain });
  const fabrikamOnly = () => ({
    allowedTargetScope: 'specificConnectedOrganizationUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: fabrikamId }],
  });

  describe('stages', () => {
    it('runs up to three stages in order, each with its own approvers, then delivers', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id)]), stage([singleUser(ids.adele.id)]), stage([singleUser(ids.megan.id)])]);
      const { id, started } = await requestAndStart(alex, pkg.packageId);
      expect(started).toHaveLength(1);
      let stages = await stagesOf(server, id);
      expect(stages.map((s) => s.status)).toEqual(['InProgress', 'NotStarted', 'NotStarted']);
      expect(stages.map((s) => s.displayName)).toEqual(['Stage 1', 'Stage 2', 'Stage 3']);
      expect(await pendingFor(adele)).not.toContain(id);

      // Adele's stage has not started: she cannot decide it yet.
      expect((await decide(server, adele, id, { reviewResult: 'Approve' }, stages[1].id)).status).toBe(404);
      expect((await decide(server, lee, id, { reviewResult: 'Approve', justification: 'Stage one ok' })).status).toBe(204);
      stages = await stagesOf(server, id);
      expect(stages.map((s) => [s.status, s.reviewResult])).toEqual([['Completed', 'Approve'], ['InProgress', 'NotReviewed'], ['NotStarted', 'NotReviewed']]);
      expect(stages[0]).toMatchObject({ justification: 'Stage one ok', reviewedBy: { id: ids.lee.id } });
      expect(await readRequest(server, id)).toMatchObject({ state: 'pendingApproval' });
      expect(await pendingFor(lee)).not.toContain(id);
      expect(await pendingFor(adele)).toContain(id);

      expect((await decide(server, adele, id, { reviewResult: 'Approve' })).status).toBe(204);
      expect((await decide(server, megan, id, { reviewResult: 'Approve' })).status).toBe(204);
      await run();
      expect(await readRequest(server, id)).toMatchObject({ state: 'delivered', status: 'Delivered' });

      const startedAll = await eventsOf(server, 'approval.stageStarted', id);
      expect(startedAll.map((e) => [e.payload.stageIndex, e.payload.approverIds]).sort((a, b) => a[0] - b[0])).toEqual([
        [0, [ids.lee.id]],
        [1, [ids.adele.id]],
        [2, [ids.megan.id]],
      ]);
      const decided = await eventsOf(server, 'approval.decided', id);
      expect(decided.sort((a, b) => a.payload.stageIndex - b.payload.stageIndex).map((e) => e.payload.reviewedById)).toEqual([ids.lee.id, ids.adele.id, ids.megan.id]);
    });

    it('a denial at stage two ends the request; stage three never starts', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id)]), stage([singleUser(ids.adele.id)]), stage([singleUser(ids.megan.id)])]);
      const { id } = await requestAndStart(alex, pkg.packageId);
      expect((await decide(server, lee, id, { reviewResult: 'Approve' })).status).toBe(204);
      expect((await decide(server, adele, id, { reviewResult: 'Deny', justification: 'Not this quarter' })).status).toBe(204);
      await run();
      expect(await readRequest(server, id)).toMatchObject({ state: 'denied', status: 'Denied', assignment: null });
      const stages = await stagesOf(server, id);
      expect(stages.map((s) => s.status)).toEqual(['Completed', 'Completed', 'NotStarted']);
      expect(await eventsOf(server, 'approval.stageStarted', id)).toHaveLength(2);
      const [denied] = await eventsOf(server, 'assignmentRequest.denied', id);
      expect(denied.payload).toMatchObject({ requestId: id, reason: 'Not this quarter', deciderId: ids.adele.id, targetUserId: ids.alex.id });
      expect((await decide(server, megan, id, { reviewResult: 'Approve' }, stages[2].id)).status).toBe(404);
    });
  });

  describe('approvers', () => {
    it('groupMembers: every member of the group', async () => {
      const group = await buildGroup(server, admin);
      for (const user of [ids.lee.id, ids.adele.id]) {
        expect((await server.graph('POST', `groups/${group.id}/members/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${user}` } })).status).toBe(204);
      }
      const pkg = await packageWithStages([stage([groupMembers(group.id)])]);
      const { id, started } = await requestAndStart(alex, pkg.packageId);
      expect(started[0].payload.approverIds).toEqual([ids.adele.id, ids.lee.id].sort());
      expect(await pendingFor(lee)).toContain(id);
      expect(await pendingFor(adele)).toContain(id);
    });

    it("requestorManager: the requestor's manager (set with PUT manager/$ref), level 2 their manager's", async () => {
      const worker = await buildUser(server, admin);
      const manager = await buildUser(server, admin);
      const put = (user: string, boss: string) => server.graph('PUT', `users/${user}/manager/$ref`, { as: admin, body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${boss}` } });
      expect((await put(worker.id, manager.id)).status).toBe(204);
      expect((await put(manager.id, ids.adele.id)).status).toBe(204);
      const pkg = await packageWithStages([stage([{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }]), stage([{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 2 }])]);
      const { id, started } = await requestAndStart(worker.userPrincipalName, pkg.packageId);
      expect(started[0].payload.approverIds).toEqual([manager.id]);
      expect((await decide(server, manager.userPrincipalName, id, { reviewResult: 'Approve' })).status).toBe(204);
      const second = (await eventsOf(server, 'approval.stageStarted', id)).find((e) => e.payload.stageIndex === 1);
      expect(second?.payload.approverIds).toEqual([ids.adele.id]);
    });

    it("internalSponsors and externalSponsors: the sponsors of the requestor's connected organization", async () => {
      const internal = await packageWithStages([stage([{ '@odata.type': '#microsoft.graph.internalSponsors' }])], fabrikamOnly());
      const external = await packageWithStages([stage([{ '@odata.type': '#microsoft.graph.externalSponsors' }])], fabrikamOnly());
      const partner = await newFabrikamPartner();
      const a = await requestAndStart(partner, internal.packageId);
      expect(a.started[0].payload.approverIds).toEqual([ids.adele.id]);
      const b = await requestAndStart(partner, external.packageId);
      expect(b.started[0].payload.approverIds).toEqual([demo.ruthGuest.id]);
      // Ruth decides as the guest she is.
      expect(await pendingFor('ruth@fabrikam.test')).toContain(b.id);
      expect((await decide(server, 'ruth@fabrikam.test', b.id, { reviewResult: 'Approve' })).status).toBe(204);
    });

    it("targetUserSponsors: the requesting user's own sponsors", async () => {
      const pkg = await packageWithStages([stage([{ '@odata.type': '#microsoft.graph.targetUserSponsors' }])], { allowedTargetScope: 'allDirectoryUsers' });
      // Ruth is a guest sponsored by Adele.
      const { id, started } = await requestAndStart('ruth@fabrikam.test', pkg.packageId);
      expect(started[0].payload.approverIds).toEqual([ids.adele.id]);
      expect(await pendingFor(adele)).toContain(id);
    });

    it('the requestor is never an approver, even when listed, and cannot decide their own request', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.alex.id), singleUser(ids.lee.id)])]);
      const { id, started } = await requestAndStart(alex, pkg.packageId);
      expect(started[0].payload.approverIds).toEqual([ids.lee.id]);
      expect(await pendingFor(alex)).not.toContain(id);
      const own = await decide(server, alex, id, { reviewResult: 'Approve' });
      expect(own.status).toBe(403);
      expect(own.body.error.code).toBe('RequestorCannotApprove');

      // Listed alone: the fallback decides.
      const alone = await packageWithStages([stage([singleUser(ids.alex.id)], { fallbackPrimaryApprovers: [singleUser(ids.adele.id)] })]);
      const second = await requestAndStart(alex, alone.packageId);
      expect(second.started[0].payload).toMatchObject({ approverIds: [ids.adele.id], usedFallback: true });
      expect((await decide(server, alex, second.id, { reviewResult: 'Approve' })).status).toBe(403);
      expect((await decide(server, adele, second.id, { reviewResult: 'Approve' })).status).toBe(204);
    });

    it('fallback approvers when the approvers resolve to nobody (no manager, a disabled account)', async () => {
      const noManager = await packageWithStages([stage([{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }], { fallbackPrimaryApprovers: [singleUser(ids.adele.id)] })]);
      // Lee has no manager.
      const a = await requestAndStart(lee, noManager.packageId);
      expect(a.started[0].payload).toMatchObject({ approverIds: [ids.adele.id], usedFallback: true });
      const kinds = await server.portier.store.db.selectFrom('approval_stage_approvers').select(['userId', 'kind']).where('requestId', '=', a.id).execute();
      expect(kinds).toEqual([{ userId: ids.adele.id, kind: 'fallbackPrimary' }]);

      const leaver = await buildUser(server, admin);
      expect((await server.graph('PATCH', `users/${leaver.id}`, { as: admin, body: { accountEnabled: false } })).status).toBe(204);
      const disabled = await packageWithStages([stage([singleUser(leaver.id)], { fallbackPrimaryApprovers: [singleUser(ids.lee.id)] })]);
      const b = await requestAndStart(alex, disabled.packageId);
      expect(b.started[0].payload.approverIds).toEqual([ids.lee.id]);
    });

    it('nobody at all: the request is denied with a clear reason and the catalog owners are told', async () => {
      const pkg = await packageWithStages([stage([{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }])]);
      await grantCatalogRole(server, admin, ids.megan.id, entitlementRoles.catalogOwner, pkg.catalogId);
      const { id, started } = await requestAndStart(lee, pkg.packageId);
      expect(started).toHaveLength(0);
      const request = await readRequest(server, id);
      expect(request).toMatchObject({ state: 'denied', status: 'Denied' });
      const [only] = await stagesOf(server, id);
      expect(only).toMatchObject({ status: 'Completed', reviewResult: 'Deny', reviewedBy: { displayName: 'Entitlement Management' } });
      expect(only.justification).toMatch(/No approver could be found for stage 1/);
      const [denied] = await eventsOf(server, 'assignmentRequest.denied', id);
      expect(denied.payload).toMatchObject({ requestId: id, reason: only.justification, catalogOwnerIds: [ids.megan.id] });
      const told = await server.portier.store.db.selectFrom('notifications').select(['recipientId', 'payload']).where('eventId', '=', denied.id).execute();
      expect(told.map((n) => n.recipientId).sort()).toEqual([ids.lee.id, ids.megan.id].sort());
      // The requestor may ask again (nothing is left open).
      expect((await server.graph('POST', `${em}/assignmentRequests`, { as: lee, body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } } })).status).toBe(201);
    });
  });

  describe('decisions', () => {
    it('approver justification when required; one decision per stage (409); others 403 or 404', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id), singleUser(ids.adele.id)], { isApproverJustificationRequired: true })]);
      await grantCatalogRole(server, admin, ids.megan.id, entitlementRoles.catalogReader, pkg.catalogId);
      const { id } = await requestAndStart(alex, pkg.packageId);

      const bare = await decide(server, lee, id, { reviewResult: 'Approve' });
      expect(bare.status).toBe(400);
      expect(bare.body.error.message).toMatch(/justification/);
      expect((await decide(server, lee, id, { reviewResult: 'Approve', justification: '  ' })).status).toBe(400);
      expect((await decide(server, lee, id, { reviewResult: 'Maybe', justification: 'x' })).status).toBe(400);

      const stranger = await decide(server, 'diego@litware.test', id, { reviewResult: 'Approve', justification: 'x' });
      expect(stranger.status).toBe(404);
      expect((await decide(server, lee, id, { reviewResult: 'Approve', justification: 'x' }, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
      const staff = await decide(server, megan, id, { reviewResult: 'Approve', justification: 'x' });
      expect(staff.status).toBe(403);
      expect(staff.body.error.code).toBe('NotAnApprover');

      expect((await decide(server, lee, id, { reviewResult: 'Approve', justification: 'Known engineer' })).status).toBe(204);
      const [decision] = await stagesOf(server, id);
      for (const [who, result] of [[adele, 'Deny'], [lee, 'Approve']] as const) {
        const again = await decide(server, who, id, { reviewResult: result, justification: 'late' }, decision.id);
        expect({ who, status: again.status }).toEqual({ who, status: 409 });
        expect(again.body.error.message).toMatch(/already approved by Lee Gu/);
      }
      const [decided] = await eventsOf(server, 'approval.decided', id);
      expect(decided.payload).toEqual({ requestId: id, stageId: decision.id, stageIndex: 0, reviewResult: 'Approve', reviewedById: ids.lee.id, approverIds: [ids.adele.id, ids.lee.id].sort(), justification: 'Known engineer' });
      // Both approvers' cards update.
      await run();
      const told = await server.portier.store.db.selectFrom('notifications').select('recipientId').where('eventId', '=', decided.id).execute();
      expect(told.map((n) => n.recipientId)).toEqual(expect.arrayContaining([ids.lee.id, ids.adele.id]));
    });

    it('a request whose policy was deleted meanwhile ends denied, never delivered', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id)])]);
      const { id } = await requestAndStart(alex, pkg.packageId);
      expect((await server.graph('DELETE', `${em}/assignmentPolicies/${pkg.policyId}`, { as: admin })).status).toBe(204);
      expect((await decide(server, lee, id, { reviewResult: 'Approve' })).status).toBe(204);
      await run();
      const request = await readRequest(server, id);
      expect(request).toMatchObject({ state: 'denied', status: 'Denied', assignment: null });
      const [denied] = await eventsOf(server, 'assignmentRequest.denied', id);
      expect(denied.payload.reason).toMatch(/policy/);

      // Deleted before processing: denied too, not approved without approval.
      const other = await packageWithStages([stage([singleUser(ids.lee.id)])]);
      await server.portier.jobs.stop();
      try {
        const early = await submit(server, alex, other.packageId);
        expect((await server.graph('DELETE', `${em}/assignmentPolicies/${other.policyId}`, { as: admin })).status).toBe(204);
        await run();
        expect(await readRequest(server, early)).toMatchObject({ state: 'denied', status: 'Denied', assignment: null });
      } finally {
        server.portier.jobs.start();
      }
    });

    it('the approval is visible to its approvers, the requestor and catalog staff; 404 for others', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id)])]);
      const { id } = await requestAndStart(alex, pkg.packageId);
      for (const [who, status] of [[lee, 200], [alex, 200], [admin, 200], [adele, 404], ['diego@litware.test', 404]] as const) {
        const res = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${id}`, { as: who });
        expect({ who, status: res.status }).toEqual({ who, status });
      }
      const asLee = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${id}`, { as: lee });
      expect(asLee.body.stages[0].assignedToMe).toBe(true);
      const asAlex = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${id}`, { as: alex });
      expect(asAlex.body.stages[0].assignedToMe).toBe(false);
      // The approver reads the request itself (justification, answers), as the list for approvers shows it.
      const request = await server.graph('GET', `${em}/assignmentRequests/${id}?$expand=accessPackage`, { as: lee });
      expect(request.status).toBe(200);
      expect(request.body.accessPackage.id).toBe(pkg.packageId);
      expect((await server.graph('GET', `${em}/assignmentRequests/${id}`, { as: adele })).status).toBe(404);
    });
  });

  describe('timers', () => {
    it('denies automatically after durationBeforeAutomaticDenial (status Expired), after a reminder half-way', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id)], { durationBeforeAutomaticDenial: 'PT10M' })]);
      const { id, started } = await requestAndStart(alex, pkg.packageId);
      expect(Date.parse(started[0].payload.dueDateTime)).toBe(clock.t + 10 * minute);

      clock.t += 5 * minute - 1000;
      await run();
      expect(await eventsOf(server, 'approval.reminder', id)).toHaveLength(0);
      clock.t += 1000;
      await run();
      const reminders = await eventsOf(server, 'approval.reminder', id);
      expect(reminders).toHaveLength(1);
      expect(reminders[0].payload).toMatchObject({ requestId: id, stageId: started[0].payload.stageId, approverIds: [ids.lee.id] });

      clock.t += 5 * minute - 1000;
      await run();
      expect(await readRequest(server, id)).toMatchObject({ state: 'pendingApproval' });
      clock.t += 1000;
      await run();
      expect(await readRequest(server, id)).toMatchObject({ state: 'denied', status: 'Expired' });
      const [only] = await stagesOf(server, id);
      expect(only).toMatchObject({ status: 'Expired', reviewResult: 'Deny' });
      const expired = await eventsOf(server, 'assignmentRequest.expired', id);
      expect(expired).toHaveLength(1);
      expect(expired[0].payload).toMatchObject({ requestId: id, targetUserId: ids.alex.id });
      expect(await eventsOf(server, 'assignmentRequest.denied', id)).toHaveLength(0);
      expect((await decide(server, lee, id, { reviewResult: 'Approve' }, only.id)).status).toBe(409);
      expect(await pendingFor(lee)).not.toContain(id);
      // Nothing fires again.
      clock.t += 60 * minute;
      await run();
      expect(await eventsOf(server, 'assignmentRequest.expired', id)).toHaveLength(1);
      expect(await eventsOf(server, 'approval.reminder', id)).toHaveLength(1);
    });

    it('a decision in time cancels the timers', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id)], { durationBeforeAutomaticDenial: 'PT10M' })]);
      const { id } = await requestAndStart(alex, pkg.packageId);
      const stageIds = (await stagesOf(server, id)).map((s) => s.id);
      const stageTimers = async () => (await server.portier.store.db.selectFrom('timers').select('kind').where('subjectId', 'in', stageIds).orderBy('kind').execute()).map((t) => t.kind);
      expect(await stageTimers()).toEqual(['approval.autoDeny', 'approval.remind']);
      expect((await decide(server, lee, id, { reviewResult: 'Approve' })).status).toBe(204);
      // Deleted with the decision, not left for their handlers to find nothing to do.
      expect(await stageTimers()).toEqual([]);
      clock.t += 20 * minute;
      await run();
      expect(await readRequest(server, id)).toMatchObject({ state: 'delivered' });
      expect(await eventsOf(server, 'approval.reminder', id)).toHaveLength(0);
      expect(await eventsOf(server, 'assignmentRequest.expired', id)).toHaveLength(0);
    });

    it('escalates after durationBeforeEscalation: escalation approvers join, the first approvers keep their right', async () => {
      const escalating = (fallbackEscalation: unknown[] = []) =>
        stage([singleUser(ids.lee.id)], {
          durationBeforeAutomaticDenial: 'PT10M',
          isEscalationEnabled: true,
          durationBeforeEscalation: 'PT4M',
          escalationApprovers: [singleUser(ids.adele.id)],
          fallbackEscalationApprovers: fallbackEscalation,
        });
      const pkg = await packageWithStages([escalating()]);
      const first = await requestAndStart(alex, pkg.packageId);
      const second = await requestAndStart(megan, pkg.packageId);
      expect(await pendingFor(adele)).not.toContain(first.id);

      clock.t += 2 * minute;
      await run();
      expect(await eventsOf(server, 'approval.reminder', first.id)).toHaveLength(1);
      clock.t += 2 * minute;
      await run();
      for (const { id, started } of [first, second]) {
        const escalated = await eventsOf(server, 'approval.escalated', id);
        expect(escalated).toHaveLength(1);
        expect(escalated[0].payload).toMatchObject({ requestId: id, stageId: started[0].payload.stageId, approverIds: [ids.adele.id] });
      }
      expect(await pendingFor(adele)).toEqual(expect.arrayContaining([first.id, second.id]));
      expect(await pendingFor(lee)).toEqual(expect.arrayContaining([first.id, second.id]));

      // Lee (first approver) decides one, Adele (escalation) the other.
      expect((await decide(server, lee, first.id, { reviewResult: 'Approve' })).status).toBe(204);
      expect((await decide(server, adele, second.id, { reviewResult: 'Deny', justification: 'No' })).status).toBe(204);
      expect((await decide(server, adele, first.id, { reviewResult: 'Deny' }, first.started[0].payload.stageId)).status).toBe(409);
      await run();
      expect(await readRequest(server, first.id)).toMatchObject({ state: 'delivered' });
      expect(await readRequest(server, second.id)).toMatchObject({ state: 'denied', status: 'Denied' });
      const kinds = await server.portier.store.db.selectFrom('approval_stage_approvers').select(['userId', 'kind']).where('requestId', '=', first.id).orderBy('userId').execute();
      expect(kinds).toHaveLength(2);
      expect(kinds).toEqual(expect.arrayContaining([
        { userId: ids.adele.id, kind: 'escalation' },
        { userId: ids.lee.id, kind: 'primary' },
      ]));
      clock.t += 10 * minute;
      await run();
      expect(await eventsOf(server, 'approval.escalated', first.id)).toHaveLength(1);
      expect(await eventsOf(server, 'assignmentRequest.expired', first.id)).toHaveLength(0);
    });

    it('escalation falls back when the escalation approvers resolve to nobody', async () => {
      const pkg = await packageWithStages([
        stage([singleUser(ids.lee.id)], {
          durationBeforeAutomaticDenial: 'PT10M',
          isEscalationEnabled: true,
          durationBeforeEscalation: 'PT4M',
          escalationApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }],
          fallbackEscalationApprovers: [singleUser(ids.megan.id)],
        }),
      ]);
      // Alex's manager is Lee, already an approver; a user without manager shows the fallback.
      const nobody = await buildUser(server, admin);
      const { id } = await requestAndStart(nobody.userPrincipalName, pkg.packageId);
      clock.t += 4 * minute;
      await run();
      const [escalated] = await eventsOf(server, 'approval.escalated', id);
      expect(escalated.payload.approverIds).toEqual([ids.megan.id]);
      expect((await decide(server, megan, id, { reviewResult: 'Approve' })).status).toBe(204);
    });
  });

  describe('events', () => {
    it('submitted, stageStarted, decided and delivered carry what the bot needs, and reach the notifier once', async () => {
      const pkg = await packageWithStages([stage([singleUser(ids.lee.id)], { durationBeforeAutomaticDenial: 'PT1H' })], fabrikamOnly());
      const partner = await newFabrikamPartner();
      const id = await submit(server, partner, pkg.packageId, { justification: 'Events' });
      await run();
      const subject = await server.portier.store.db.selectFrom('assignment_requests').select(['targetId', 'requestorId']).where('id', '=', id).executeTakeFirstOrThrow();
      const [submitted] = await eventsOf(server, 'assignmentRequest.submitted', id);
      expect(submitted.payload).toEqual({ requestId: id, accessPackageId: pkg.packageId, targetId: subject.targetId, requestorId: subject.targetId, requestType: 'userAdd' });
      const [started] = await eventsOf(server, 'approval.stageStarted', id);
      const [stage0] = await stagesOf(server, id);
      expect(started.payload).toEqual({ requestId: id, stageId: stage0.id, stageIndex: 0, approverIds: [ids.lee.id], usedFallback: false, dueDateTime: new Date(clock.t + 3600_000).toISOString() });

      expect((await decide(server, lee, id, { reviewResult: 'Approve', justification: 'ok' })).status).toBe(204);
      await run();
      const request = await readRequest(server, id);
      expect(request.state).toBe('delivered');
      const guest = await server.portier.store.db.selectFrom('subjects').select('objectId').where('id', '=', subject.targetId).executeTakeFirstOrThrow();
      const [delivered] = await eventsOf(server, 'assignment.delivered', request.assignment.id);
      expect(delivered.payload).toMatchObject({ assignmentId: request.assignment.id, requestId: id, accessPackageId: pkg.packageId, targetId: subject.targetId, targetUserId: guest.objectId, endDateTime: null });

      // Every event of this request went to the notifier exactly once, and was handled.
      const events = await server.portier.store.db.selectFrom('outbox_events').select(['id', 'type']).where('subjectId', 'in', [id, request.assignment.id]).execute();
      expect(events.map((e) => e.type).sort()).toEqual(['approval.decided', 'approval.stageStarted', 'assignment.delivered', 'assignmentRequest.submitted']);
      const deliveries = await server.portier.store.db.selectFrom('outbox_deliveries').select(['eventId', 'consumer', 'state']).where('eventId', 'in', events.map((e) => e.id)).execute();
      expect(deliveries).toHaveLength(events.length);
      expect(deliveries.every((d) => d.consumer === 'notifier' && d.state === 'done')).toBe(true);
      // The partner was told of the submission by subject id (not yet a guest), and of the delivery as the guest.
      const notices = await server.portier.store.db.selectFrom('notifications').select(['eventType', 'recipientId']).where('eventId', 'in', events.map((e) => e.id)).execute();
      expect(notices).toEqual(
        expect.arrayContaining([
          { eventType: 'assignmentRequest.submitted', recipientId: subject.targetId },
          { eventType: 'approval.stageStarted', recipientId: ids.lee.id },
          { eventType: 'assignment.delivered', recipientId: guest.objectId },
        ]),
      );
    });
  });
});
