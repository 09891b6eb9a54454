import { sweepAssignments, sweepTimerKind } from '../../bot/commands/assignments/timers';
import { newId, systemContext, type EngineDeps } from '../../bot/context';
import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer } from '../helpers/server';

/**
 * The expiry sweep on a real database with many due assignments inserted directly (as a benchmark
 * would): batches larger than one statement, sweeps racing each other (never an assignment expired
 * twice), the timer rescheduling itself until nothing is due, and the "role kept while another
 * assignment grants it" rule applied set-based.
 */
describe(sweepAssignments.name, () => {
  let server: TestServer;
  const clock = { t: Date.parse('2026-01-05T09:00:00Z'), now() { return new Date(this.t); } };
  const db = () => server.portier.store.db;
  let deps: EngineDeps;
  let packageId: string;
  let policyId: string;
  let catalogId: string;
  let siteId: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    const pkg = await db().selectFrom('access_packages').selectAll().where('displayName', '=', demo.packageName).executeTakeFirstOrThrow();
    const policy = await db().selectFrom('assignment_policies').select('id').where('accessPackageId', '=', pkg.id).executeTakeFirstOrThrow();
    const site = await db().selectFrom('sites').select('id').where('webUrl', '=', demo.projectFalcon.siteUrl).executeTakeFirstOrThrow();
    [packageId, policyId, catalogId, siteId] = [pkg.id, policy.id, pkg.catalogId, site.id];
    const p = server.portier;
    deps = { db: p.store.db, dialect: p.store.dialect, clock, publicUrl: '', subscriptions: { notifier: ['assignment.expired', 'assignment.expiringSoon'] }, wake: () => undefined };
  });
  afterAll(() => server.close());

  /** `count` members, each with a delivered assignment of the demo package (group and site roles) ending at `end`. */
  async function seed(count: number, end: Date, extra: { nextNoticeDateTime?: string; noticesSent?: number } = {}): Promise<{ userIds: string[]; assignmentIds: string[] }> {
    const now = new Date(clock.t).toISOString();
    const userIds: string[] = [];
    const assignmentIds: string[] = [];
    for (let first = 0; first < count; first += 250) {
      const rows = Array.from({ length: Math.min(250, count - first) }, () => ({ userId: newId(), subjectId: newId(), assignmentId: newId() }));
      await db().transaction().execute(async (tx) => {
        await tx
          .insertInto('users')
          .values(rows.map((r) => ({ id: r.userId, displayName: `Sweep ${r.userId}`, givenName: null, surname: null, mail: null, mailLower: null, userPrincipalName: `${r.userId}@contoso.test`, userType: 'Member' as const, accountEnabled: 1, jobTitle: null, department: null, companyName: null, creationType: null, externalUserState: null, externalUserStateChangeDateTime: null, createdDateTime: now, managerId: null, homeTenantId: null, homeObjectId: null, usageLocation: null, lastSignInDateTime: null, blockedDateTime: null })))
          .execute();
        await tx
          .insertInto('subjects')
          .values(rows.map((r) => ({ id: r.subjectId, objectId: r.userId, displayName: null, email: null, emailLower: null, principalName: null, subjectType: 'user', subjectLifecycle: 'notGoverned' as const, connectedOrganizationId: null, homeTenantId: null, homeObjectId: null, createdDateTime: now })))
          .execute();
        await tx
          .insertInto('assignments')
          .values(
            rows.map((r) => ({
              id: r.assignmentId,
              accessPackageId: packageId,
              assignmentPolicyId: policyId,
              catalogId,
              targetId: r.subjectId,
              state: 'delivered',
              status: 'Delivered',
              schedule: '{}',
              expiredDateTime: null,
              createdDateTime: now,
              activeKey: `${packageId}|${r.subjectId}`,
              requestId: null,
              deliveredDateTime: now,
              startDateTime: now,
              endDateTime: end.toISOString(),
              nextNoticeDateTime: extra.nextNoticeDateTime ?? null,
              noticesSent: extra.noticesSent ?? 2,
            })),
          )
          .execute();
        await tx
          .insertInto('assignment_grants')
          .values(
            rows.flatMap((r) => [
              { id: newId(), assignmentId: r.assignmentId, userId: r.userId, originSystem: 'AadGroup', resourceOriginId: demo.projectFalcon.groupId, roleOriginId: `Member_${demo.projectFalcon.groupId}`, roleDisplayName: 'Member', state: 'granted' as const, grantedDateTime: now, removedDateTime: null, lastError: null },
              { id: newId(), assignmentId: r.assignmentId, userId: r.userId, originSystem: 'SharePointOnline', resourceOriginId: demo.projectFalcon.siteUrl, roleOriginId: '5', roleDisplayName: 'Members', state: 'granted' as const, grantedDateTime: now, removedDateTime: null, lastError: null },
            ]),
          )
          .execute();
        await tx.insertInto('group_members').values(rows.map((r) => ({ groupId: demo.projectFalcon.groupId, memberId: r.userId }))).execute();
        await tx.insertInto('site_group_members').values(rows.map((r) => ({ siteId, siteGroupId: '5', userId: r.userId }))).execute();
      });
      userIds.push(...rows.map((r) => r.userId));
      assignmentIds.push(...rows.map((r) => r.assignmentId));
    }
    return { userIds, assignmentIds };
  }

  /** How many of `ids` are still members of Project Falcon's group. */
  const members = async (ids: string[]) => {
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const row = await db().selectFrom('group_members').select((eb) => eb.fn.countAll().as('n')).where('memberId', 'in', ids.slice(i, i + 500)).executeTakeFirstOrThrow();
      n += Number(row.n);
    }
    return n;
  };
  /** How many events are about one of `ids`. */
  const events = async (ids: string[]) => {
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const row = await db().selectFrom('outbox_events').select((eb) => eb.fn.countAll().as('n')).where('subjectId', 'in', ids.slice(i, i + 500)).executeTakeFirstOrThrow();
      n += Number(row.n);
    }
    return n;
  };

  it('expires due assignments in batches, once each even when two sweeps race', async () => {
    const { userIds, assignmentIds } = await seed(2500, new Date(clock.t - 1000));
    // Two sweeps at once, small batches, no time budget: on PostgreSQL they truly overlap.
    const sweep = () => db().transaction().execute((tx) => sweepAssignments(tx, systemContext(deps, newId(), tx), { batchSize: 400, budgetMs: 0 }));
    let expired = 0;
    for (let round = 0; round < 20 && expired < 2500; round++) {
      const results = await Promise.all([sweep(), sweep()]);
      expired += results.reduce((sum, r) => sum + r.expired, 0);
    }
    expect(expired).toBe(2500);
    expect(await events(assignmentIds)).toBe(2500);
    expect(await members(userIds)).toBe(0);
    const active = await db().selectFrom('assignments').select('id').where('id', 'in', assignmentIds.slice(0, 500)).where('activeKey', 'is not', null).execute();
    expect(active).toEqual([]);
    const audits = await db().selectFrom('directory_audits').select((eb) => eb.fn.countAll().as('n')).where('activityDisplayName', '=', 'Access package assignment expired').executeTakeFirstOrThrow();
    expect(Number(audits.n)).toBeGreaterThanOrEqual(2500);
  });

  it('through its timer: reschedules itself at once while work is left, then a second later', async () => {
    const { assignmentIds } = await seed(5000, new Date(clock.t - 1000));
    const timer = () => db().selectFrom('timers').select(['dueAt']).where('kind', '=', sweepTimerKind).executeTakeFirstOrThrow();
    await server.portier.jobs.runOnce();
    const left = await db().selectFrom('assignments').select('id').where('id', 'in', assignmentIds.slice(-500)).where('activeKey', 'is not', null).execute();
    expect(left).toEqual([]);
    expect((await timer()).dueAt).toBe(new Date(clock.t + 1000).toISOString());
  });

  it('keeps a role another active assignment grants, and sends due notices set-based', async () => {
    // Users with a due assignment, 100 of whom hold another active assignment granting the same group role.
    const { userIds } = await seed(300, new Date(clock.t - 1000));
    const subjects = await db().selectFrom('subjects').select(['id', 'objectId']).where('objectId', 'in', userIds.slice(0, 100)).execute();
    const now = new Date(clock.t).toISOString();
    const keepers = subjects.map((s) => ({ id: newId(), subjectId: s.id, userId: s.objectId as string }));
    await db()
      .insertInto('assignments')
      .values(keepers.map((k) => ({ id: k.id, accessPackageId: packageId, assignmentPolicyId: policyId, catalogId, targetId: k.subjectId, state: 'delivered', status: 'Delivered', schedule: '{}', expiredDateTime: null, createdDateTime: now, activeKey: `other|${k.subjectId}`, requestId: null, deliveredDateTime: now, startDateTime: now, endDateTime: null, nextNoticeDateTime: null })))
      .execute();
    await db()
      .insertInto('assignment_grants')
      .values(keepers.map((k) => ({ id: newId(), assignmentId: k.id, userId: k.userId, originSystem: 'AadGroup', resourceOriginId: demo.projectFalcon.groupId, roleOriginId: `Member_${demo.projectFalcon.groupId}`, roleDisplayName: 'Member', state: 'granted' as const, grantedDateTime: now, removedDateTime: null, lastError: null })))
      .execute();
    // And 200 assignments whose first notice is due (P90D, day 76).
    clock.t += 1000;
    const noticeDue = await seed(200, new Date(clock.t + 14 * 24 * 3600_000), { nextNoticeDateTime: new Date(clock.t).toISOString(), noticesSent: 0 });
    await db().updateTable('assignments').set({ startDateTime: new Date(clock.t - 76 * 24 * 3600_000).toISOString() }).where('id', 'in', noticeDue.assignmentIds).execute();

    const result = await db().transaction().execute((tx) => sweepAssignments(tx, systemContext(deps, newId(), tx), { batchSize: 64 }));
    expect(result).toEqual({ expired: 300, notices: 200, more: false });
    expect(await members(userIds.slice(0, 100))).toBe(100);
    expect(await members(userIds.slice(100))).toBe(0);
    const site = await db().selectFrom('site_group_members').select('userId').where('userId', 'in', userIds.slice(0, 100)).execute();
    expect(site).toEqual([]);
    const noticed = await db().selectFrom('assignments').select(['noticesSent', 'nextNoticeDateTime']).where('id', 'in', noticeDue.assignmentIds).execute();
    expect(new Set(noticed.map((a) => `${a.noticesSent}|${a.nextNoticeDateTime}`))).toEqual(new Set([`1|${new Date(clock.t + 13 * 24 * 3600_000).toISOString()}`]));
    expect(await events(noticeDue.assignmentIds)).toBe(200);
  });
});
