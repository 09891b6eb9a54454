import { demo } from '../../bot/seed/tenant';
import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { approval, buildRequestablePackage, decide, singleUser, stage } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, invoke, people, postActivity } from '../helpers/teams';

/**
 * Requests in chat: a direct link pasted by a guest opens the hidden package's form (in Dutch for a
 * Dutch client), the form's click submits through Graph, the status card follows the request, my
 * requests cancels it; request access lists and searches what a member may request.
 */
describe('requests in chat', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  let packageId: string;

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
    packageId = (await server.portier.store.db.selectFrom('access_packages').select('id').where('displayName', '=', demo.packageName).executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  const lastCard = (conversationId: string) => cardOf(connector.sent(conversationId).at(-1));

  it('a pasted direct link opens the form in Dutch; submit, follow, and cancel the request', async () => {
    await postActivity(server.url, activity(connector.url, people.ruth, { text: `Kun je hiernaar kijken? http://localhost:3978/#/access-packages/${packageId}`, locale: 'nl-NL' }));
    const form = lastCard(people.ruth.conversationId);
    expect(cardText(form)).toContain(`${demo.packageName} aanvragen`);
    const question = form.body.find((e: { id?: string }) => e.id?.startsWith('q_'));
    expect(question).toMatchObject({ type: 'Input.Text', label: 'Waaraan ga je werken in Project Falcon?', isRequired: true });
    expect(form.body.find((e: { id?: string }) => e.id === 'justification')).toMatchObject({ isRequired: true });
    const submitAction = form.actions[0];
    expect(submitAction).toMatchObject({ verb: 'request.submit', data: { accessPackageId: packageId }, associatedInputs: 'auto' });

    // The engine checks again what the card checked: without the answer nothing is submitted.
    const refused = await postActivity(server.url, invoke(connector.url, people.ruth, 'request.submit', { ...submitAction.data, justification: 'Sponsor' }, { locale: 'nl-NL' }));
    expect(cardText(refused.body.value)).toMatch(/niet geldig/);
    expect((await server.graph('GET', `${em}/assignmentRequests/filterByCurrentUser(on='target')`, { as: 'ruth@fabrikam.test' })).body.value).toHaveLength(0);

    const submitted = await postActivity(server.url, invoke(connector.url, people.ruth, 'request.submit', { ...submitAction.data, justification: 'Sponsor', [question.id]: 'Reviews' }, { locale: 'nl-NL' }));
    expect(submitted.body.statusCode).toBe(200);
    const status = submitted.body.value;
    expect(cardText(status)).toMatch(/Je aanvraag voor/);
    expect(status.refresh.action).toMatchObject({ verb: 'request.refresh' });
    const requestId = status.refresh.action.data.requestId;
    const mine = await server.graph('GET', `${em}/assignmentRequests/${requestId}`, { as: 'ruth@fabrikam.test' });
    expect(mine.body).toMatchObject({ justification: 'Sponsor', requestType: 'userAdd' });

    await server.portier.jobs.runOnce();
    const refreshed = await postActivity(server.url, invoke(connector.url, people.ruth, 'request.refresh', { requestId }, { locale: 'nl-NL' }));
    expect(cardText(refreshed.body.value)).toMatch(/wacht op goedkeuring/);
    expect(cardText(refreshed.body.value)).toContain(demo.packageName);

    await postActivity(server.url, activity(connector.url, people.ruth, { text: 'mijn aanvragen', locale: 'nl-NL' }));
    const list = lastCard(people.ruth.conversationId);
    expect(cardText(list)).toContain(demo.packageName);
    const cancel = JSON.stringify(list).match(/"verb":"request.cancel","data":\{"requestId":"([^"]+)"\}/);
    expect(cancel?.[1]).toBe(requestId);
    const canceled = await postActivity(server.url, invoke(connector.url, people.ruth, 'request.cancel', { requestId }, { locale: 'nl-NL' }));
    expect(cardText(canceled.body.value)).toMatch(/geannuleerd/);
    expect(cardText(canceled.body.value)).toContain(demo.packageName);
    expect((await server.graph('GET', `${em}/assignmentRequests/${requestId}`, { as: 'ruth@fabrikam.test' })).body.state).toBe('canceled');
  });

  it("the status card takes the form's place, no second one is sent, and it follows the request to delivered", async () => {
    const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)])]) } });
    await postActivity(server.url, activity(connector.url, people.alex, { text: `http://localhost:3978/#/access-packages/${pkg.packageId}` }));
    const form = lastCard(people.alex.conversationId);
    const submitAction = form.actions.find((a: { verb: string }) => a.verb === 'request.submit');
    // Teams sends the id of the message whose card was clicked; the invoke's answer replaces that card.
    const submitted = await postActivity(server.url, invoke(connector.url, people.alex, 'request.submit', { ...submitAction.data, justification: 'Status card' }, { replyToId: 'form-of-alex' }));
    const requestId = submitted.body.value.refresh.action.data.requestId;
    expect(cardText(submitted.body.value)).toMatch(/Request status: submitted/);
    const sentBefore = connector.sent(people.alex.conversationId).length;

    await server.portier.jobs.runOnce();
    expect(connector.sent(people.alex.conversationId)).toHaveLength(sentBefore);
    const notices = await server.portier.store.db.selectFrom('notifications').select(['eventType', 'teamsState', 'teamsError']).where('recipientId', '=', demo.users.alex.id).where('subjectId', '=', requestId).execute();
    expect(notices).toEqual([expect.objectContaining({ eventType: 'assignmentRequest.submitted', teamsState: 'sent' })]);

    expect((await decide(server, 'lee@contoso.test', requestId, { reviewResult: 'Approve', justification: 'ok' })).status).toBe(204);
    await server.portier.jobs.runOnce();
    await server.portier.jobs.runOnce();
    expect((await server.graph('GET', `${em}/assignmentRequests/${requestId}`, { as: 'alex@contoso.test' })).body.state).toBe('delivered');
    const updates = connector.updates(people.alex.conversationId).filter((u) => u.activityId === 'form-of-alex');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    const shown = cardOf(updates.at(-1));
    expect(cardText(shown)).toMatch(/Request status: delivered/);
    expect(JSON.stringify(shown)).not.toMatch(/request\.cancel/);
    // The notices themselves still come: approved, then delivered.
    expect(connector.sent(people.alex.conversationId).slice(sentBefore).map((c) => cardText(cardOf(c))).join('\n')).toMatch(/You now have access to/);
  });

  it('request access lists what a member may request, searchable and paged', async () => {
    const packages = [];
    for (let i = 0; i < 7; i++) packages.push(await buildRequestablePackage(server));
    const names = await Promise.all(packages.map(async (p) => (await server.graph('GET', `${em}/accessPackages/${p.packageId}`, { as: 'admin@contoso.test' })).body.displayName as string));
    await postActivity(server.url, activity(connector.url, people.alex, { text: 'request access' }));
    const first = lastCard(people.alex.conversationId);
    const listed = first.body.filter((e: { type: string }) => e.type === 'Container');
    expect(listed).toHaveLength(5);
    expect(cardText(first)).not.toContain(demo.packageName);
    const more = first.actions.find((a: { verb: string; data: { page: string } }) => a.verb === 'packages.list' && a.data.page === '1');
    expect(more).toBeDefined();
    const page2 = await postActivity(server.url, invoke(connector.url, people.alex, 'packages.list', more.data));
    expect(page2.body.value.body.filter((e: { type: string }) => e.type === 'Container').length).toBeGreaterThanOrEqual(2);

    const searched = await postActivity(server.url, invoke(connector.url, people.alex, 'packages.list', { page: '0', search: names[3] }));
    expect(cardText(searched.body.value)).toContain(names[3]);
    expect(searched.body.value.body.filter((e: { type: string }) => e.type === 'Container')).toHaveLength(1);
  });
});
