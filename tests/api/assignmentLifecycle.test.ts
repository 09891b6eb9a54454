import { buildPolicy, buildUser } from '../helpers/factories';
import { randomUUID } from 'node:crypto';
import { entitlementRoles } from '../../bot/domain/roles';
import { admin, approval, buildRequestablePackage, decide, eventsOf, readRequest, singleUser, stage, submit } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';
import { demo } from '../../bot/seed/tenant';

/**
 * The assignment lifecycle (DESIGN §1 step 10, §5 "Expiration … extension … removal") over HTTP with
 * a movable clock: expiry per policy, notices 14 days and 1 day before (scaled for short terms),
 * extension by `userUpdate`/`adminUpdate` (with approval when the policy asks), removal by
 * `userRemove`/`adminRemove`, and a role two assignments grant staying until the last one ends.
 */
describe('assignment lifecycle', () => {
  let server: TestServer;
  const clock = { t: Date.parse('2026-01-05T09:00:00Z'), now() { return new Date(this.t); } };
  const minute = 60_000;
  const hour = 60 * minute;
  const day = 24 * hour;
  const run = () => server.portier.jobs.runOnce();
  /** Moves the clock and lets every due timer (the expiry sweep among them) run. */
  const advance = async (ms: number) => {
    clock.t += ms;
    await run();
  };
  const db = () => server.portier.store.db;

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
  });
  afterAll(() => server.close());

  /** A new member of contoso.test (so memberships of other tests never interfere). */
  async function member(): Promise<{ id: string; upn: string }> {
    const user = await buildUser(server, admin);
    return { id: user.id, upn: user.userPrincipalName };
  }

  /** `upn` requests `packageId`, the request is processed and delivered; returns the assignment id. */
  async function deliver(upn: string, packageId: string): Promise<string> {
    const requestId = await submit(server, upn, packageId);
    await run();
    const request = await readRequest(server, requestId);
    expect(request.state).toBe('delivered');
    return request.assignment.id as string;
  }

  const assignment = (id: string) => db().selectFrom('assignments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const isMember = async (groupId: string, userId: string) =>
    !!(await db().selectFrom('group_members').select('memberId').where('groupId', '=', groupId).where('memberId', '=', userId).executeTakeFirst());
  const change = (as: string, body: Record<string, unknown>) => server.graph('POST', `${em}/assignmentRequests`, { as, body });
  const expirationOf = (expiration: Record<string, unknown>) => ({ expiration });
  const selfService = { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true, allowCustomAssignmentSchedule: false };

  describe('expiration', () => {
    it('noExpiration: the assignment never ends and gets no notices', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', ...expirationOf({ type: 'noExpiration' }) } });
      const user = await member();
      const id = await deliver(user.upn, pkg.packageId);
      const row = await assignment(id);
      expect(row).toMatchObject({ state: 'delivered', endDateTime: null, nextNoticeDateTime: null });
      const read = await server.graph('GET', `${em}/assignments/${id}`, { as: user.upn });
      expect(read.status).toBe(200);
      expect(read.body.schedule.expiration).toMatchObject({ type: 'noExpiration', endDateTime: null });

      await advance(400 * day);
      expect((await assignment(id)).state).toBe('delivered');
      expect(await isMember(pkg.groupId, user.id)).toBe(true);
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toEqual([]);
    });

    it('afterDuration PT1H: notices half-way and 1/28 before the end, then expired with its roles taken away', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', ...expirationOf({ type: 'afterDuration', duration: 'PT1H' }) } });
      // The package also grants Project Falcon's site Members role.
      const site = await server.graph('POST', `${em}/resourceRequests`, {
        as: admin,
        body: { requestType: 'adminAdd', resource: { originId: demo.projectFalcon.siteUrl, originSystem: 'SharePointOnline' }, catalog: { id: pkg.catalogId } },
      });
      expect(site.status).toBe(201);
      const siteRole = await server.graph('POST', `${em}/accessPackages/${pkg.packageId}/resourceRoleScopes`, {
        as: admin,
        body: { role: { originId: '5', originSystem: 'SharePointOnline', resource: { originId: demo.projectFalcon.siteUrl } }, scope: { originId: demo.projectFalcon.siteUrl, originSystem: 'SharePointOnline' } },
      });
      expect(siteRole.status).toBe(201);
      const user = await member();
      const start = clock.t;
      const id = await deliver(user.upn, pkg.packageId);
      const inSite = async () => !!(await db().selectFrom('site_group_members').select('userId').where('siteGroupId', '=', '5').where('userId', '=', user.id).executeTakeFirst());
      expect(await isMember(pkg.groupId, user.id)).toBe(true);
      expect(await inSite()).toBe(true);
      const delivered = await assignment(id);
      expect(delivered.endDateTime).toBe(new Date(start + hour).toISOString());
      expect(delivered.nextNoticeDateTime).toBe(new Date(start + 30 * minute).toISOString());

      await advance(29 * minute);
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(0);
      await advance(1 * minute + 1000);
      const first = await eventsOf(server, 'assignment.expiringSoon', id);
      expect(first).toHaveLength(1);
      expect(first[0].payload).toMatchObject({ assignmentId: id, targetUserId: user.id, endDateTime: new Date(start + hour).toISOString(), canExtend: false });
      // The second notice: 1/28 of the term before the end (about 2 minutes 9 seconds).
      expect((await assignment(id)).nextNoticeDateTime).toBe(new Date(start + hour - hour / 28).toISOString());
      await advance(27 * minute); // 57 min 1 s
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(1);
      await advance(1 * minute); // 58 min 1 s
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(2);
      expect(await assignment(id)).toMatchObject({ noticesSent: 2, nextNoticeDateTime: null, state: 'delivered' });
      expect(await isMember(pkg.groupId, user.id)).toBe(true);

      await advance(2 * minute); // 60 min 1 s
      const read = await server.graph('GET', `${em}/assignments/${id}`, { as: admin });
      expect(read.body).toMatchObject({ state: 'expired', status: 'Expired', expiredDateTime: new Date(clock.t).toISOString() });
      expect(read.body.schedule.expiration.endDateTime).toBe(new Date(start + hour).toISOString());
      expect(await isMember(pkg.groupId, user.id)).toBe(false);
      expect(await inSite()).toBe(false);
      const expired = await eventsOf(server, 'assignment.expired', id);
      expect(expired).toHaveLength(1);
      expect(expired[0].payload).toMatchObject({ assignmentId: id, accessPackageId: pkg.packageId, targetUserId: user.id });
      const audit = await db().selectFrom('directory_audits').select(['activityDisplayName', 'operationType']).where('targetResources', 'like', `%${id}%`).where('activityDisplayName', '=', 'Access package assignment expired').execute();
      expect(audit).toEqual([{ activityDisplayName: 'Access package assignment expired', operationType: 'Unassign' }]);
      const grants = await db().selectFrom('assignment_grants').select('state').where('assignmentId', '=', id).execute();
      expect(grants.map((g) => g.state)).toEqual(['removed', 'removed']);

      // Nothing happens twice: more sweeps, no second expiry.
      await advance(hour);
      expect(await eventsOf(server, 'assignment.expired', id)).toHaveLength(1);
    });

    it('durations of seconds work: PT10S warns at 5 s and at 9.64 s, and ends at 10 s', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', ...expirationOf({ type: 'afterDuration', duration: 'PT10S' }) } });
      const user = await member();
      const id = await deliver(user.upn, pkg.packageId);
      await advance(5_000);
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(1);
      await advance(4_500);
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(1);
      await advance(200);
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(2);
      expect((await assignment(id)).state).toBe('delivered');
      await advance(300);
      expect((await assignment(id)).state).toBe('expired');
      expect(await isMember(pkg.groupId, user.id)).toBe(false);
    });

    it('afterDateTime: ends on the date; notices missed in one jump are sent once', async () => {
      const end = new Date(clock.t + 3 * day);
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', ...expirationOf({ type: 'afterDateTime', endDateTime: end.toISOString() }) } });
      const user = await member();
      const id = await deliver(user.upn, pkg.packageId);
      expect((await assignment(id)).endDateTime).toBe(end.toISOString());

      // Past both notice times (1.5 days and 3/28 of a day before the end) at once.
      await advance(3 * day - hour);
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(1);
      expect(await assignment(id)).toMatchObject({ noticesSent: 2, nextNoticeDateTime: null, state: 'delivered' });
      await advance(hour + 1000);
      expect(await assignment(id)).toMatchObject({ state: 'expired', status: 'Expired', activeKey: null });
      expect(await isMember(pkg.groupId, user.id)).toBe(false);
    });

    it('P90D: notices 14 days and 1 day before the end', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', requestorSettings: selfService, ...expirationOf({ type: 'afterDuration', duration: 'P90D' }) } });
      const user = await member();
      const start = clock.t;
      const id = await deliver(user.upn, pkg.packageId);
      const notices = () => eventsOf(server, 'assignment.expiringSoon', id);

      await advance(76 * day - minute);
      expect(await notices()).toHaveLength(0);
      await advance(2 * minute);
      expect(await notices()).toHaveLength(1);
      expect((await notices())[0].payload).toMatchObject({ endDateTime: new Date(start + 90 * day).toISOString(), canExtend: true });
      expect((await assignment(id)).nextNoticeDateTime).toBe(new Date(start + 89 * day).toISOString());
      await advance(13 * day - 2 * minute); // 88 d 23 h 59 min
      expect(await notices()).toHaveLength(1);
      await advance(2 * minute);
      expect(await notices()).toHaveLength(2);
      await advance(day);
      expect((await assignment(id)).state).toBe('expired');
      expect(await eventsOf(server, 'assignment.expired', id)).toHaveLength(1);
    });
  });

  describe('extension', () => {
    it('userUpdate gives a new full term when the policy lets targets extend', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', requestorSettings: selfService, ...expirationOf({ type: 'afterDuration', duration: 'P7D' }) } });
      const user = await member();
      const start = clock.t;
      const id = await deliver(user.upn, pkg.packageId);
      await advance(6 * day);
      expect(await eventsOf(server, 'assignment.expiringSoon', id)).toHaveLength(1);

      const res = await change(user.upn, { requestType: 'userUpdate', assignment: { id }, justification: 'Still on the project' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ requestType: 'userUpdate', state: 'submitted', status: 'Accepted' });
      await run();
      const request = await readRequest(server, res.body.id);
      expect(request).toMatchObject({ state: 'delivered', status: 'Delivered' });
      expect(request.assignment.id).toBe(id);
      const extendedAt = start + 6 * day;
      expect(await assignment(id)).toMatchObject({
        endDateTime: new Date(extendedAt + 7 * day).toISOString(),
        startDateTime: new Date(extendedAt).toISOString(),
        noticesSent: 0,
        nextNoticeDateTime: new Date(extendedAt + 3.5 * day).toISOString(),
        requestId: res.body.id,
      });
      const read = await server.graph('GET', `${em}/assignments/${id}`, { as: user.upn });
      expect(read.body.schedule).toMatchObject({ startDateTime: new Date(extendedAt).toISOString(), expiration: { type: 'afterDuration', duration: 'P7D', endDateTime: new Date(extendedAt + 7 * day).toISOString() } });
      const extended = await eventsOf(server, 'assignment.extended', id);
      expect(extended).toHaveLength(1);
      expect(extended[0].payload).toMatchObject({ previousEndDateTime: new Date(start + 7 * day).toISOString(), endDateTime: new Date(extendedAt + 7 * day).toISOString(), targetUserId: user.id });
      const audit = await db().selectFrom('directory_audits').select('activityDisplayName').where('targetResources', 'like', `%${id}%`).execute();
      expect(audit.map((a) => a.activityDisplayName)).toEqual(expect.arrayContaining(['User requests access package assignment extension', 'Extend access package assignment']));

      // Past the old end the access stays; the new one ends it.
      await advance(2 * day);
      expect((await assignment(id)).state).toBe('delivered');
      expect(await isMember(pkg.groupId, user.id)).toBe(true);
      await advance(5 * day + minute);
      expect((await assignment(id)).state).toBe('expired');
    });

    it('refuses dates the policy does not allow, and a self-extension the policy does not enable', async () => {
      const chooser = await buildRequestablePackage(server, {
        policy: { allowedTargetScope: 'allMemberUsers', requestorSettings: { ...selfService, allowCustomAssignmentSchedule: true }, ...expirationOf({ type: 'afterDuration', duration: 'P7D' }) },
      });
      const user = await member();
      const id = await deliver(user.upn, chooser.packageId);
      const tooLong = await change(user.upn, { requestType: 'userUpdate', assignment: { id }, schedule: { expiration: { type: 'afterDuration', duration: 'P30D' } } });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.message).toContain('schedule.expiration');
      const past = await change(user.upn, { requestType: 'userUpdate', assignment: { id }, schedule: { expiration: { type: 'afterDateTime', endDateTime: new Date(clock.t - day).toISOString() } } });
      expect(past.status).toBe(400);
      expect(past.body.error.message).toContain('schedule.expiration');
      const shorter = await change(user.upn, { requestType: 'userUpdate', assignment: { id }, schedule: { expiration: { type: 'afterDuration', duration: 'P3D' } } });
      expect(shorter.status).toBe(409);
      expect(shorter.body.error.code).toBe('ExtensionNotPossible');

      const fixed = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', requestorSettings: selfService, ...expirationOf({ type: 'afterDuration', duration: 'P7D' }) } });
      const fixedId = await deliver(user.upn, fixed.packageId);
      const dates = await change(user.upn, { requestType: 'userUpdate', assignment: { id: fixedId }, schedule: { expiration: { type: 'afterDuration', duration: 'P3D' } } });
      expect(dates.status).toBe(400);
      expect(dates.body.error.message).toContain("'schedule'");

      const locked = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', ...expirationOf({ type: 'afterDuration', duration: 'P7D' }) } });
      const lockedId = await deliver(user.upn, locked.packageId);
      const refused = await change(user.upn, { requestType: 'userUpdate', assignment: { id: lockedId } });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('SelfUpdateNotAllowed');
      // An administrator may extend it, and may choose the dates within the policy.
      await advance(day);
      const byAdmin = await change(admin, { requestType: 'adminUpdate', assignment: { id: lockedId }, schedule: { expiration: { type: 'afterDuration', duration: 'P5D' } } });
      expect(byAdmin.status).toBe(201);
      await run();
      expect((await readRequest(server, byAdmin.body.id)).state).toBe('delivered');
      expect((await assignment(lockedId)).endDateTime).toBe(new Date(clock.t + 5 * day).toISOString());

      const forever = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', requestorSettings: selfService } });
      const foreverId = await deliver(user.upn, forever.packageId);
      const nothing = await change(user.upn, { requestType: 'userUpdate', assignment: { id: foreverId } });
      expect(nothing.status).toBe(409);
      expect(nothing.body.error.code).toBe('AssignmentDoesNotExpire');
    });

    /** A package of 10 days that needs no approval to add, and Lee's approval (denied after 14 days) to extend. */
    const extensionsApprovedByLee = () =>
      buildRequestablePackage(server, {
        policy: {
          allowedTargetScope: 'allMemberUsers',
          requestorSettings: selfService,
          requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)], { durationBeforeAutomaticDenial: 'P14D' })], { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: true }),
          ...expirationOf({ type: 'afterDuration', duration: 'P10D' }),
        },
      });

    it('with approval when the policy requires it for updates; one change at a time', async () => {
      const pkg = await extensionsApprovedByLee();
      const user = await member();
      const id = await deliver(user.upn, pkg.packageId); // no approval to add
      await advance(8 * day);
      const res = await change(user.upn, { requestType: 'userUpdate', assignment: { id } });
      expect(res.status).toBe(201);
      await run();
      expect((await readRequest(server, res.body.id)).state).toBe('pendingApproval');
      const again = await change(user.upn, { requestType: 'userUpdate', assignment: { id } });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('PendingRequestExists');
      const remove = await change(user.upn, { requestType: 'userRemove', assignment: { id } });
      expect(remove.status).toBe(409);

      const approvals = await server.graph('GET', `${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`, { as: 'lee@contoso.test' });
      expect(approvals.body.value.map((a: { id: string }) => a.id)).toContain(res.body.id);
      expect((await decide(server, 'lee@contoso.test', res.body.id, { reviewResult: 'Approve', justification: 'Fine' })).status).toBe(204);
      await run();
      expect((await readRequest(server, res.body.id)).state).toBe('delivered');
      expect((await assignment(id)).endDateTime).toBe(new Date(clock.t + 10 * day).toISOString());

      // An extension still waiting when the access ends is canceled with it.
      await advance(day);
      const late = await change(user.upn, { requestType: 'userUpdate', assignment: { id } });
      expect(late.status).toBe(201);
      await run();
      expect((await readRequest(server, late.body.id)).state).toBe('pendingApproval');
      const stageTimers = () => db().selectFrom('timers').select('kind').where('kind', 'like', 'approval.%').where('payload', 'like', `%${late.body.id}%`).execute();
      expect((await stageTimers()).map((t) => t.kind)).toContain('approval.autoDeny');
      await advance(9 * day + minute); // the stage would deny after 14 days; the access ends first
      expect((await assignment(id)).state).toBe('expired');
      const canceled = await readRequest(server, late.body.id);
      expect(canceled).toMatchObject({ state: 'canceled', status: 'Canceled' });
      expect(await stageTimers()).toEqual([]);
      expect(await eventsOf(server, 'assignmentRequest.canceled', late.body.id)).toHaveLength(1);
      const stageRows = await db().selectFrom('approval_stages').select('status').where('requestId', '=', late.body.id).execute();
      expect(stageRows.map((s) => s.status)).toEqual(['Completed']);
    });

    it('an extension another transaction holds when the access ends is canceled as soon as it lets go', async () => {
      const pkg = await extensionsApprovedByLee();
      const user = await member();
      const id = await deliver(user.upn, pkg.packageId);
      await advance(9 * day);
      const late = await change(user.upn, { requestType: 'userUpdate', assignment: { id } });
      expect(late.status).toBe(201);
      await run();
      expect((await readRequest(server, late.body.id)).state).toBe('pendingApproval');
      const followUps = () => db().selectFrom('timers').select('kind').where('kind', '=', 'request.closeAfterAssignmentEnded').where('subjectId', '=', late.body.id).execute();

      clock.t += day + minute; // the access ends
      if (server.portier.store.dialect === 'postgres') {
        // A decision or a stage timer holding the request's row (PostgreSQL's row lock) while the sweep
        // expires the assignment: the sweep skips the request rather than wait, and leaves a follow-up.
        await db()
          .transaction()
          .execute(async (holder) => {
            await holder.selectFrom('assignment_requests').select('id').where('id', '=', late.body.id).forUpdate().execute();
            await run();
            expect((await assignment(id)).state).toBe('expired');
            expect((await readRequest(server, late.body.id)).state).toBe('pendingApproval');
            expect(await followUps()).toHaveLength(1);
          });
      }
      await run();
      expect((await assignment(id)).state).toBe('expired');
      expect(await readRequest(server, late.body.id)).toMatchObject({ state: 'canceled', status: 'Canceled' });
      expect(await eventsOf(server, 'assignmentRequest.canceled', late.body.id)).toHaveLength(1);
      expect(await followUps()).toEqual([]);
    });
  });

  describe('removal', () => {
    it('a role two packages grant stays until the last assignment ends', async () => {
      const first = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', requestorSettings: selfService } });
      // A second package in another catalog granting the same group's Member role, for one hour.
      const second = await buildRequestablePackage(server, { groupId: first.groupId, policy: { allowedTargetScope: 'allMemberUsers', ...expirationOf({ type: 'afterDuration', duration: 'PT1H' }) } });
      const user = await member();
      const firstId = await deliver(user.upn, first.packageId);
      const secondId = await deliver(user.upn, second.packageId);
      expect(await isMember(first.groupId, user.id)).toBe(true);

      // The second expires: the first still grants the role.
      await advance(hour + minute);
      expect((await assignment(secondId)).state).toBe('expired');
      expect(await isMember(first.groupId, user.id)).toBe(true);

      // The user removes the first: now the role goes.
      const res = await change(user.upn, { requestType: 'userRemove', assignment: { id: firstId } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ requestType: 'userRemove', state: 'submitted' });
      await run();
      expect(await readRequest(server, res.body.id)).toMatchObject({ state: 'delivered', status: 'Delivered', completedDateTime: expect.any(String) });
      expect(await assignment(firstId)).toMatchObject({ state: 'expired', status: 'Removed', activeKey: null });
      expect(await isMember(first.groupId, user.id)).toBe(false);
      const removed = await eventsOf(server, 'assignment.removed', firstId);
      expect(removed).toHaveLength(1);
      expect(removed[0].payload).toMatchObject({ assignmentId: firstId, targetUserId: user.id });
    });

    it('adminRemove takes one package away while another keeps the shared role', async () => {
      const first = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
      const second = await buildRequestablePackage(server, { groupId: first.groupId, policy: { allowedTargetScope: 'allMemberUsers' } });
      const user = await member();
      const firstId = await deliver(user.upn, first.packageId);
      const secondId = await deliver(user.upn, second.packageId);

      const res = await change(admin, { requestType: 'adminRemove', assignment: { id: firstId }, justification: 'Left the project' });
      expect(res.status).toBe(201);
      await run();
      expect((await assignment(firstId)).status).toBe('Removed');
      expect(await isMember(first.groupId, user.id)).toBe(true);
      expect((await eventsOf(server, 'assignment.removed', firstId))[0].payload.reason).toBe('Left the project');

      expect((await change(admin, { requestType: 'adminRemove', assignment: { id: secondId } })).status).toBe(201);
      await run();
      expect(await isMember(first.groupId, user.id)).toBe(false);
      // A new request for the package is possible again afterwards.
      expect(await deliver(user.upn, first.packageId)).not.toBe(firstId);
    });

    it('refuses with clear errors', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
      const user = await member();
      const other = await member();
      const id = await deliver(user.upn, pkg.packageId);

      const missing = await change(user.upn, { requestType: 'userRemove', assignment: {} });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toContain('assignment.id');
      const wrongField = await change(user.upn, { requestType: 'userRemove', assignment: { id, targetId: other.id } });
      expect(wrongField.status).toBe(400);
      expect(wrongField.body.error.message).toContain('assignment.targetId');
      const unknown = await change(user.upn, { requestType: 'userRemove', assignment: { id: '00000000-0000-4000-8000-000000000000' } });
      expect(unknown.status).toBe(404);
      // Someone else's assignment does not exist for a plain user, and is not theirs to remove for an administrator.
      expect((await change(other.upn, { requestType: 'userRemove', assignment: { id } })).status).toBe(404);
      expect((await change(other.upn, { requestType: 'adminRemove', assignment: { id } })).status).toBe(404);
      const notOwn = await change(admin, { requestType: 'userRemove', assignment: { id } });
      expect(notOwn.status).toBe(403);
      expect(notOwn.body.error.code).toBe('RequestorNotAllowed');
      // The policy does not let targets remove their own access; nor are they administrators.
      const self = await change(user.upn, { requestType: 'userRemove', assignment: { id } });
      expect(self.status).toBe(403);
      expect(self.body.error.code).toBe('SelfRemoveNotAllowed');
      expect((await change(user.upn, { requestType: 'adminRemove', assignment: { id } })).status).toBe(403);
      // A catalog reader sees it but may not remove it.
      await server.portier.store.db
        .insertInto('role_assignments')
        .values({ id: randomUUID(), provider: 'entitlementManagement', principalId: other.id, roleDefinitionId: entitlementRoles.catalogReader, directoryScopeId: '/', appScopeId: `/AccessPackageCatalog/${pkg.catalogId}`, createdDateTime: new Date(clock.t).toISOString() })
        .execute();
      expect((await change(other.upn, { requestType: 'adminRemove', assignment: { id } })).status).toBe(403);

      expect((await change(admin, { requestType: 'adminRemove', assignment: { id } })).status).toBe(201);
      await run();
      const gone = await change(admin, { requestType: 'adminRemove', assignment: { id } });
      expect(gone.status).toBe(409);
      expect(gone.body.error.code).toBe('AssignmentNotActive');
      const audit = await db().selectFrom('directory_audits').select('activityDisplayName').where('targetResources', 'like', `%${id}%`).execute();
      expect(audit.map((a) => a.activityDisplayName)).toEqual(expect.arrayContaining(['Administrator removes access package assignment', 'Remove access package assignment']));
    });

    it('a second policy of the package governs only its own assignments', async () => {
      const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers' } });
      const selfPolicy = await buildPolicy(server, admin, pkg.packageId, { allowedTargetScope: 'allMemberUsers', requestorSettings: selfService });
      const user = await member();
      const viaAdmin = await change(admin, { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: selfPolicy.id, targetId: user.id } });
      expect(viaAdmin.status).toBe(201);
      await run();
      const id = (await readRequest(server, viaAdmin.body.id)).assignment.id as string;
      // Assigned through the self-service policy: the user may remove it.
      const res = await change(user.upn, { requestType: 'userRemove', assignment: { id } });
      expect(res.status).toBe(201);
      await run();
      expect((await assignment(id)).status).toBe('Removed');
    });
  });
});
