import { newId } from '../../bot/context';
import { demo } from '../../bot/seed/tenant';
import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { keepUnreachableNotices } from '../../bot/teams/conversations';
import { adminRemove, deliverDemoPackage, demoPackage } from '../helpers/accessFlow';
import { bulkDirectory } from '../helpers/bulkDirectory';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, people, postActivity } from '../helpers/teams';

/**
 * The notice sender against a connector that misbehaves: 429 with Retry-After and 5xx are retried
 * later, 403 stops and forgets the conversation, a person without a chat gets one through a team
 * they share with the bot or keeps the notice for their first contact; the guest lifecycle warns the
 * guest (with "Request access again") and the sponsors.
 */
describe('notice sender', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  const clock = { t: Date.parse('2026-03-02T09:00:00Z'), now() { return new Date(this.t); } };
  const db = () => server.portier.store.db;

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    await server.portier.jobs.stop();
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  /** A notice of the engine's kind for `recipientId` (the notifier's table is the contract). */
  async function notice(recipientId: string, eventType = 'assignment.expired'): Promise<string> {
    const id = newId();
    await db()
      .insertInto('notifications')
      .values({ id, eventId: newId(), eventType, recipientId, subjectId: newId(), payload: JSON.stringify({ assignmentId: newId(), recipientRoles: ['target'] }), createdDateTime: clock.now().toISOString(), sentDateTime: null })
      .execute();
    return id;
  }
  const row = (id: string) => db().selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('retries 429 after Retry-After and 5xx with back-off, then sends once', async () => {
    await postActivity(server.url, activity(connector.url, people.alex, { text: 'help' }));
    connector.clear();
    const id = await notice(people.alex.aadObjectId);
    connector.failures.push({ status: 429, retryAfter: '120' });
    await server.portier.jobs.runOnce();
    let r = await row(id);
    expect(r).toMatchObject({ teamsState: 'pending', teamsAttempts: 1, sentDateTime: null });
    expect(Date.parse(r.teamsNextAttemptDateTime!) - clock.t).toBeGreaterThanOrEqual(120_000);
    await server.portier.jobs.runOnce();
    expect(connector.sent(people.alex.conversationId)).toHaveLength(0);

    clock.t += 121_000;
    connector.failures.push({ status: 503 });
    await server.portier.jobs.runOnce();
    r = await row(id);
    expect(r).toMatchObject({ teamsState: 'pending', teamsAttempts: 2 });
    expect(Date.parse(r.teamsNextAttemptDateTime!)).toBeGreaterThan(clock.t);

    clock.t += 10_000;
    await server.portier.jobs.runOnce();
    r = await row(id);
    expect(r).toMatchObject({ teamsState: 'sent', sentDateTime: clock.now().toISOString() });
    expect(connector.sent(people.alex.conversationId)).toHaveLength(1);
    expect(cardText(cardOf(connector.sent(people.alex.conversationId)[0]))).toMatch(/has ended/);
    await server.portier.jobs.runOnce();
    expect(connector.sent(people.alex.conversationId)).toHaveLength(1);
  });

  it('sends a retry that came due before the notices written after it, more than a claim\'s worth of them', async () => {
    await postActivity(server.url, activity(connector.url, people.alex, { text: 'help' }));
    connector.clear();
    const first = await notice(people.alex.aadObjectId, 'assignment.removed');
    connector.failures.push({ status: 503 });
    await server.portier.jobs.runOnce();
    expect((await row(first)).teamsNextAttemptDateTime).not.toBeNull();
    // More than one claim (100) of newer notices, written while the first waits for its retry.
    const later: string[] = [];
    for (let i = 0; i < 120; i++) {
      clock.t += 1;
      later.push(await notice(people.alex.aadObjectId, 'assignment.expired'));
    }
    clock.t += 60_000;
    connector.clear();
    await server.portier.jobs.runOnce();
    for (const id of [first, ...later]) expect((await row(id)).teamsState).toBe('sent');
    // The retry goes first: one person's notices reach them in the order they were written.
    const texts = connector.sent(people.alex.conversationId).map((c) => cardText(cardOf(c)));
    expect(texts).toHaveLength(121);
    expect(texts[0]).toMatch(/was removed/);
    expect(texts.slice(1).every((t) => /has ended/.test(t))).toBe(true);
  });

  it('stops at 403 (the person blocked the bot), records why and forgets the conversation', async () => {
    const id = await notice(people.alex.aadObjectId);
    connector.failures.push({ status: 403 });
    await server.portier.jobs.runOnce();
    const r = await row(id);
    expect(r.teamsState).toBe('stopped');
    expect(r.teamsError).toMatch(/403/);
    expect(await db().selectFrom('teams_conversations').select('id').where('userId', '=', people.alex.aadObjectId).execute()).toEqual([]);
  });

  it('keeps a notice for someone it cannot reach, and shows what waits on their first contact', async () => {
    const id = await notice(people.lee.aadObjectId);
    await server.portier.jobs.runOnce();
    expect((await row(id)).teamsState).toBe('noConversation');
    connector.clear();
    await postActivity(server.url, activity(connector.url, people.lee, { text: 'hello' }));
    expect((await row(id)).teamsState).toBe('superseded');
    // Nothing waits for Lee: the first contact is the welcome, not the old notice.
    const texts = connector.sent(people.lee.conversationId).map((c) => cardText(cardOf(c)));
    expect(texts.join('\n')).toMatch(/Welcome to Portier/);
    expect(texts.join('\n')).not.toMatch(/has ended/);
  });

  it('opens a personal chat through a team the person shares with the bot', async () => {
    const teamId = '19:falcon@thread.tacv2';
    await postActivity(
      server.url,
      activity(connector.url, people.admin, {
        type: 'conversationUpdate',
        text: undefined,
        membersAdded: [{ id: '28:portier-bot' }],
        conversation: { id: teamId, conversationType: 'channel' },
        channelData: { tenant: { id: demo.contoso.id }, team: { id: teamId, aadGroupId: demo.projectFalcon.groupId } },
      }),
    );
    connector.rosters.set(teamId, new Map([[people.megan.aadObjectId, '29:megan-in-teams']]));
    connector.clear();
    const id = await notice(people.megan.aadObjectId);
    await server.portier.jobs.runOnce();
    const [created] = connector.created();
    expect(created.body.members).toEqual([{ id: '29:megan-in-teams' }]);
    expect((await row(id)).teamsState).toBe('sent');
    const personal = await db().selectFrom('teams_conversations').selectAll().where('userId', '=', people.megan.aadObjectId).executeTakeFirstOrThrow();
    expect(connector.sent(personal.id)).toHaveLength(1);
  });

  it('sends many people their notices at once: each notice once, one person\'s in order, all stamped', async () => {
    const recipients = [people.adele, people.lee, people.alex];
    for (const who of recipients) await postActivity(server.url, activity(connector.url, who, { text: 'help' }));
    connector.clear();
    const ids: string[] = [];
    // More than one claim's worth (100), interleaved between the recipients as the engine writes them.
    for (let i = 0; i < 40; i++) {
      for (const who of recipients) {
        const id = newId();
        ids.push(id);
        await db()
          .insertInto('notifications')
          .values({ id, eventId: newId(), eventType: 'assignment.removed', recipientId: who.aadObjectId, subjectId: newId(), payload: JSON.stringify({ assignmentId: newId(), reason: `#${i}`, recipientRoles: ['target'] }), createdDateTime: new Date(clock.t + i).toISOString(), sentDateTime: null })
          .execute();
      }
    }
    await server.portier.jobs.runOnce();
    for (const who of recipients) {
      const reasons = connector.sent(who.conversationId).map((c) => /#\d+/.exec(cardText(cardOf(c)))?.[0]);
      expect(reasons).toEqual(Array.from({ length: 40 }, (_, i) => `#${i}`));
    }
    const rows = await db().selectFrom('notifications').select(['teamsState', 'teamsLeaseOwner', 'sentDateTime']).where('id', 'in', ids).execute();
    expect(rows).toHaveLength(120);
    for (const r of rows) expect(r).toMatchObject({ teamsState: 'sent', teamsLeaseOwner: null, sentDateTime: clock.now().toISOString() });
    await server.portier.jobs.runOnce();
    expect(connector.calls.filter((c) => c.method === 'POST')).toHaveLength(120);
  });

  it('keeps aside only the notices of people it cannot reach: a personal chat, or a team with the bot they are a member or owner of, reaches them', async () => {
    // Five people of their own: a member and an owner of a team the bot is in, a member of a group that is no such
    // team, one with a personal chat, and one with none of these.
    const { userIds, groupIds } = await bulkDirectory(db(), { users: 5, groups: 2, membershipsPerUser: 0, prefix: 'reach' });
    const [member, owner, elsewhere, chatting, nobody] = userIds;
    const [team, plainGroup] = groupIds;
    await db().insertInto('group_members').values([{ groupId: team, memberId: member }, { groupId: plainGroup, memberId: elsewhere }]).execute();
    await db().insertInto('group_owners').values({ groupId: team, ownerId: owner }).execute();
    const conversation = { userId: null, userMri: null, aadGroupId: null, teamId: null, tenantId: demo.contoso.id, serviceUrl: connector.url, channelId: 'msteams', botId: '28:portier-bot', locale: 'en-US', updatedDateTime: clock.now().toISOString() };
    await db()
      .insertInto('teams_conversations')
      .values([
        { ...conversation, id: '19:reach-team@thread.tacv2', conversationType: 'channel', teamId: '19:reach-team@thread.tacv2', aadGroupId: team },
        { ...conversation, id: `a:reach-${chatting}`, conversationType: 'personal', userId: chatting, userMri: `29:${chatting}` },
      ])
      .execute();
    const ids = new Map<string, string>();
    for (const who of userIds) ids.set(who, await notice(who));
    await keepUnreachableNotices(db());
    const state = async (who: string) => (await row(ids.get(who) as string)).teamsState;
    expect(await state(member)).toBe('pending');
    expect(await state(owner)).toBe('pending');
    expect(await state(chatting)).toBe('pending');
    expect(await state(elsewhere)).toBe('noConversation');
    expect(await state(nobody)).toBe('noConversation');
    await db().deleteFrom('notifications').where('id', 'in', [...ids.values()]).execute();
  });

  it('warns a guest whose last access ended (with Request access again) and their sponsors', async () => {
    const res = await server.graph('PATCH', `${em}/settings`, { as: 'admin@contoso.test', body: { externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'P30D' } });
    expect(res.status).toBe(204);
    const pkg = await demoPackage(server);
    const { assignmentId, userId } = await deliverDemoPackage(server, 'pradeep@fabrikam.test', 'ruth@fabrikam.test', pkg);
    const pradeep = { aadObjectId: userId, mri: `29:${userId}`, name: 'Pradeep Gupta', conversationId: `a:personal-${userId}` };
    for (const who of [pradeep, people.adele]) await postActivity(server.url, activity(connector.url, who, { text: 'help' }));
    connector.clear();
    await adminRemove(server, assignmentId);
    await server.portier.jobs.runOnce();
    const guestCard = connector.sent(pradeep.conversationId).map(cardOf).find((c) => /will be blocked/.test(cardText(c)));
    expect(guestCard).toBeDefined();
    expect(guestCard.actions).toEqual([expect.objectContaining({ verb: 'package.open', data: { accessPackageId: pkg.packageId } })]);
    const sponsorCard = connector.sent(people.adele.conversationId).map(cardOf).find((c) => /a guest you sponsor/.test(cardText(c)));
    expect(cardText(sponsorCard)).toContain('Pradeep Gupta');
  });
});
