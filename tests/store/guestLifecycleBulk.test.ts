import { randomUUID } from 'node:crypto';
import { onAssignmentEnded } from '../../bot/commands/guests/lifecycle';
import { systemContext, type Clock } from '../../bot/context';
import { allEventTypes } from '../../bot/events/types';
import { seedDemoTenant } from '../../bot/seed/demo';
import { demo } from '../../bot/seed/tenant';
import { openStore, Store } from '../../bot/store/db';
import type { SubjectsTable, UsersTable } from '../../bot/store/schema';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * An expiry sweep may end the last assignment of thousands of guests in one transaction: the
 * lifecycle hook handles them set-based (statements in slices under both dialects' parameter limits)
 * and picks exactly the governed guests with nothing left.
 */
describe(`${onAssignmentEnded.name} for many subjects at once`, () => {
  let url: string;
  let store: Store;
  const clock: Clock = { now: () => new Date('2026-01-05T09:00:00Z') };

  beforeAll(async () => {
    url = testDatabaseUrl();
    store = await openStore(url);
    await seedDemoTenant(store.db, store.dialect, clock, { entitlements: true });
  });
  afterAll(async () => {
    await store.close();
    await dropTestDatabase(url);
  });

  it('warns every governed guest without access, and nobody else, in one transaction', async () => {
    const db = store.db;
    const now = clock.now().toISOString();
    const fabrikam = await db.selectFrom('connected_organizations').select('id').where('displayName', '=', demo.fabrikam.name).executeTakeFirstOrThrow();
    const pkg = await db.selectFrom('access_packages').select(['id', 'catalogId']).where('displayName', '=', demo.packageName).executeTakeFirstOrThrow();
    const policy = await db.selectFrom('assignment_policies').select('id').where('accessPackageId', '=', pkg.id).executeTakeFirstOrThrow();

    const kinds = [
      ...Array.from({ length: 1500 }, () => 'governed' as const),
      ...Array.from({ length: 40 }, () => 'stillAssigned' as const),
      ...Array.from({ length: 40 }, () => 'notGoverned' as const),
      ...Array.from({ length: 40 }, () => 'member' as const),
    ];
    const people = kinds.map((kind, i) => ({ kind, userId: randomUUID(), subjectId: randomUUID(), name: `Person ${i}` }));
    const users: UsersTable[] = people.map((p) => ({
      id: p.userId,
      displayName: p.name,
      givenName: null,
      surname: null,
      mail: `${p.userId}@fabrikam.test`,
      mailLower: `${p.userId}@fabrikam.test`,
      userPrincipalName: p.kind === 'member' ? `${p.userId}@contoso.test` : `${p.userId}_fabrikam.test#EXT#@contoso.test`,
      userType: p.kind === 'member' ? 'Member' : 'Guest',
      accountEnabled: 1,
      jobTitle: null,
      department: null,
      companyName: null,
      creationType: p.kind === 'member' ? null : 'Invitation',
      externalUserState: p.kind === 'member' ? null : 'Accepted',
      externalUserStateChangeDateTime: null,
      createdDateTime: now,
      managerId: null,
      homeTenantId: null,
      homeObjectId: null,
      usageLocation: null,
      lastSignInDateTime: null,
      blockedDateTime: null,
    }));
    const subjects: SubjectsTable[] = people.map((p) => ({
      id: p.subjectId,
      objectId: p.userId,
      displayName: p.name,
      email: `${p.userId}@fabrikam.test`,
      emailLower: `${p.userId}@fabrikam.test`,
      principalName: null,
      subjectType: 'user',
      subjectLifecycle: p.kind === 'member' ? 'notDefined' : p.kind === 'notGoverned' ? 'notGoverned' : 'governed',
      connectedOrganizationId: p.kind === 'member' ? null : fabrikam.id,
      homeTenantId: null,
      homeObjectId: null,
      createdDateTime: now,
    }));
    for (let i = 0; i < people.length; i += 200) {
      await db.insertInto('users').values(users.slice(i, i + 200)).execute();
      await db.insertInto('subjects').values(subjects.slice(i, i + 200)).execute();
    }
    const assigned = people.filter((p) => p.kind === 'stillAssigned');
    await db
      .insertInto('assignments')
      .values(
        assigned.map((p) => ({
          id: randomUUID(),
          accessPackageId: pkg.id,
          assignmentPolicyId: policy.id,
          catalogId: pkg.catalogId,
          targetId: p.subjectId,
          state: 'delivered',
          status: 'Delivered',
          schedule: '{}',
          expiredDateTime: null,
          createdDateTime: now,
          activeKey: `${pkg.id}|${p.subjectId}`,
          requestId: null,
          deliveredDateTime: now,
          startDateTime: now,
          endDateTime: null,
          nextNoticeDateTime: null,
        })),
      )
      .execute();

    const ctx = systemContext({ db, dialect: store.dialect, clock, publicUrl: '', subscriptions: { notifier: allEventTypes }, wake: () => undefined });
    const started = Date.now();
    await db.transaction().execute((tx) => onAssignmentEnded(tx, { ...ctx, db: tx }, people.map((p) => p.subjectId)));
    const elapsed = Date.now() - started;

    const governed = new Set(people.filter((p) => p.kind === 'governed').map((p) => p.userId));
    const events = await db.selectFrom('outbox_events').select(['id', 'subjectId', 'payload']).where('type', '=', 'guest.toBeBlocked').execute();
    expect(new Set(events.map((e) => e.subjectId))).toEqual(governed);
    expect(events).toHaveLength(governed.size);
    expect(JSON.parse(events[0].payload)).toMatchObject({ sponsorIds: [demo.users.adele.id], blockDateTime: '2026-01-06T09:00:00.000Z', action: 'blockSignInAndDelete' });
    const timers = await db.selectFrom('timers').select(['subjectId', 'dueAt']).where('kind', '=', 'guest.block').execute();
    expect(new Set(timers.map((t) => t.subjectId))).toEqual(governed);
    expect(new Set(timers.map((t) => t.dueAt))).toEqual(new Set(['2026-01-06T09:00:00.000Z']));
    const deliveries = await db.selectFrom('outbox_deliveries').select('eventId').where('consumer', '=', 'notifier').where('eventId', 'in', events.slice(0, 500).map((e) => e.id)).execute();
    expect(deliveries).toHaveLength(500);
    // Generous: a few statements per 500 guests, not a few per guest.
    expect(elapsed).toBeLessThan(10_000);

    // A second end for the same people (another assignment of theirs ended) changes nothing: their warning stands.
    await db.transaction().execute((tx) => onAssignmentEnded(tx, { ...ctx, db: tx }, people.map((p) => p.subjectId)));
    expect(await db.selectFrom('outbox_events').select('id').where('type', '=', 'guest.toBeBlocked').execute()).toHaveLength(governed.size);
  });
});
