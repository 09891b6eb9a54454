import { demo } from '../../bot/seed/tenant';
import { adminRemove, deliverDemoPackage, demoPackage, DemoPackage, requestDemoPackage, approve } from '../helpers/accessFlow';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * External user lifecycle (DESIGN §1 step 12, §5): a governed guest whose last assignment ends is
 * warned, blocked after the warning period, and deleted after the configured delay; a guest who gets
 * access again in time is kept; `none` and notGoverned guests are left alone. Over HTTP, with the
 * clock moved by the test and the jobs run by the test.
 */
const admin = 'admin@contoso.test';
const adele = 'adele@contoso.test';
const pradeep = 'pradeep@fabrikam.test';
const ruth = 'ruth@fabrikam.test';
const hour = 3600 * 1000;
const day = 24 * hour;

describe('external user lifecycle', () => {
  let server: TestServer;
  let pkg: DemoPackage;
  const clock = { t: 0, now() { return new Date(this.t); } };
  const db = () => server.portier.store.db;
  const runJobs = () => server.portier.jobs.runOnce();
  const advance = async (ms: number) => {
    clock.t += ms;
    await runJobs();
  };

  beforeEach(async () => {
    clock.t = Date.parse('2026-01-05T09:00:00Z');
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    // The test alone runs the jobs (no background pass woken by a submission), so what it reads is settled.
    await server.portier.jobs.stop();
    pkg = await demoPackage(server);
  });
  afterEach(() => server.close());

  async function setLifecycle(action: string, duration: string): Promise<void> {
    const res = await server.graph('PATCH', `${em}/settings`, { as: admin, body: { externalUserLifecycleAction: action, durationUntilExternalUserDeletedAfterBlocked: duration } });
    expect(res.status).toBe(204);
  }

  const guestEvents = (userId: string) => db().selectFrom('outbox_events').selectAll().where('subjectId', '=', userId).where('type', 'like', 'guest.%').orderBy('createdDateTime').execute();
  const guestTimers = (userId: string) => db().selectFrom('timers').select(['kind', 'dueAt']).where('subjectId', '=', userId).where('kind', 'like', 'guest.%').orderBy('dueAt').execute();
  async function notified(type: string, userId: string): Promise<Array<{ recipientId: string; roles: string[] }>> {
    const rows = await db().selectFrom('notifications').select(['recipientId', 'payload']).where('eventType', '=', type).where('subjectId', '=', userId).execute();
    return rows.map((r) => ({ recipientId: r.recipientId, roles: (JSON.parse(r.payload) as { recipientRoles: string[] }).recipientRoles })).sort((a, b) => a.recipientId.localeCompare(b.recipientId));
  }
  const guestAndSponsor = (userId: string) =>
    [
      { recipientId: userId, roles: ['guest'] },
      { recipientId: demo.users.adele.id, roles: ['sponsor'] },
    ].sort((a, b) => a.recipientId.localeCompare(b.recipientId));

  it('blockSignIn: warns the guest and the sponsors, blocks after the warning period, never deletes', async () => {
    await setLifecycle('blockSignIn', 'PT2H'); // warning period: half of 2 hours
    const { assignmentId, userId } = await deliverDemoPackage(server, pradeep, ruth, pkg);
    expect((await server.graph('GET', 'me', { as: pradeep })).body.id).toBe(userId);

    const removedAt = clock.t;
    await adminRemove(server, assignmentId);
    const [warning] = await guestEvents(userId);
    expect(warning.type).toBe('guest.toBeBlocked');
    expect(JSON.parse(warning.payload)).toEqual({
      userId,
      displayName: demo.partners.pradeep.name,
      sponsorIds: [demo.users.adele.id],
      blockDateTime: new Date(removedAt + hour).toISOString(),
      action: 'blockSignIn',
    });
    expect(await notified('guest.toBeBlocked', userId)).toEqual(guestAndSponsor(userId));
    expect(await guestTimers(userId)).toEqual([{ kind: 'guest.block', dueAt: new Date(removedAt + hour).toISOString() }]);

    // Still in the warning period: the guest signs in as before.
    await advance(hour - 1000);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(200);

    await advance(1000);
    const me = await server.graph('GET', 'me', { as: pradeep });
    expect(me.status).toBe(401);
    const user = await server.graph('GET', `users/${userId}?$select=id,accountEnabled`, { as: admin });
    expect(user.body.accountEnabled).toBe(false);
    expect((await db().selectFrom('users').select('blockedDateTime').where('id', '=', userId).executeTakeFirstOrThrow()).blockedDateTime).toBe(new Date(removedAt + hour).toISOString());
    const blocked = (await guestEvents(userId)).find((e) => e.type === 'guest.blocked');
    expect(JSON.parse(blocked!.payload)).toMatchObject({ userId, sponsorIds: [demo.users.adele.id], deleteDateTime: null });
    expect(await notified('guest.blocked', userId)).toEqual(guestAndSponsor(userId));
    const audit = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq 'Disable account'`, { as: admin });
    expect(audit.body.value).toHaveLength(1);
    expect(audit.body.value[0]).toMatchObject({ category: 'UserManagement', result: 'success', initiatedBy: { user: { displayName: 'Entitlement Management' } } });
    expect(audit.body.value[0].targetResources[0]).toMatchObject({ id: userId, type: 'User' });

    // blockSignIn never deletes.
    expect(await guestTimers(userId)).toEqual([]);
    await advance(60 * day);
    expect((await server.graph('GET', `users/${userId}`, { as: admin })).status).toBe(200);
  });

  it('blockSignInAndDelete: blocks, warns before the deletion, then deletes the guest; the partner can come back', async () => {
    await setLifecycle('blockSignInAndDelete', 'PT2H');
    const { assignmentId, userId } = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await adminRemove(server, assignmentId);
    const removedAt = clock.t;

    await advance(hour);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(401);
    const blockedAt = removedAt + hour;
    expect(await guestTimers(userId)).toEqual([
      { kind: 'guest.warnDelete', dueAt: new Date(blockedAt + hour).toISOString() },
      { kind: 'guest.delete', dueAt: new Date(blockedAt + 2 * hour).toISOString() },
    ]);
    const blocked = (await guestEvents(userId)).find((e) => e.type === 'guest.blocked');
    expect(JSON.parse(blocked!.payload)).toMatchObject({ deleteDateTime: new Date(blockedAt + 2 * hour).toISOString() });

    await advance(hour);
    const toBeDeleted = (await guestEvents(userId)).find((e) => e.type === 'guest.toBeDeleted');
    expect(JSON.parse(toBeDeleted!.payload)).toMatchObject({ userId, sponsorIds: [demo.users.adele.id], deleteDateTime: new Date(blockedAt + 2 * hour).toISOString() });
    expect(await notified('guest.toBeDeleted', userId)).toEqual(guestAndSponsor(userId));
    expect((await server.graph('GET', `users/${userId}`, { as: admin })).status).toBe(200);

    await advance(hour);
    expect((await server.graph('GET', `users/${userId}`, { as: admin })).status).toBe(404);
    expect(await db().selectFrom('group_members').select('memberId').where('memberId', '=', userId).execute()).toEqual([]);
    expect(await db().selectFrom('user_sponsors').select('sponsorId').where('userId', '=', userId).execute()).toEqual([]);
    const subject = await db().selectFrom('subjects').selectAll().where('homeObjectId', '=', demo.partners.pradeep.id).executeTakeFirstOrThrow();
    expect(subject).toMatchObject({ objectId: null, subjectLifecycle: 'governed' });
    // The guest's account is gone: only the sponsors hear of the deletion.
    expect(await notified('guest.deleted', userId)).toEqual([{ recipientId: demo.users.adele.id, roles: ['sponsor'] }]);
    const audit = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq 'Delete user'`, { as: admin });
    expect(audit.body.value).toHaveLength(1);
    expect(audit.body.value[0]).toMatchObject({ category: 'UserManagement', initiatedBy: { user: { displayName: 'Entitlement Management' } } });
    expect(await guestTimers(userId)).toEqual([]);

    // Pradeep signs in with his home account again as a partner, requests, and is invited anew.
    expect((await server.graph('GET', 'me', { as: pradeep })).status).not.toBe(401);
    const again = await deliverDemoPackage(server, pradeep, ruth, pkg);
    expect(again.userId).not.toBe(userId);
    expect((await server.graph('GET', 'me', { as: pradeep })).body.id).toBe(again.userId);
  });

  it('starts the same way when the last assignment expires (the expiry sweep)', async () => {
    await setLifecycle('blockSignIn', 'PT2H');
    const { assignmentId, userId } = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await advance(90 * day + 60 * 1000); // the demo policy's 90 days
    expect((await db().selectFrom('assignments').select('status').where('id', '=', assignmentId).executeTakeFirstOrThrow()).status).toBe('Expired');
    expect((await guestEvents(userId)).map((e) => e.type)).toEqual(['guest.toBeBlocked']);
    expect(await notified('guest.toBeBlocked', userId)).toEqual(guestAndSponsor(userId));
    await advance(hour);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(401);
  });

  it('keeps a guest who gets a new assignment before the block', async () => {
    await setLifecycle('blockSignInAndDelete', 'PT2H');
    const first = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await adminRemove(server, first.assignmentId);
    expect(await guestTimers(first.userId)).toHaveLength(1);

    // Within the warning period Pradeep asks again and Ruth approves.
    await advance(30 * 60 * 1000);
    const second = await deliverDemoPackage(server, pradeep, ruth, pkg);
    expect(second.userId).toBe(first.userId);
    expect(await guestTimers(first.userId)).toEqual([]);
    const kept = (await guestEvents(first.userId)).find((e) => e.type === 'guest.kept');
    expect(JSON.parse(kept!.payload)).toEqual({ userId: first.userId, displayName: demo.partners.pradeep.name, sponsorIds: [demo.users.adele.id], unblocked: false });
    expect(await notified('guest.kept', first.userId)).toEqual(guestAndSponsor(first.userId));

    await advance(2 * day);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(200);
    expect((await guestEvents(first.userId)).map((e) => e.type)).toEqual(['guest.toBeBlocked', 'guest.kept']);
  });

  it('unblocks a blocked guest who is assigned again before the deletion, and cancels the deletion', async () => {
    await setLifecycle('blockSignInAndDelete', 'PT2H');
    const first = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await adminRemove(server, first.assignmentId);
    await advance(hour);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(401);

    // A blocked guest cannot ask; an administrator assigns the package directly.
    const added = await server.graph('POST', `${em}/assignmentRequests`, {
      as: admin,
      body: { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId, targetId: first.userId } },
    });
    expect(added.status).toBe(201);
    await runJobs();
    expect((await db().selectFrom('assignment_requests').select('state').where('id', '=', added.body.id).executeTakeFirstOrThrow()).state).toBe('delivered');

    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(200);
    expect(await db().selectFrom('users').select(['accountEnabled', 'blockedDateTime']).where('id', '=', first.userId).executeTakeFirstOrThrow()).toEqual({ accountEnabled: 1, blockedDateTime: null });
    expect(await guestTimers(first.userId)).toEqual([]);
    const kept = (await guestEvents(first.userId)).find((e) => e.type === 'guest.kept');
    expect(JSON.parse(kept!.payload)).toMatchObject({ unblocked: true });
    const audit = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq 'Enable account'`, { as: admin });
    expect(audit.body.value).toHaveLength(1);

    await advance(3 * day);
    expect((await server.graph('GET', `users/${first.userId}?$select=accountEnabled`, { as: admin })).body.accountEnabled).toBe(true);
  });

  it('does not delete a blocked guest an administrator enabled again; a later loss of access starts over', async () => {
    await setLifecycle('blockSignInAndDelete', 'PT2H');
    const first = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await adminRemove(server, first.assignmentId);
    await advance(60 * 60 * 1000);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(401);
    expect((await server.graph('PATCH', `users/${first.userId}`, { as: admin, body: { accountEnabled: true } })).status).toBe(204);
    await advance(3 * 60 * 60 * 1000);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(200);
    expect((await guestEvents(first.userId)).map((e) => e.type)).toEqual(['guest.toBeBlocked', 'guest.blocked']);

    // He gets access again and loses it again: warned and blocked anew.
    const second = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await adminRemove(server, second.assignmentId);
    expect((await guestEvents(first.userId)).map((e) => e.type)).toEqual(['guest.toBeBlocked', 'guest.blocked', 'guest.toBeBlocked']);
    await advance(60 * 60 * 1000);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(401);
  });

  it("does nothing when the action is 'none'", async () => {
    await setLifecycle('none', 'PT2H');
    const { assignmentId, userId } = await deliverDemoPackage(server, pradeep, ruth, pkg);
    await adminRemove(server, assignmentId);
    expect(await guestEvents(userId)).toEqual([]);
    expect(await guestTimers(userId)).toEqual([]);
    await advance(60 * day);
    expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(200);
    expect(await db().selectFrom('notifications').select('id').where('eventType', 'like', 'guest.%').execute()).toEqual([]);
  });

  it('never blocks a notGoverned guest (Ruth, a guest before entitlement management)', async () => {
    // Defaults: blockSignInAndDelete after P30D. Ruth's own external sponsorship cannot approve her: Lee does.
    const requestId = await requestDemoPackage(server, ruth, pkg);
    await runJobs();
    await approve(server, 'lee@contoso.test', requestId);
    await runJobs();
    const request = await db().selectFrom('assignment_requests').select(['state', 'assignmentId']).where('id', '=', requestId).executeTakeFirstOrThrow();
    expect(request.state).toBe('delivered');
    const subject = await server.graph('GET', `${em}/subjects(objectId='${demo.ruthGuest.id}')`, { as: admin });
    expect(subject.body.subjectLifecycle).toBe('notGoverned');

    await adminRemove(server, request.assignmentId!);
    expect(await guestEvents(demo.ruthGuest.id)).toEqual([]);
    expect(await guestTimers(demo.ruthGuest.id)).toEqual([]);
    await advance(40 * day);
    expect((await server.graph('GET', 'me', { as: ruth })).body.id).toBe(demo.ruthGuest.id);
  });

  describe("PATCH subjects(objectId='…')", () => {
    const ruthSubject = `${em}/subjects(objectId='${demo.ruthGuest.id}')`;

    it('lets administrators govern an existing guest, who is then blocked when their last assignment ends', async () => {
      expect((await server.graph('GET', ruthSubject, { as: admin })).status).toBe(404);
      expect((await server.graph('PATCH', ruthSubject, { as: adele, body: { subjectLifecycle: 'governed' } })).status).toBe(403);
      expect((await server.graph('PATCH', ruthSubject, { as: ruth, body: { subjectLifecycle: 'governed' } })).status).toBe(403);

      expect((await server.graph('PATCH', ruthSubject, { as: admin, body: { subjectLifecycle: 'governed' } })).status).toBe(204);
      const read = await server.graph('GET', `${ruthSubject}?$expand=connectedOrganization`, { as: admin });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        '@odata.context': expect.stringContaining('$metadata#identityGovernance/entitlementManagement/subjects/$entity'),
        objectId: demo.ruthGuest.id,
        subjectType: 'user',
        subjectLifecycle: 'governed',
        displayName: demo.ruthGuest.name,
        connectedOrganization: { displayName: demo.fabrikam.name },
      });
      // A subject reads their own; other guests and partners do not see it.
      expect((await server.graph('GET', `${ruthSubject}?$select=subjectLifecycle`, { as: ruth })).body).toMatchObject({ subjectLifecycle: 'governed' });
      expect((await server.graph('GET', ruthSubject, { as: pradeep })).status).toBe(404);
      const audit = await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq 'Update access package subject'`, { as: admin });
      expect(audit.body.value).toHaveLength(1);
      expect(audit.body.value[0].additionalDetails).toEqual(expect.arrayContaining([{ key: 'newValue', value: 'governed' }, { key: 'oldValue', value: 'notGoverned' }]));

      // Now governed, Ruth is warned and blocked once her assignment ends.
      const requestId = await requestDemoPackage(server, ruth, pkg);
      await runJobs();
      await approve(server, 'lee@contoso.test', requestId);
      await runJobs();
      const { assignmentId } = await db().selectFrom('assignment_requests').select('assignmentId').where('id', '=', requestId).executeTakeFirstOrThrow();
      await adminRemove(server, assignmentId!);
      expect((await guestEvents(demo.ruthGuest.id)).map((e) => e.type)).toEqual(['guest.toBeBlocked']);
      await advance(day);
      expect((await server.graph('GET', 'me', { as: ruth })).status).toBe(401);
    });

    it('cancels a block under way when a guest is no longer governed', async () => {
      await setLifecycle('blockSignIn', 'P30D');
      const { assignmentId, userId } = await deliverDemoPackage(server, pradeep, ruth, pkg);
      await adminRemove(server, assignmentId);
      expect(await guestTimers(userId)).toHaveLength(1);
      expect((await server.graph('PATCH', `${em}/subjects(objectId='${userId}')`, { as: admin, body: { subjectLifecycle: 'notGoverned' } })).status).toBe(204);
      expect(await guestTimers(userId)).toEqual([]);
      await advance(2 * day);
      expect((await server.graph('GET', 'me', { as: pradeep })).status).toBe(200);
      expect((await server.graph('GET', `${em}/subjects(objectId='${userId}')`, { as: pradeep })).body.subjectLifecycle).toBe('notGoverned');
    });

    it.each([
      ['an unknown value', { subjectLifecycle: 'sometimes' }, 'subjectLifecycle'],
      ['a missing value', {}, 'subjectLifecycle'],
      ['an unknown property', { subjectLifecycle: 'governed', displayName: 'x' }, 'displayName'],
    ])('refuses %s with 400 and changes nothing', async (_name, body, field) => {
      const res = await server.graph('PATCH', ruthSubject, { as: admin, body });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
      expect(await db().selectFrom('subjects').select('id').where('objectId', '=', demo.ruthGuest.id).execute()).toEqual([]);
    });

    it('answers 404 for an unknown object, 400 for a member or a missing key', async () => {
      const unknown = await server.graph('PATCH', `${em}/subjects(objectId='0b0b0b0b-0000-4000-8000-000000000000')`, { as: admin, body: { subjectLifecycle: 'governed' } });
      expect(unknown.status).toBe(404);
      expect((await server.graph('GET', `${em}/subjects(objectId='0b0b0b0b-0000-4000-8000-000000000000')`, { as: admin })).status).toBe(404);
      const member = await server.graph('PATCH', `${em}/subjects(objectId='${demo.users.alex.id}')`, { as: admin, body: { subjectLifecycle: 'governed' } });
      expect(member.status).toBe(400);
      expect(member.body.error.message).toContain('guests');
      expect((await server.graph('GET', `${em}/subjects()`, { as: admin })).status).toBe(400);
      expect((await server.graph('GET', `${em}/subjects(id='${demo.ruthGuest.id}')`, { as: admin })).status).toBe(400);
    });
  });
});
