import { demo } from '../../bot/seed/tenant';
import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { approval, buildRequestablePackage, singleUser, stage } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, invoke, people, postActivity } from '../helpers/teams';

/**
 * Two approvers click at once on their own cards: the engine takes one decision, the other click
 * gets the decided card, and after the sender's pass both cards show the same decision. A stage that
 * asks for a justification says so in the card.
 */
describe('two approvers clicking at once', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
    for (const who of [people.lee, people.alex]) await postActivity(server.url, activity(connector.url, who, { text: 'help' }));
    connector.clear();
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  it('one decision; both cards end showing it', async () => {
    const pkg = await buildRequestablePackage(server, {
      policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id), singleUser(demo.users.alex.id)], { isApproverJustificationRequired: true })]) },
    });
    const submitted = await server.graph('POST', `${em}/assignmentRequests`, { as: 'megan@contoso.test', body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } } });
    expect(submitted.status).toBe(201);
    await server.portier.jobs.runOnce();

    const leeCard = cardOf(connector.sent(people.lee.conversationId)[0]);
    const alexCard = cardOf(connector.sent(people.alex.conversationId)[0]);
    expect(leeCard.body.find((e: { type: string }) => e.type === 'Input.Text')).toMatchObject({ id: 'justification', isRequired: true });
    expect(leeCard.refresh.userIds.sort()).toEqual([people.lee.mri, people.alex.mri].sort());
    const ids = leeCard.actions[0].data;
    expect(alexCard.actions[0].data).toEqual(ids);

    const [lee, alex] = await Promise.all([
      postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', { ...ids, justification: 'Lee says yes' })),
      postActivity(server.url, invoke(connector.url, people.alex, 'approval.deny', { ...ids, justification: 'Alex says no' })),
    ]);
    const answers = [cardText(lee.body.value), cardText(alex.body.value)];
    const stages = (await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${submitted.body.id}`, { as: 'admin@contoso.test' })).body.stages;
    expect(stages).toHaveLength(1);
    const decided = stages[0].reviewResult === 'Approve' ? /Approved by Lee Gu/ : /Denied by Alex Wilber/;
    for (const text of answers) expect(text).toMatch(decided);
    expect(answers.filter((t) => /already decided/.test(t))).toHaveLength(1);

    await server.portier.jobs.runOnce();
    for (const who of [people.lee, people.alex]) {
      const last = connector.updates(who.conversationId).at(-1);
      expect(cardText(cardOf(last))).toMatch(decided);
      expect(cardOf(last).actions ?? []).toEqual([]);
    }
  });

  it('a click without the required justification changes nothing', async () => {
    const pkg = await buildRequestablePackage(server, {
      policy: { requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)], { isApproverJustificationRequired: true })]) },
    });
    const submitted = await server.graph('POST', `${em}/assignmentRequests`, { as: 'adele@contoso.test', body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } } });
    await server.portier.jobs.runOnce();
    const card = cardOf(connector.sent(people.lee.conversationId).at(-1));
    const res = await postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', card.actions[0].data));
    expect(cardText(res.body.value)).toMatch(/justification is required/);
    expect(res.body.value.actions.map((a: { verb: string }) => a.verb)).toEqual(['approval.approve', 'approval.deny']);
    const stages = (await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${submitted.body.id}`, { as: 'admin@contoso.test' })).body.stages;
    expect(stages[0].reviewResult).toBe('NotReviewed');
  });
});
