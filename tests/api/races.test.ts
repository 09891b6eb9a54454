import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { stageTimerKinds } from '../../bot/commands/approvals/requestFlow';
import { processRequestTimer } from '../../bot/commands/requests/submitAddRequest';
import { demo } from '../../bot/seed/tenant';
import { openStore, Store } from '../../bot/store/db';
import type { Database } from '../../bot/store/schema';
import { startServerProcess, ServerProcess } from '../helpers/process';
import {
  admin,
  approval,
  buildRequestablePackage,
  graphAt,
  inBatches,
  newPartnerTenant,
  partnerAccounts,
  selfAdd,
  singleUser,
  stage,
  submit,
  waitFor,
} from '../helpers/requests';
import { dropTestDatabase, em, startTestServer, TestServer, testDatabaseUrl } from '../helpers/server';

/**
 * Races are settled by the database (DESIGN §10): two approvers deciding one stage at the same
 * moment, a cancel racing the processing or a decision, and two server processes on one database
 * whose timers fall due together. Each outcome must happen exactly once.
 */

/** A configured connected organization of its own, created through the API; returns its id. */
async function connectOrganization(graph: TestServer['graph'] | ReturnType<typeof graphAt>, tenantId: string, name: string): Promise<string> {
  const res = await graph('POST', `${em}/connectedOrganizations`, {
    as: admin,
    body: { displayName: name, state: 'configured', identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId, displayName: name }] },
  });
  if (res.status !== 201) throw new Error(`connectedOrganizations: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const organizationScope = (connectedOrganizationId: string) => ({
  allowedTargetScope: 'specificConnectedOrganizationUsers',
  specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId }],
});

const count = async (db: Kysely<Database>, table: 'outbox_events', where: { type: string; subjectIds: string[] }) =>
  db.selectFrom(table).select(['subjectId']).where('type', '=', where.type).where('subjectId', 'in', where.subjectIds).execute();

/** How many rows each id has in `rows` (ids without rows count 0). */
function tally(ids: readonly string[], rows: ReadonlyArray<Record<string, unknown>>, key: string): Map<string, number> {
  const counts = new Map(ids.map((id) => [id, 0]));
  for (const row of rows) counts.set(row[key] as string, (counts.get(row[key] as string) ?? 0) + 1);
  return counts;
}

function expectEachOnce(what: string, counts: Map<string, number>): void {
  const wrong = [...counts].filter(([, n]) => n !== 1);
  expect({ what, wrong }).toEqual({ what, wrong: [] });
}

describe('races in one server', () => {
  let server: TestServer;
  let db: Kysely<Database>;
  let tenant: { tenantId: string; domain: string };
  let organizationId: string;
  const clock = { t: Date.parse('2026-01-05T09:00:00Z'), now() { return new Date(this.t); } };
  const run = () => server.portier.jobs.runOnce();

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    db = server.portier.store.db;
    tenant = newPartnerTenant();
    organizationId = await connectOrganization(server.graph, tenant.tenantId, 'Races Inc');
  });
  afterAll(() => server.close());

  it('two approvers deciding one stage at the same moment, 100 times: one 204 and one 409 each, one assignment each', async () => {
    const pkg = await buildRequestablePackage(server, {
      policy: { ...organizationScope(organizationId), requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id), singleUser(demo.users.adele.id)])]) },
    });
    const partners = await partnerAccounts(db, 100, tenant);
    const requestIds = await inBatches(partners, 10, (upn) => submit(server, upn, pkg.packageId));
    await run();
    const stages = await db.selectFrom('approval_stages').select(['id', 'requestId', 'status']).where('requestId', 'in', requestIds).execute();
    expect(stages).toHaveLength(100);
    expect(stages.every((s) => s.status === 'InProgress')).toBe(true);
    const stageOf = new Map(stages.map((s) => [s.requestId, s.id]));

    const decideAs = (as: string, requestId: string) =>
      server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${requestId}/stages/${stageOf.get(requestId)}`, { as, body: { reviewResult: 'Approve', justification: `by ${as}` } });
    // Every pair at once: 200 concurrent decisions.
    const outcomes = await Promise.all(
      requestIds.map(async (requestId) => {
        const [lee, adele] = await Promise.all([decideAs('lee@contoso.test', requestId), decideAs('adele@contoso.test', requestId)]);
        return { requestId, lee: lee.status, adele: adele.status, conflict: (lee.status === 409 ? lee : adele).body?.error?.code };
      }),
    );
    const unexpected = outcomes.filter((o) => [o.lee, o.adele].sort().join() !== '204,409');
    expect(unexpected).toEqual([]);
    expect(new Set(outcomes.map((o) => o.conflict))).toEqual(new Set(['ApprovalStageAlreadyDecided']));

    // The recorded decision is the winner's.
    const decided = await db.selectFrom('approval_stages').select(['requestId', 'reviewedById', 'justification', 'reviewResult']).where('requestId', 'in', requestIds).execute();
    for (const row of decided) {
      const outcome = outcomes.find((o) => o.requestId === row.requestId)!;
      const winner = outcome.lee === 204 ? demo.users.lee.id : demo.users.adele.id;
      expect({ requestId: row.requestId, reviewedById: row.reviewedById, reviewResult: row.reviewResult }).toEqual({ requestId: row.requestId, reviewedById: winner, reviewResult: 'Approve' });
    }

    await run();
    const requests = await db.selectFrom('assignment_requests').select(['id', 'state']).where('id', 'in', requestIds).execute();
    expect(requests.filter((r) => r.state !== 'delivered')).toEqual([]);
    const assignments = await db.selectFrom('assignments').select(['id', 'requestId', 'state']).where('accessPackageId', '=', pkg.packageId).execute();
    expectEachOnce('assignments per request', tally(requestIds, assignments, 'requestId'));
    const assignmentIds = assignments.map((a) => a.id);
    expectEachOnce('grants per assignment', tally(assignmentIds, await db.selectFrom('assignment_grants').select('assignmentId').where('assignmentId', 'in', assignmentIds).execute(), 'assignmentId'));
    expectEachOnce('decided events per request', tally(requestIds, await count(db, 'outbox_events', { type: 'approval.decided', subjectIds: requestIds }), 'subjectId'));
    expectEachOnce('delivered events per assignment', tally(assignmentIds, await count(db, 'outbox_events', { type: 'assignment.delivered', subjectIds: assignmentIds }), 'subjectId'));
    expect(await db.selectFrom('group_members').select('memberId').where('groupId', '=', pkg.groupId).execute()).toHaveLength(100);
  }, 60_000);

  it('a cancel racing the processing, 40 times: every cancel succeeds and nothing is left pending', async () => {
    const pkg = await buildRequestablePackage(server, {
      policy: { ...organizationScope(organizationId), requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) },
    });
    const partners = await partnerAccounts(db, 40, tenant);
    // Each submission wakes the runner, which processes it while the cancel comes in.
    const results = await inBatches(partners, 8, async (upn) => {
      const id = await submit(server, upn, pkg.packageId);
      const cancel = await server.graph('POST', `${em}/assignmentRequests/${id}/cancel`, { as: upn });
      return { id, status: cancel.status };
    });
    expect(results.filter((r) => r.status !== 204)).toEqual([]);
    await run();
    const ids = results.map((r) => r.id);
    const states = await db.selectFrom('assignment_requests').select(['state', 'openKey']).where('id', 'in', ids).execute();
    expect(states.every((r) => r.state === 'canceled' && r.openKey === null)).toBe(true);
    expect(await db.selectFrom('approval_stages').select('id').where('requestId', 'in', ids).where('status', '=', 'InProgress').execute()).toEqual([]);
    const stageIds = (await db.selectFrom('approval_stages').select('id').where('requestId', 'in', ids).execute()).map((s) => s.id);
    const timers = await db.selectFrom('timers').select(['kind', 'subjectId']).where('subjectId', 'in', [...ids, ...stageIds, 'none']).execute();
    expect(timers).toEqual([]);
    expect(await db.selectFrom('assignments').select('id').where('accessPackageId', '=', pkg.packageId).execute()).toEqual([]);
  }, 60_000);

  it('a cancel racing an approval, 40 times: exactly one wins, and the request ends as the winner says', async () => {
    const pkg = await buildRequestablePackage(server, {
      policy: { ...organizationScope(organizationId), requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) },
    });
    const partners = await partnerAccounts(db, 40, tenant);
    const ids = await inBatches(partners, 10, (upn) => submit(server, upn, pkg.packageId));
    await run();
    const stages = new Map((await db.selectFrom('approval_stages').select(['id', 'requestId']).where('requestId', 'in', ids).execute()).map((s) => [s.requestId, s.id]));
    const outcomes = await Promise.all(
      ids.map(async (id, i) => {
        const [cancel, decision] = await Promise.all([
          server.graph('POST', `${em}/assignmentRequests/${id}/cancel`, { as: partners[i] }),
          server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${id}/stages/${stages.get(id)}`, { as: 'lee@contoso.test', body: { reviewResult: 'Approve' } }),
        ]);
        return { id, cancel: cancel.status, decision: decision.status };
      }),
    );
    expect(outcomes.filter((o) => [o.cancel, o.decision].sort().join() !== '204,409')).toEqual([]);
    await run();
    const rows = await db.selectFrom('assignment_requests').select(['id', 'state', 'assignmentId']).where('id', 'in', ids).execute();
    for (const row of rows) {
      const outcome = outcomes.find((o) => o.id === row.id)!;
      if (outcome.cancel === 204) expect({ id: row.id, state: row.state, assignmentId: row.assignmentId }).toEqual({ id: row.id, state: 'canceled', assignmentId: null });
      else expect({ id: row.id, state: row.state }).toEqual({ id: row.id, state: 'delivered' });
    }
    const assignments = await db.selectFrom('assignments').select('requestId').where('accessPackageId', '=', pkg.packageId).execute();
    expect(assignments).toHaveLength(outcomes.filter((o) => o.decision === 204).length);
  }, 60_000);

  it('decisions racing the automatic denial, 40 times: each request is either approved or expired, never both', async () => {
    const pkg = await buildRequestablePackage(server, {
      policy: { ...organizationScope(organizationId), requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)], { durationBeforeAutomaticDenial: 'PT10M' })]) },
    });
    const partners = await partnerAccounts(db, 40, tenant);
    const ids = await inBatches(partners, 10, (upn) => submit(server, upn, pkg.packageId));
    await run();
    const stages = new Map((await db.selectFrom('approval_stages').select(['id', 'requestId']).where('requestId', 'in', ids).execute()).map((s) => [s.requestId, s.id]));
    clock.t += 10 * 60_000;
    // The runner denies the 40 one after the other while Lee approves them one after the other, in
    // the opposite order: they meet half-way.
    const decisions: Array<{ status: number }> = new Array(ids.length);
    await Promise.all([
      run(),
      (async () => {
        for (let i = ids.length - 1; i >= 0; i--) {
          decisions[i] = await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${ids[i]}/stages/${stages.get(ids[i])}`, { as: 'lee@contoso.test', body: { reviewResult: 'Approve' } });
        }
      })(),
    ]);
    expect(decisions.filter((d) => d.status !== 204 && d.status !== 409)).toEqual([]);
    await run();
    const rows = await db.selectFrom('assignment_requests').select(['id', 'state', 'status']).where('id', 'in', ids).execute();
    const expired = await count(db, 'outbox_events', { type: 'assignmentRequest.expired', subjectIds: ids });
    const decided = await count(db, 'outbox_events', { type: 'approval.decided', subjectIds: ids });
    for (const [i, id] of ids.entries()) {
      const row = rows.find((r) => r.id === id)!;
      const outcome = decisions[i].status === 204 ? { state: 'delivered', status: 'Delivered', expired: 0, decided: 1 } : { state: 'denied', status: 'Expired', expired: 1, decided: 0 };
      expect({ id, state: row.state, status: row.status, expired: expired.filter((e) => e.subjectId === id).length, decided: decided.filter((e) => e.subjectId === id).length }).toEqual({ id, ...outcome });
    }
  }, 60_000);

  it('partners of one unknown domain requesting at once get one proposed organization', async () => {
    const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allExternalUsers' } });
    const unknown = newPartnerTenant();
    const partners = await partnerAccounts(db, 20, unknown);
    await Promise.all(partners.map((upn) => server.token(upn)));
    const results = await Promise.all(partners.map((upn) => server.graph('POST', `${em}/assignmentRequests`, { as: upn, body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } } })));
    expect(results.map((r) => r.status)).toEqual(partners.map(() => 201));
    const sources = await db.selectFrom('connected_organization_sources').select('connectedOrganizationId').where('value', 'in', [unknown.domain, unknown.tenantId.toLowerCase()]).execute();
    const organizations = await db.selectFrom('connected_organizations').select(['id', 'state']).where('displayName', '=', unknown.domain).execute();
    expect(organizations).toEqual([{ id: sources[0].connectedOrganizationId, state: 'proposed' }]);
    const subjects = await db.selectFrom('subjects').select('connectedOrganizationId').where('homeTenantId', '=', unknown.tenantId).execute();
    expect(subjects).toHaveLength(20);
    expect(new Set(subjects.map((s) => s.connectedOrganizationId))).toEqual(new Set([organizations[0].id]));
  }, 60_000);
});

/**
 * Two Portier processes on one database (one PostgreSQL schema, or one SQLite file), each running
 * its own job runner every 50 ms: 200 requests are processed, reminded and denied automatically by
 * whichever process claims each timer first — and each timer's work happens exactly once.
 */
describe('two server processes on one database', () => {
  const url = testDatabaseUrl();
  let store: Store;
  const processes: ServerProcess[] = [];

  beforeAll(async () => {
    const env = { DATABASE_URL: url, PORTIER_SEED: 'demo', AUTH_MODE: 'dev', PORTIER_JOB_INTERVAL_MS: '50' };
    processes.push(await startServerProcess(env));
    processes.push(await startServerProcess(env));
    store = await openStore(url);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await store?.close();
    await dropTestDatabase(url);
  });

  it('fire each of many due timers exactly once', async () => {
    const [a, b] = processes.map((p) => graphAt(p.url));
    const db = store.db;
    const tenant = newPartnerTenant();
    const organizationId = await connectOrganization(a, tenant.tenantId, 'Two processes Ltd');

    // A package, through process A.
    const catalog = await a('POST', `${em}/catalogs`, { as: admin, body: { displayName: `Races ${randomUUID()}`, isExternallyVisible: true } });
    const pkg = await a('POST', `${em}/accessPackages`, { as: admin, body: { displayName: 'Two processes', catalog: { id: catalog.body.id } } });
    const policy = await a('POST', `${em}/assignmentPolicies`, {
      as: admin,
      body: {
        displayName: 'Partners, approved by Lee',
        accessPackage: { id: pkg.body.id },
        ...organizationScope(organizationId),
        requestorSettings: selfAdd,
        requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)], { durationBeforeAutomaticDenial: 'PT1H' })]),
      },
    });
    expect([catalog.status, pkg.status, policy.status]).toEqual([201, 201, 201]);

    // 200 partners submit, half through each process; processing timers are due at once.
    const partners = await partnerAccounts(db, 200, tenant);
    const submitted = await inBatches(partners, 16, async (upn, i) => {
      const res = await (i % 2 === 0 ? a : b)('POST', `${em}/assignmentRequests`, { as: upn, body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.body.id } } });
      if (res.status !== 201) throw new Error(`submit ${upn}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    });
    const ids = submitted;
    const pendingCount = async () => Number((await db.selectFrom('assignment_requests').select((eb) => eb.fn.countAll().as('n')).where('id', 'in', ids).where('state', '=', 'pendingApproval').executeTakeFirstOrThrow()).n);
    await waitFor('all 200 requests pending approval', async () => (await pendingCount()) === 200);

    // Then every reminder, and after them every automatic denial, falls due at the same moment in both processes.
    const stageIds = (await db.selectFrom('approval_stages').select('id').where('requestId', 'in', ids).execute()).map((s) => s.id);
    const due = new Date(Date.now() - 1000).toISOString();
    await db.updateTable('timers').set({ dueAt: due }).where('kind', '=', stageTimerKinds.remind).where('subjectId', 'in', stageIds).execute();
    const remindersOf = () => db.selectFrom('outbox_events').select('subjectId').where('type', '=', 'approval.reminder').where('subjectId', 'in', ids).execute();
    await waitFor('200 reminders', async () => (await db.selectFrom('timers').select('id').where('kind', '=', stageTimerKinds.remind).where('subjectId', 'in', stageIds).execute()).length === 0);
    await db.updateTable('timers').set({ dueAt: due }).where('kind', '=', stageTimerKinds.autoDeny).where('subjectId', 'in', stageIds).execute();
    await waitFor('all 200 requests denied', async () => Number((await db.selectFrom('assignment_requests').select((eb) => eb.fn.countAll().as('n')).where('id', 'in', ids).where('state', '=', 'denied').executeTakeFirstOrThrow()).n) === 200);
    // Let both runners pass once more over anything left behind.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const requests = await db.selectFrom('assignment_requests').select(['id', 'state', 'status']).where('id', 'in', ids).execute();
    expect(requests.filter((r) => r.status !== 'Expired')).toEqual([]);
    expectEachOnce('stages per request', tally(ids, await db.selectFrom('approval_stages').select('requestId').where('requestId', 'in', ids).execute(), 'requestId'));
    expectEachOnce('approvers per request', tally(ids, await db.selectFrom('approval_stage_approvers').select('requestId').where('requestId', 'in', ids).execute(), 'requestId'));
    for (const type of ['assignmentRequest.submitted', 'approval.stageStarted', 'approval.reminder', 'assignmentRequest.expired']) {
      expectEachOnce(`${type} events per request`, tally(ids, await count(db, 'outbox_events', { type, subjectIds: ids }), 'subjectId'));
    }
    expect((await remindersOf()).length).toBe(200);
    const audits = await db.selectFrom('directory_audits').select(['targetResources']).where('activityDisplayName', '=', 'Access package assignment request expired').execute();
    const auditedIds = audits.flatMap((row) => (JSON.parse(row.targetResources) as Array<{ id: string; type: string }>).filter((t) => t.type === 'AccessPackageAssignmentRequest').map((t) => t.id)).filter((id) => ids.includes(id));
    expectEachOnce('expiry audits per request', tally(ids, auditedIds.map((id) => ({ id })), 'id'));
    // No timer of these requests is left, and every event reached the notifier once.
    expect(await db.selectFrom('timers').select(['kind']).where('subjectId', 'in', [...ids, ...stageIds]).where('kind', 'in', [processRequestTimer, ...Object.values(stageTimerKinds)]).execute()).toEqual([]);
    const eventIds = (await db.selectFrom('outbox_events').select('id').where('subjectId', 'in', ids).execute()).map((e) => e.id);
    await waitFor('every event handled', async () => (await db.selectFrom('outbox_deliveries').select('eventId').where('eventId', 'in', eventIds).where('state', '!=', 'done').execute()).length === 0);
    expectEachOnce('notifier deliveries per event', tally(eventIds, await db.selectFrom('outbox_deliveries').select('eventId').where('eventId', 'in', eventIds).where('consumer', '=', 'notifier').execute(), 'eventId'));
  }, 120_000);
});
