import { demo } from '../../bot/seed/tenant';
import { adminRemove, approve, deliverDemoPackage, demoPackage, DemoPackage, requestDemoPackage } from '../helpers/accessFlow';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * The notifier turns events into one notification per person who should hear of them, exactly once
 * (docs/EVENTS.md). Driven over HTTP; the test runs the jobs itself.
 */
const admin = 'admin@contoso.test';
const pradeep = 'pradeep@fabrikam.test';
const isabel = 'isabel@fabrikam.test';
const ruth = 'ruth@fabrikam.test';
const day = 24 * 3600 * 1000;

describe('notifier', () => {
  let server: TestServer;
  let pkg: DemoPackage;
  const clock = { t: 0, now() { return new Date(this.t); } };
  const db = () => server.portier.store.db;
  const runJobs = () => server.portier.jobs.runOnce();

  beforeEach(async () => {
    clock.t = Date.parse('2026-01-05T09:00:00Z');
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    // The test alone runs the jobs (no background pass woken by a submission), so what it reads is settled.
    await server.portier.jobs.stop();
    pkg = await demoPackage(server);
  });
  afterEach(() => server.close());

  /** Who a recipient id is, by display name: a directory user, or a partner's subject before they are a guest. */
  async function nameOf(recipientId: string): Promise<string> {
    const user = await db().selectFrom('users').select('displayName').where('id', '=', recipientId).executeTakeFirst();
    if (user) return user.displayName;
    const subject = await db().selectFrom('subjects').select('displayName').where('id', '=', recipientId).executeTakeFirst();
    return subject ? `${subject.displayName} (partner)` : `unknown ${recipientId}`;
  }

  /** The notifications of events of `type` about `subjectId`: name → roles. */
  async function notices(type: string, subjectId?: string): Promise<Record<string, string[]>> {
    let query = db().selectFrom('notifications').select(['recipientId', 'payload']).where('eventType', '=', type);
    if (subjectId) query = query.where('subjectId', '=', subjectId);
    const result: Record<string, string[]> = {};
    for (const row of await query.execute()) result[await nameOf(row.recipientId)] = (JSON.parse(row.payload) as { recipientRoles: string[] }).recipientRoles.sort();
    return result;
  }

  const pradeepName = demo.partners.pradeep.name;
  const isabelName = demo.partners.isabel.name;

  it('tells each person in the access flow what concerns them', async () => {
    const requestId = await requestDemoPackage(server, pradeep, pkg);
    await runJobs();
    // Pradeep is not a guest yet: he is addressed by his subject id.
    expect(await notices('assignmentRequest.submitted', requestId)).toEqual({ [`${pradeepName} (partner)`]: ['requestor', 'target'] });
    expect(await notices('approval.stageStarted', requestId)).toEqual({ [demo.ruthGuest.name]: ['approver'] });
    const submitted = await db().selectFrom('notifications').select(['recipientId', 'payload']).where('eventType', '=', 'assignmentRequest.submitted').executeTakeFirstOrThrow();
    const subject = await db().selectFrom('subjects').select(['id', 'objectId']).where('homeObjectId', '=', demo.partners.pradeep.id).executeTakeFirstOrThrow();
    expect(submitted.recipientId).toBe(subject.id);
    expect(JSON.parse(submitted.payload)).toMatchObject({ requestId, accessPackageId: pkg.packageId, targetId: subject.id, requestorId: subject.id, requestType: 'userAdd' });

    await approve(server, ruth, requestId);
    await runJobs();
    const stageDecided = await notices('approval.decided', requestId);
    expect(stageDecided[demo.ruthGuest.name]).toEqual(['approver']);
    expect(Object.keys(stageDecided)).toHaveLength(2);
    expect(Object.entries(stageDecided).find(([name]) => name.startsWith(pradeepName))?.[1]).toEqual(['requestor', 'target']);

    // Delivered: Pradeep is now a guest and is told at his directory account.
    const { assignmentId, objectId } = await db().selectFrom('assignment_requests as r').innerJoin('subjects as s', 's.id', 'r.targetId').select(['r.assignmentId', 's.objectId']).where('r.id', '=', requestId).executeTakeFirstOrThrow();
    expect(objectId).toBeTruthy();
    expect(await notices('assignment.delivered', assignmentId!)).toEqual({ [pradeepName]: ['target'] });
    const delivered = await db().selectFrom('notifications').select('recipientId').where('eventType', '=', 'assignment.delivered').executeTakeFirstOrThrow();
    expect(delivered.recipientId).toBe(objectId);

    await adminRemove(server, assignmentId!);
    // The administrator's own removal request is not news to them; Pradeep hears of it and of the removal.
    const removal = await db().selectFrom('assignment_requests').select('id').where('requestType', '=', 'adminRemove').executeTakeFirstOrThrow();
    expect(await notices('assignmentRequest.submitted', removal.id)).toEqual({ [pradeepName]: ['target'] });
    expect(await notices('assignment.removed', assignmentId!)).toEqual({ [pradeepName]: ['target'] });
    // Default settings block governed guests: the guest and the Fabrikam internal sponsor are warned.
    expect(await notices('guest.toBeBlocked', objectId!)).toEqual({ [pradeepName]: ['guest'], [demo.users.adele.name]: ['sponsor'] });
    // Nobody else heard of any of it.
    const everyone = await db().selectFrom('notifications').select('recipientId').distinct().execute();
    const names = new Set(await Promise.all(everyone.map((r) => nameOf(r.recipientId))));
    expect([...names].sort()).toEqual([demo.users.adele.name, demo.ruthGuest.name, pradeepName, `${pradeepName} (partner)`].sort());
  });

  it('tells the requestor of a denial, and approvers only see the decision', async () => {
    const requestId = await requestDemoPackage(server, isabel, pkg);
    await runJobs();
    const stages = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${requestId}/stages`, { as: ruth });
    expect((await server.graph('PATCH', `${em}/accessPackageAssignmentApprovals/${requestId}/stages/${stages.body.value[0].id}`, { as: ruth, body: { reviewResult: 'Deny', justification: 'Not on the project' } })).status).toBe(204);
    await runJobs();
    expect(await notices('approval.decided', requestId)).toEqual({ [demo.ruthGuest.name]: ['approver'] });
    expect(await notices('assignmentRequest.denied', requestId)).toEqual({ [`${isabelName} (partner)`]: ['requestor', 'target'] });
  });

  it('tells the catalog owners when nobody can approve', async () => {
    const fabrikam = await db().selectFrom('connected_organizations').select('id').where('displayName', '=', demo.fabrikam.name).executeTakeFirstOrThrow();
    expect((await server.graph('DELETE', `${em}/connectedOrganizations/${fabrikam.id}/externalSponsors/${demo.ruthGuest.id}/$ref`, { as: admin })).status).toBe(204);
    expect((await server.graph('DELETE', `users/${demo.users.lee.id}`, { as: admin })).status).toBe(204);
    const requestId = await requestDemoPackage(server, isabel, pkg);
    await runJobs();
    expect(await notices('approval.stageStarted', requestId)).toEqual({});
    expect(await notices('assignmentRequest.denied', requestId)).toEqual({ [`${isabelName} (partner)`]: ['requestor', 'target'], [demo.users.megan.name]: ['catalogOwner'] });
  });

  it('reminds the approvers, and tells them and the requestor when nobody decided in time', async () => {
    const requestId = await requestDemoPackage(server, isabel, pkg);
    await runJobs();
    clock.t += 7 * day; // half-way to the automatic denial after P14D
    await runJobs();
    expect(await notices('approval.reminder', requestId)).toEqual({ [demo.ruthGuest.name]: ['approver'] });
    clock.t += 7 * day;
    await runJobs();
    expect(await notices('assignmentRequest.expired', requestId)).toEqual({ [`${isabelName} (partner)`]: ['requestor', 'target'], [demo.ruthGuest.name]: ['approver'] });
  });

  it('notifies exactly once, however often the jobs run or a delivery is handed out again', async () => {
    const { assignmentId } = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await adminRemove(server, assignmentId);
    await runJobs();
    await runJobs();
    const count = async () => Number((await db().selectFrom('notifications').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    expect(before).toBeGreaterThanOrEqual(7);

    // Every event has one notifier delivery, handled; every notice is one row per event and person.
    const events = await db().selectFrom('outbox_events').select('id').execute();
    const deliveries = await db().selectFrom('outbox_deliveries').select(['eventId', 'state']).where('consumer', '=', 'notifier').execute();
    expect(deliveries).toHaveLength(events.length);
    expect(deliveries.every((d) => d.state === 'done')).toBe(true);
    const rows = await db().selectFrom('notifications').select(['eventId', 'recipientId']).execute();
    expect(new Set(rows.map((r) => `${r.eventId}|${r.recipientId}`)).size).toBe(rows.length);

    // A delivery handed out again (as after a lost lease) adds nothing.
    await db().updateTable('outbox_deliveries').set({ state: 'pending', handledDateTime: null, leaseOwner: null, leaseUntil: null }).where('consumer', '=', 'notifier').execute();
    const rerun = await runJobs();
    expect(rerun.deliveries).toBe(events.length);
    await runJobs();
    expect(await count()).toBe(before);
  });
});
