import { demo } from '../../bot/seed/tenant';
import { em, TestServer } from './server';

/**
 * The demo's request flow over HTTP, for tests that need an assignment to exist (or to end): a
 * Fabrikam partner requests the hidden package with a justification and an answer, an approver
 * approves, delivery runs. Each step fails loudly when the API refuses.
 */
export interface DemoPackage {
  packageId: string;
  policyId: string;
  questionId: string;
}

/** The hidden demo package, its policy and its required question, found by name. */
export async function demoPackage(server: TestServer): Promise<DemoPackage> {
  const db = server.portier.store.db;
  const pkg = await db.selectFrom('access_packages').select('id').where('displayName', '=', demo.packageName).executeTakeFirstOrThrow();
  const policy = await db.selectFrom('assignment_policies').select(['id', 'questions']).where('accessPackageId', '=', pkg.id).executeTakeFirstOrThrow();
  const [question] = JSON.parse(policy.questions) as Array<{ id: string }>;
  return { packageId: pkg.id, policyId: policy.id, questionId: question.id };
}

async function expectStatus(res: { status: number; body: unknown }, expected: number, what: string): Promise<void> {
  if (res.status !== expected) throw new Error(`${what}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
}

/** `as` requests the demo package for themselves; returns the request id (processing not run yet). */
export async function requestDemoPackage(server: TestServer, as: string, pkg: DemoPackage): Promise<string> {
  const res = await server.graph('POST', `${em}/assignmentRequests`, {
    as,
    body: {
      requestType: 'userAdd',
      assignment: { accessPackageId: pkg.packageId },
      justification: 'Work on Project Falcon',
      answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'Firmware', answeredQuestion: { id: pkg.questionId } }],
    },
  });
  await expectStatus(res, 201, `request by ${as}`);
  return res.body.id as string;
}

/** `approver` approves the stage in progress of `requestId` (processing must have run). */
export async function approve(server: TestServer, approver: string, requestId: string): Promise<void> {
  const stages = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${requestId}/stages`, { as: approver });
  await expectStatus(stages, 200, `approval stages of ${requestId} as ${approver}`);
  const stage = (stages.body.value as Array<{ id: string; status: string }>).find((s) => s.status === 'InProgress');
  if (!stage) throw new Error(`no stage in progress for ${requestId}: ${JSON.stringify(stages.body)}`);
  const res = await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${requestId}/stages/${stage.id}`, { as: approver, body: { reviewResult: 'Approve', justification: 'Known partner' } });
  await expectStatus(res, 204, `approval of ${requestId} by ${approver}`);
}

/**
 * `as` requests the package, `approver` approves, delivery runs: returns the delivered assignment
 * and the directory user it went to.
 */
export async function deliverDemoPackage(server: TestServer, as: string, approver: string, pkg: DemoPackage): Promise<{ requestId: string; assignmentId: string; userId: string }> {
  const requestId = await requestDemoPackage(server, as, pkg);
  await server.portier.jobs.runOnce();
  await approve(server, approver, requestId);
  await server.portier.jobs.runOnce();
  const db = server.portier.store.db;
  const request = await db.selectFrom('assignment_requests').select(['state', 'assignmentId', 'targetId']).where('id', '=', requestId).executeTakeFirstOrThrow();
  if (request.state !== 'delivered' || !request.assignmentId) throw new Error(`request ${requestId} not delivered: ${JSON.stringify(request)}`);
  const subject = await db.selectFrom('subjects').select('objectId').where('id', '=', request.targetId).executeTakeFirstOrThrow();
  if (!subject.objectId) throw new Error(`subject of ${requestId} has no directory user`);
  return { requestId, assignmentId: request.assignmentId, userId: subject.objectId };
}

/** An administrator removes `assignmentId` (`adminRemove`) and the removal is processed. */
export async function adminRemove(server: TestServer, assignmentId: string, as = 'admin@contoso.test'): Promise<void> {
  const res = await server.graph('POST', `${em}/assignmentRequests`, { as, body: { requestType: 'adminRemove', assignment: { id: assignmentId } } });
  await expectStatus(res, 201, `adminRemove of ${assignmentId}`);
  await server.portier.jobs.runOnce();
  const assignment = await server.portier.store.db.selectFrom('assignments').select(['state', 'activeKey']).where('id', '=', assignmentId).executeTakeFirstOrThrow();
  if (assignment.activeKey !== null) throw new Error(`assignment ${assignmentId} still active after adminRemove: ${JSON.stringify(assignment)}`);
}
