import type { Kysely } from 'kysely';
import { demo } from '../../bot/seed/tenant';
import { openStore, Store } from '../../bot/store/db';
import type { Database } from '../../bot/store/schema';
import { addGroupRequestBody, groupBody } from '../helpers/factories';
import { startServerProcess, ServerProcess } from '../helpers/process';
import { admin, approval, GraphCall, graphAt, inBatches, newPartnerTenant, partnerAccounts, selfAdd, singleUser, stage, waitFor } from '../helpers/requests';
import { dropTestDatabase, em, testDatabaseUrl } from '../helpers/server';

/**
 * A crash (issue 3, "Tested"): a Portier process is killed with SIGKILL while requests are being
 * approved and delivered; a new process starts on the same database. After it settles nothing was
 * lost and nothing happened twice: every approved request is delivered once, every role granted
 * once, every event handed to the notifier once, every notice written once.
 */
describe('a server process killed while requests are approved and delivered', () => {
  const url = testDatabaseUrl();
  const env = { DATABASE_URL: url, PORTIER_SEED: 'demo', AUTH_MODE: 'dev', PORTIER_JOB_INTERVAL_MS: '20' };
  const partnersCount = 120;
  let first: ServerProcess | undefined;
  let second: ServerProcess | undefined;
  let store: Store;
  let db: Kysely<Database>;

  beforeAll(async () => {
    first = await startServerProcess(env);
    store = await openStore(url);
    db = store.db;
  }, 60_000);
  afterAll(async () => {
    await first?.stop('SIGKILL');
    await second?.stop();
    await store?.close();
    await dropTestDatabase(url);
  });

  async function expectCreated(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
    const { status, body } = await res;
    if (status !== 201) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** A package granting Member of two new groups to partners of a new organization, approved by Lee. */
  async function buildPackage(graph: GraphCall, tenantId: string) {
    const organization = await expectCreated(
      graph('POST', `${em}/connectedOrganizations`, {
        as: admin,
        body: { displayName: 'Crash test partner', state: 'configured', identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId, displayName: 'Crash test partner' }] },
      }),
      'connected organization',
    );
    const catalog = await expectCreated(graph('POST', `${em}/catalogs`, { as: admin, body: { displayName: 'Crash test', isExternallyVisible: true } }), 'catalog');
    const pkg = await expectCreated(graph('POST', `${em}/accessPackages`, { as: admin, body: { displayName: 'Crash test package', catalog: { id: catalog.id } } }), 'package');
    const groupIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const group = await expectCreated(graph('POST', 'groups', { as: admin, body: groupBody() }), 'group');
      await expectCreated(graph('POST', `${em}/resourceRequests`, { as: admin, body: addGroupRequestBody(catalog.id, group.id) }), 'resource');
      const resource = (await graph('GET', `${em}/catalogs/${catalog.id}/resources?$filter=originId eq '${group.id}'`, { as: admin })).body.value[0];
      await expectCreated(
        graph('POST', `${em}/accessPackages/${pkg.id}/resourceRoleScopes`, {
          as: admin,
          body: { role: { originId: `Member_${group.id}`, originSystem: 'AadGroup', resource: { id: resource.id } }, scope: { originId: group.id, originSystem: 'AadGroup' } },
        }),
        'role scope',
      );
      groupIds.push(group.id);
    }
    await expectCreated(
      graph('POST', `${em}/assignmentPolicies`, {
        as: admin,
        body: {
          displayName: 'Crash test partners',
          accessPackage: { id: pkg.id },
          allowedTargetScope: 'specificConnectedOrganizationUsers',
          specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: organization.id }],
          requestorSettings: selfAdd,
          requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)], { durationBeforeAutomaticDenial: 'P1D' })]),
        },
      }),
      'policy',
    );
    return { packageId: pkg.id as string, groupIds };
  }

  const countWhere = async (ids: string[], state: string) =>
    Number((await db.selectFrom('assignment_requests').select((eb) => eb.fn.countAll().as('n')).where('id', 'in', ids).where('state', '=', state).executeTakeFirstOrThrow()).n);

  it('loses no event, handles none twice, and grants no role twice', async () => {
    const graph = graphAt(first!.url);
    const tenant = newPartnerTenant();
    const { packageId, groupIds } = await buildPackage(graph, tenant.tenantId);
    const partners = await partnerAccounts(db, partnersCount, tenant);
    const ids = await inBatches(partners, 16, async (upn) => {
      const res = await expectCreated(graph('POST', `${em}/assignmentRequests`, { as: upn, body: { requestType: 'userAdd', assignment: { accessPackageId: packageId } } }), `request of ${upn}`);
      return res.id as string;
    });
    await waitFor('every request pending approval', async () => (await countWhere(ids, 'pendingApproval')) === ids.length);
    const stageOf = new Map((await db.selectFrom('approval_stages').select(['id', 'requestId']).where('requestId', 'in', ids).execute()).map((s) => [s.requestId, s.id]));

    // Lee approves half, then the other half all at once; the process dies when a quarter of the
    // second half is answered, with approvals in flight and the deliveries of the first half
    // (guest invitations, group memberships, notices) running behind them.
    const decide = (call: GraphCall, id: string) => call('PATCH', `${em}/accessPackageAssignmentApprovals/${id}/stages/${stageOf.get(id)}`, { as: 'lee@contoso.test', body: { reviewResult: 'Approve' } });
    const [firstHalf, secondHalf] = [ids.slice(0, ids.length / 2), ids.slice(ids.length / 2)];
    expect(await inBatches(firstHalf, 24, async (id) => (await decide(graph, id)).status)).toEqual(firstHalf.map(() => 204));
    let answered = 0;
    let killed: Promise<number | null> | undefined;
    const firstRound = await inBatches(secondHalf, 24, async (id) => {
      const { status } = await decide(graph, id);
      answered += 1;
      if (answered === secondHalf.length / 4) killed = first!.stop('SIGKILL');
      return status;
    });
    expect(await killed).toBeNull();
    first = undefined;
    expect(firstRound.filter((s) => s === 204).length).toBeGreaterThanOrEqual(secondHalf.length / 4);
    expect(firstRound.filter((s) => s === 0).length).toBeGreaterThan(0);
    expect(firstRound.filter((s) => s !== 204 && s !== 0)).toEqual([]);
    expect(await countWhere(ids, 'delivered')).toBeLessThan(ids.length);
    // The dead process's claims would run out after their lease (a minute); end them now instead of waiting.
    const now = new Date().toISOString();
    await db.updateTable('timers').set({ leaseUntil: now }).where('leaseOwner', 'is not', null).execute();
    await db.updateTable('outbox_deliveries').set({ leaseUntil: now }).where('leaseOwner', 'is not', null).where('state', '=', 'pending').execute();

    // A new process on the same database; Lee approves what is still waiting.
    second = await startServerProcess(env);
    const graph2 = graphAt(second.url);
    const undecided = (await db.selectFrom('approval_stages').select('requestId').where('requestId', 'in', ids).where('status', '=', 'InProgress').execute()).map((s) => s.requestId);
    expect(undecided.length).toBeGreaterThan(0);
    const secondRound = await inBatches(undecided, 16, async (id) => (await graph2('PATCH', `${em}/accessPackageAssignmentApprovals/${id}/stages/${stageOf.get(id)}`, { as: 'lee@contoso.test', body: { reviewResult: 'Approve' } })).status);
    expect(secondRound.filter((s) => s !== 204)).toEqual([]);

    await waitFor('every request delivered', async () => (await countWhere(ids, 'delivered')) === ids.length, 45_000);
    await waitFor('every event handled', async () => (await db.selectFrom('outbox_deliveries').select('eventId').where('state', '!=', 'done').execute()).length === 0, 30_000);

    // Every approved request delivered exactly once, every role granted once.
    const assignments = await db.selectFrom('assignments').select(['id', 'requestId', 'state', 'targetId']).where('accessPackageId', '=', packageId).execute();
    expect(assignments).toHaveLength(ids.length);
    expect(new Set(assignments.map((a) => a.requestId)).size).toBe(ids.length);
    expect(assignments.every((a) => a.state === 'delivered')).toBe(true);
    const assignmentIds = assignments.map((a) => a.id);
    const grants = await db.selectFrom('assignment_grants').select(['assignmentId', 'roleOriginId', 'state', 'userId']).where('assignmentId', 'in', assignmentIds).execute();
    expect(grants).toHaveLength(ids.length * 2);
    expect(new Set(grants.map((g) => `${g.assignmentId}|${g.roleOriginId}`)).size).toBe(grants.length);
    expect(grants.every((g) => g.state === 'granted')).toBe(true);
    // One guest per partner, a member of each group once.
    const guests = await db.selectFrom('users').select(['id', 'homeObjectId']).where('homeTenantId', '=', tenant.tenantId).execute();
    expect(guests).toHaveLength(ids.length);
    for (const groupId of groupIds) {
      const members = await db.selectFrom('group_members').select('memberId').where('groupId', '=', groupId).execute();
      expect(members).toHaveLength(ids.length);
      expect(new Set(members.map((m) => m.memberId))).toEqual(new Set(guests.map((g) => g.id)));
    }

    // Each event once: one per step of each request, nothing lost, nothing doubled.
    const events = await db.selectFrom('outbox_events').select(['id', 'type', 'subjectId', 'payload']).where('subjectId', 'in', [...ids, ...assignmentIds]).execute();
    const perType = (type: string) => events.filter((e) => e.type === type).map((e) => e.subjectId);
    for (const type of ['assignmentRequest.submitted', 'approval.stageStarted', 'approval.decided']) {
      const subjects = perType(type);
      expect({ type, events: subjects.length, distinct: new Set(subjects).size }).toEqual({ type, events: ids.length, distinct: ids.length });
    }
    const delivered = perType('assignment.delivered');
    expect({ events: delivered.length, distinct: new Set(delivered).size }).toEqual({ events: ids.length, distinct: ids.length });
    expect(perType('assignment.deliveryFailed')).toEqual([]);

    // The notifier handled every event exactly once and wrote each notice once.
    const deliveries = await db.selectFrom('outbox_deliveries').select(['eventId', 'consumer', 'state']).where('eventId', 'in', events.map((e) => e.id)).execute();
    expect(deliveries).toHaveLength(events.length);
    expect(deliveries.every((d) => d.consumer === 'notifier' && d.state === 'done')).toBe(true);
    const notices = await db.selectFrom('notifications').select(['eventId', 'recipientId', 'eventType']).where('eventId', 'in', events.map((e) => e.id)).execute();
    expect(new Set(notices.map((n) => `${n.eventId}|${n.recipientId}`)).size).toBe(notices.length);
    const noticed = new Set(notices.map((n) => n.eventId));
    expect(events.filter((e) => !noticed.has(e.id)).map((e) => e.type)).toEqual([]);
    expect(notices.filter((n) => n.eventType === 'approval.stageStarted').every((n) => n.recipientId === demo.users.lee.id)).toBe(true);
    const guestIds = new Set(guests.map((g) => g.id));
    const deliveredNotices = notices.filter((n) => n.eventType === 'assignment.delivered');
    expect(deliveredNotices).toHaveLength(ids.length);
    expect(deliveredNotices.every((n) => guestIds.has(n.recipientId))).toBe(true);

    // And the audit trail has each delivery once.
    const audits = await db.selectFrom('directory_audits').select('targetResources').where('activityDisplayName', '=', 'Access package assignment delivered').execute();
    const auditedAssignments = audits.flatMap((a) => (JSON.parse(a.targetResources) as Array<{ id: string; type: string }>).filter((t) => t.type === 'AccessPackageAssignment').map((t) => t.id));
    expect(auditedAssignments.filter((id) => assignmentIds.includes(id)).sort()).toEqual([...assignmentIds].sort());
  }, 120_000);
});
