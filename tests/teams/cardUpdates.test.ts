import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { demo } from '../../bot/seed/tenant';
import { engine } from '../../bot/teams/engine';
import { ConnectorStandIn, cardOf, cardText, type ConnectorCall } from '../helpers/connector';
import { approval, buildRequestablePackage, singleUser, stage } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, invoke, people, postActivity, type TeamsPerson } from '../helpers/teams';

/**
 * After a click decides a stage, every approver's card of that stage is updated at once by the click
 * itself (after its invoke is answered), not only after the job runner's next pass; the notice sender
 * stays the durable path: it finds those cards already showing the decision and leaves them alone,
 * and it still updates them when the immediate update failed.
 */
describe('approval cards updated right after the decision', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  const db = () => server.portier.store.db;

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
    for (const who of [people.lee, people.alex]) await postActivity(server.url, activity(connector.url, who, { text: 'help' }));
    // Only passes the test runs itself: what reaches Teams otherwise is the click's own doing.
    await server.portier.jobs.stop();
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  /** A request both Lee and Alex may decide, its cards sent to both. */
  async function pendingApproval(): Promise<{ requestId: string; data: Record<string, string> }> {
    const pkg = await buildRequestablePackage(server, { policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id), singleUser(demo.users.alex.id)])]) } });
    const submitted = await server.graph('POST', `${em}/assignmentRequests`, { as: 'megan@contoso.test', body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } } });
    expect(submitted.status).toBe(201);
    await server.portier.jobs.runOnce();
    await server.portier.jobs.runOnce();
    const card = cardOf(connector.sent(people.alex.conversationId).at(-1));
    connector.clear();
    return { requestId: submitted.body.id, data: card.actions[0].data };
  }

  const cardIdsOf = async (requestId: string, who: TeamsPerson) =>
    (await db().selectFrom('teams_cards').select('activityId').where('kind', '=', 'approval').where('subjectId', 'like', `${requestId}/%`).where('userId', '=', who.aadObjectId).execute()).map((r) => r.activityId);

  async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${what}: not seen`);
  }

  /** The approvers' notices about the request written since `since` (the decision's: stage decided, request approved…). */
  const approverNotices = async (requestId: string, since: ReadonlySet<string>) =>
    (await db().selectFrom('notifications').select(['id', 'recipientId', 'teamsState', 'teamsError', 'eventType']).where('payload', 'like', `%${requestId}%`).where('payload', 'like', '%"approver"%').execute()).filter(
      (n) => !since.has(n.id),
    );
  const noticeIds = async () => new Set((await db().selectFrom('notifications').select('id').execute()).map((n) => n.id));

  /** The bot's in-process Graph calls (method and path) while `run` runs. */
  async function graphCallsDuring(run: () => Promise<void>): Promise<string[]> {
    const calls: string[] = [];
    const record = (message: unknown) => {
      const { method, path } = message as { method: string; path: string };
      calls.push(`${method} ${path.replace(/^\/graph\/v1\.0\/identityGovernance\/entitlementManagement\//, '')}`);
    };
    subscribe('portier:graph', record);
    try {
      await run();
    } finally {
      unsubscribe('portier:graph', record);
    }
    return calls;
  }

  it("updates the other approver's card (and the clicker's, when the invoke does not say which card was clicked) without the notice sender; the sender then changes nothing", async () => {
    const { requestId, data } = await pendingApproval();
    const earlier = await noticeIds();
    const calls = await graphCallsDuring(async () => {
      const clicked = await postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', data));
      expect(cardText(clicked.body.value)).toMatch(/Approved by Lee Gu/);
      await until("Alex's and Lee's cards updated", () => connector.updates(people.alex.conversationId).length > 0 && connector.updates(people.lee.conversationId).length > 0);
    });
    // The decision only: its answer is the stage as decided (`Prefer: return=representation`), and each card's
    // content was kept when it was sent (read as its holder).
    expect(calls).toEqual([`PATCH accessPackageAssignmentApprovals/${requestId}/stages/${data.stageId}`]);

    const [alexCard] = await cardIdsOf(requestId, people.alex);
    const [leeCard] = await cardIdsOf(requestId, people.lee);
    const alexUpdate = connector.updates(people.alex.conversationId);
    expect(alexUpdate.map((u) => u.activityId)).toEqual([alexCard]);
    expect(cardText(cardOf(alexUpdate[0]))).toMatch(/Approved by Lee Gu/);
    expect(cardOf(alexUpdate[0]).actions ?? []).toEqual([]);
    expect(connector.updates(people.lee.conversationId).map((u) => u.activityId)).toEqual([leeCard]);
    // The job runner has not run: the decision's notices are not even written yet.
    expect(await approverNotices(requestId, earlier)).toEqual([]);
    await until('the cards marked as showing the decision', async () =>
      (await db().selectFrom('teams_cards').select('facts').where('subjectId', 'like', `${requestId}/%`).execute()).every((r) => JSON.parse(r.facts).decisionShown === true),
    );

    // The sender's pass stamps those notices without touching the cards again.
    const before = connector.calls.length;
    await server.portier.jobs.runOnce();
    const updatesAfter = connector.calls.slice(before).filter((c: ConnectorCall) => c.method === 'PUT');
    expect(updatesAfter).toEqual([]);
    const notices = await approverNotices(requestId, earlier);
    expect(notices.length).toBeGreaterThan(0);
    for (const n of notices) expect(n).toMatchObject({ teamsState: 'sent', teamsError: 'no approval card left to update' });
  });

  it('the card the click came from is not sent again: the invoke answered it, and refresh brings it to the clicker\'s other views', async () => {
    const { requestId, data } = await pendingApproval();
    const [leeCard] = await cardIdsOf(requestId, people.lee);
    const [alexCard] = await cardIdsOf(requestId, people.alex);
    // Teams names the message whose card was clicked in the invoke's replyToId.
    const clicked = await postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', data, { replyToId: leeCard }));
    expect(cardText(clicked.body.value)).toMatch(/Approved by Lee Gu/);
    expect(clicked.body.value.refresh.userIds).toContain(people.lee.mri);
    await until("Alex's card updated", () => connector.updates(people.alex.conversationId).length > 0);
    expect(connector.updates(people.alex.conversationId).map((u) => u.activityId)).toEqual([alexCard]);
    expect(cardText(cardOf(connector.updates(people.alex.conversationId)[0]))).toMatch(/Approved by Lee Gu/);
    // Both cards are marked as showing the decision, Lee's by the invoke's answer: neither path sends it again.
    await until('the cards marked as showing the decision', async () =>
      (await db().selectFrom('teams_cards').select('facts').where('subjectId', 'like', `${requestId}/%`).execute()).every((r) => JSON.parse(r.facts).decisionShown === true),
    );
    await server.portier.jobs.runOnce();
    expect(connector.updates(people.lee.conversationId)).toEqual([]);
    expect(connector.updates(people.alex.conversationId)).toHaveLength(1);
  });

  it('a replyToId that names no card of the clicker changes nothing: their card is updated like the others', async () => {
    const { requestId, data } = await pendingApproval();
    const [leeCard] = await cardIdsOf(requestId, people.lee);
    const [alexCard] = await cardIdsOf(requestId, people.alex);
    // Alex's card's id, clicked by Lee: not Lee's card, so it does not count as answered.
    await postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', data, { replyToId: alexCard }));
    await until("Lee's and Alex's cards updated", () => connector.updates(people.alex.conversationId).length > 0 && connector.updates(people.lee.conversationId).length > 0);
    expect(connector.updates(people.lee.conversationId).map((u) => u.activityId)).toEqual([leeCard]);
    expect(connector.updates(people.alex.conversationId).map((u) => u.activityId)).toEqual([alexCard]);
  });

  it("with a Graph that answers the decision with 204 (Microsoft's), the stage is read once after it", async () => {
    const { requestId, data } = await pendingApproval();
    const decide = engine.decide;
    const asMicrosoft = jest.spyOn(engine, 'decide').mockImplementation(async (...args) => {
      await decide(...args);
      return undefined;
    });
    try {
      const calls = await graphCallsDuring(async () => {
        const clicked = await postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', data));
        expect(cardText(clicked.body.value)).toMatch(/Approved by Lee Gu/);
        await until("Alex's card updated", () => connector.updates(people.alex.conversationId).length > 0);
      });
      expect(calls).toEqual([`PATCH accessPackageAssignmentApprovals/${requestId}/stages/${data.stageId}`, `GET accessPackageAssignmentApprovals/${requestId}`]);
      expect(cardText(cardOf(connector.updates(people.alex.conversationId)[0]))).toMatch(/Approved by Lee Gu/);
    } finally {
      asMicrosoft.mockRestore();
    }
  });

  it('a card kept without its content (sent before cards kept it) is read in full as its holder', async () => {
    const { requestId, data } = await pendingApproval();
    const alexCards = db().selectFrom('teams_cards').select(['id', 'facts']).where('subjectId', '=', `${requestId}/${data.stageId}`).where('userId', '=', people.alex.aadObjectId);
    for (const row of await alexCards.execute()) {
      const { content: _content, contentLocale: _locale, ...facts } = JSON.parse(row.facts);
      await db().updateTable('teams_cards').set({ facts: JSON.stringify(facts) }).where('id', '=', row.id).execute();
    }
    const calls = await graphCallsDuring(async () => {
      await postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', data));
      await until("Alex's card updated", () => connector.updates(people.alex.conversationId).length > 0);
    });
    expect(calls).toContain(`GET assignmentRequests/${requestId}`);
    const shown = cardText(cardOf(connector.updates(people.alex.conversationId)[0]));
    expect(shown).toMatch(/Approved by Lee Gu/);
    expect(shown).toContain('Megan Bowen');
    await until('the cards marked as showing the decision', async () => (await alexCards.execute()).every((r) => JSON.parse(r.facts).decisionShown === true));
  });

  it('when the immediate update fails, the notice sender still updates the cards', async () => {
    const { requestId, data } = await pendingApproval();
    connector.failures.push({ status: 503 }, { status: 503 });
    const clicked = await postActivity(server.url, invoke(connector.url, people.alex, 'approval.deny', { ...data, justification: 'Not this quarter' }));
    expect(cardText(clicked.body.value)).toMatch(/Denied by Alex Wilber/);
    await until('both immediate updates tried', () => connector.calls.filter((c) => c.method === 'PUT').length >= 2);
    expect(connector.updates(people.lee.conversationId)).toEqual([]);
    expect(connector.updates(people.alex.conversationId)).toEqual([]);

    await server.portier.jobs.runOnce();
    const [leeCard] = await cardIdsOf(requestId, people.lee);
    const [alexCard] = await cardIdsOf(requestId, people.alex);
    const lee = connector.updates(people.lee.conversationId);
    expect(lee.map((u) => u.activityId)).toContain(leeCard);
    expect(cardText(cardOf(lee.at(-1)))).toMatch(/Denied by Alex Wilber/);
    expect(connector.updates(people.alex.conversationId).map((u) => u.activityId)).toContain(alexCard);
    // Once shown, a further pass (the request's own denial notice included) leaves them alone.
    const before = connector.calls.length;
    await server.portier.jobs.runOnce();
    expect(connector.calls.slice(before).filter((c) => c.method === 'PUT')).toEqual([]);
  });
});
