import { demo } from '../../bot/seed/tenant';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * The seed scenario of DESIGN §1 steps 8–10 on the demo tenant, over HTTP: a Fabrikam partner
 * requests the hidden package by id, the external sponsor approves, the partner becomes a governed
 * guest with Project Falcon's group and site; Litware is refused; without a sponsor Lee decides.
 */
describe('request scenario (demo tenant)', () => {
  let server: TestServer;
  let packageId: string;
  let questionId: string;
  const clock = { t: Date.parse('2026-03-02T09:00:00Z'), now() { return new Date(this.t); } };

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    const pkg = await server.portier.store.db.selectFrom('access_packages').select('id').where('displayName', 'like', 'Project Falcon%').executeTakeFirstOrThrow();
    packageId = pkg.id;
  });
  afterAll(() => server.close());

  it('a Fabrikam partner reads the hidden package by id and its requirements, but does not see it listed', async () => {
    const byId = await server.graph('GET', `${em}/accessPackages/${packageId}`, { as: 'pradeep@fabrikam.test' });
    expect(byId.status).toBe(200);
    expect(byId.body.isHidden).toBe(true);
    const listed = await server.graph('GET', `${em}/accessPackages/filterByCurrentUser(on='allowedRequestor')`, { as: 'pradeep@fabrikam.test' });
    expect(listed.status).toBe(200);
    expect(listed.body.value.map((p: { id: string }) => p.id)).not.toContain(packageId);
    const requirements = await server.graph('POST', `${em}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { as: 'pradeep@fabrikam.test' });
    expect(requirements.status).toBe(200);
    expect(requirements.body.value).toHaveLength(1);
    expect(requirements.body.value[0]).toMatchObject({ isApprovalRequiredForAdd: true, isRequestorJustificationRequired: true });
    questionId = requirements.body.value[0].questions[0].id;
    expect(questionId).toBeTruthy();
  });

  it('Litware may not read the package: requesting it is answered like an unknown id, and nothing names it', async () => {
    const request = (accessPackageId: string) =>
      server.graph('POST', `${em}/assignmentRequests`, { as: 'diego@litware.test', body: { requestType: 'userAdd', assignment: { accessPackageId }, justification: 'Please' } });
    const unknownId = '00000000-0000-4000-8000-0000000000cd';
    const [res, unknown] = [await request(packageId), await request(unknownId)];
    expect([res.status, unknown.status]).toEqual([404, 404]);
    expect(res.body.error.code).toBe(unknown.body.error.code);
    expect(res.body.error.message.replace(packageId, '{id}')).toBe(unknown.body.error.message.replace(unknownId, '{id}'));
    expect(JSON.stringify(res.body)).not.toContain(demo.packageName);
    expect((await server.graph('GET', `${em}/accessPackages/${packageId}`, { as: 'diego@litware.test' })).status).toBe(404);
    const requirements = await server.graph('POST', `${em}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { as: 'diego@litware.test' });
    expect(requirements.status).toBe(404);
    expect(JSON.stringify(requirements.body)).not.toContain(demo.packageName);
  });

  it('Pradeep requests, Ruth approves, Pradeep becomes a guest in Project Falcon and its site', async () => {
    const missing = await server.graph('POST', `${em}/assignmentRequests`, { as: 'pradeep@fabrikam.test', body: { requestType: 'userAdd', assignment: { accessPackageId: packageId } } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/justification/);

    const submitted = await server.graph('POST', `${em}/assignmentRequests`, {
      as: 'pradeep@fabrikam.test',
      body: {
        requestType: 'userAdd',
        assignment: { accessPackageId: packageId },
        justification: 'Falcon test rig integration',
        answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'Firmware', answeredQuestion: { id: questionId } }],
      },
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ requestType: 'userAdd', state: 'submitted', status: 'Accepted' });
    const requestId = submitted.body.id as string;

    const again = await server.graph('POST', `${em}/assignmentRequests`, {
      as: 'pradeep@fabrikam.test',
      body: { requestType: 'userAdd', assignment: { accessPackageId: packageId }, justification: 'again', answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'x', answeredQuestion: { id: questionId } }] },
    });
    expect(again.status).toBe(409);

    await server.portier.jobs.runOnce();
    const pending = await server.graph('GET', `${em}/assignmentRequests/${requestId}`, { as: 'pradeep@fabrikam.test' });
    expect(pending.body).toMatchObject({ state: 'pendingApproval', status: 'PendingApproval' });

    const approvals = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as: 'ruth@fabrikam.test' });
    expect(approvals.status).toBe(200);
    const approval = approvals.body.value.find((a: { id: string }) => a.id === requestId);
    expect(approval.stages[0]).toMatchObject({ status: 'InProgress', reviewResult: 'NotReviewed', assignedToMe: true });
    const leeSees = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as: 'lee@contoso.test' });
    expect(leeSees.body.value.map((a: { id: string }) => a.id)).not.toContain(requestId);

    const decided = await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${requestId}/stages/${approval.stages[0].id}`, { as: 'ruth@fabrikam.test', body: { reviewResult: 'Approve', justification: 'Known engineer' } });
    expect(decided.status).toBe(204);
    const twice = await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${requestId}/stages/${approval.stages[0].id}`, { as: 'ruth@fabrikam.test', body: { reviewResult: 'Deny' } });
    expect(twice.status).toBe(409);

    await server.portier.jobs.runOnce();
    const delivered = await server.graph('GET', `${em}/assignmentRequests/${requestId}?$expand=assignment`, { as: 'admin@contoso.test' });
    expect(delivered.body).toMatchObject({ state: 'delivered', status: 'Delivered' });
    expect(delivered.body.assignment).toMatchObject({ state: 'delivered', status: 'Delivered' });

    const db = server.portier.store.db;
    const guest = await db.selectFrom('users').selectAll().where('homeObjectId', '=', demo.partners.pradeep.id).executeTakeFirstOrThrow();
    expect(guest.userType).toBe('Guest');
    const member = await db.selectFrom('group_members').select('memberId').where('groupId', '=', demo.projectFalcon.groupId).where('memberId', '=', guest.id).executeTakeFirst();
    expect(member).toBeDefined();
    const siteMember = await db.selectFrom('site_group_members').select('userId').where('userId', '=', guest.id).where('siteGroupId', '=', '5').executeTakeFirst();
    expect(siteMember).toBeDefined();
    const subject = await db.selectFrom('subjects').selectAll().where('objectId', '=', guest.id).executeTakeFirstOrThrow();
    expect(subject.subjectLifecycle).toBe('governed');

    // Pradeep now signs in as the guest and sees his access.
    const mine = await server.graph('GET', `${em}/assignmentRequests/filterByCurrentUser(on='target')`, { as: 'pradeep@fabrikam.test' });
    expect(mine.body.value.map((r: { id: string }) => r.id)).toContain(requestId);
  });

  it("Lee gets the request when Fabrikam's external sponsor cannot be resolved", async () => {
    const db = server.portier.store.db;
    await db.deleteFrom('connected_organization_sponsors').where('kind', '=', 'external').execute();
    const submitted = await server.graph('POST', `${em}/assignmentRequests`, {
      as: 'isabel@fabrikam.test',
      body: { requestType: 'userAdd', assignment: { accessPackageId: packageId }, justification: 'QA', answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'QA', answeredQuestion: { id: questionId } }] },
    });
    expect(submitted.status).toBe(201);
    await server.portier.jobs.runOnce();
    const lee = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as: 'lee@contoso.test' });
    expect(lee.body.value.map((a: { id: string }) => a.id)).toContain(submitted.body.id);

    // Asked for (`Prefer: return=representation`), the decision answers with the stage as decided: what a read
    // of the approval then shows of it.
    const stageId = lee.body.value.find((a: { id: string }) => a.id === submitted.body.id).stages[0].id;
    const decided = await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${submitted.body.id}/stages/${stageId}`, {
      as: 'lee@contoso.test',
      body: { reviewResult: 'Deny', justification: 'No sponsor' },
      headers: { prefer: 'return=representation' },
    });
    expect(decided.status).toBe(200);
    expect(decided.headers.get('preference-applied')).toBe('return=representation');
    expect(decided.body).toMatchObject({ id: stageId, status: 'Completed', reviewResult: 'Deny', justification: 'No sponsor', assignedToMe: false, reviewedBy: { displayName: 'Lee Gu' } });
    const read = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${submitted.body.id}`, { as: 'lee@contoso.test' });
    const { '@odata.context': _context, ...stage } = decided.body;
    expect(read.body.stages[0]).toEqual(stage);
    // A refusal stays a refusal.
    const again = await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${submitted.body.id}/stages/${stageId}`, { as: 'lee@contoso.test', body: { reviewResult: 'Approve' }, headers: { prefer: 'return=representation' } });
    expect(again.status).toBe(409);
  });
});
