import { demo } from '../../bot/seed/tenant';
import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, invoke, people, postActivity } from '../helpers/teams';

/**
 * Notices to the person whose access it is: Ruth (a guest) gets Project Falcon, hears it is delivered, is told before it
 * expires with an Extend action, clicks it, and an extension request is made through Graph as her.
 */
describe('notices in Teams', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  const clock = { t: Date.parse('2026-03-02T09:00:00Z'), now() { return new Date(this.t); } };

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    for (const who of [people.ruth, people.lee]) await postActivity(server.url, activity(connector.url, who, { text: 'help' }));
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  it('expiring soon comes with Extend; the click asks for the extension as Ruth', async () => {
    const packageId = (await server.portier.store.db.selectFrom('access_packages').select('id').where('displayName', '=', demo.packageName).executeTakeFirstOrThrow()).id;
    const q = (await server.graph('POST', `${em}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { as: 'ruth@fabrikam.test' })).body.value[0].questions[0].id;
    const submitted = await server.graph('POST', `${em}/assignmentRequests`, {
      as: 'ruth@fabrikam.test',
      body: { requestType: 'userAdd', assignment: { accessPackageId: packageId }, justification: 'Sponsor work', answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'Reviews', answeredQuestion: { id: q } }] },
    });
    expect(submitted.status).toBe(201);
    await server.portier.jobs.runOnce();
    // Ruth cannot approve her own request: Lee, the fallback approver, gets the card and approves in it.
    const leeCard = cardOf(connector.sent(people.lee.conversationId).at(-1));
    const approve = leeCard.actions.find((a: { verb: string }) => a.verb === 'approval.approve');
    expect((await postActivity(server.url, invoke(connector.url, people.lee, 'approval.approve', { ...approve.data, justification: 'ok' }))).body.statusCode).toBe(200);
    await server.portier.jobs.runOnce();
    const ruthTexts = () => connector.sent(people.ruth.conversationId).map((c) => cardText(cardOf(c)));
    expect(ruthTexts().join('\n')).toMatch(/You now have access to \*\*Project Falcon/);

    await postActivity(server.url, activity(connector.url, people.ruth, { text: 'my access' }));
    const mine = cardOf(connector.sent(people.ruth.conversationId).at(-1));
    expect(cardText(mine)).toContain(demo.packageName);
    expect(JSON.stringify(mine)).toMatch(/"verb":"assignment.extend"/);
    expect(JSON.stringify(mine)).toMatch(/"verb":"assignment.leave"/);

    clock.t += 89 * 24 * 3600 * 1000;
    await server.portier.jobs.runOnce();
    const expiring = connector.sent(people.ruth.conversationId).map(cardOf).find((c) => /Your access to .* ends on/.test(cardText(c)) && c.actions);
    expect(expiring).toBeDefined();
    const extend = expiring.actions.find((a: { verb: string }) => a.verb === 'assignment.extend');
    expect(Object.keys(extend.data)).toEqual(['assignmentId']);
    // The policy asks for a justification: the click opens the form, whose click sends the extension.
    const form = await postActivity(server.url, invoke(connector.url, people.ruth, 'assignment.extend', extend.data));
    const input = form.body.value.body.find((e: { type: string }) => e.type === 'Input.Text');
    expect(input).toMatchObject({ id: 'justification', isRequired: true });
    const send = form.body.value.actions.find((a: { verb: string }) => a.verb === 'assignment.extend');
    const clicked = await postActivity(server.url, invoke(connector.url, people.ruth, 'assignment.extend', { ...send.data, justification: 'Still sponsoring' }));
    expect(clicked.body.statusCode).toBe(200);
    expect(cardText(clicked.body.value)).toMatch(/extension .* was requested/);
    const updates = await server.graph('GET', `${em}/assignmentRequests?$filter=requestType eq 'userUpdate'`, { as: 'admin@contoso.test' });
    expect(updates.body.value).toHaveLength(1);
  });
});
