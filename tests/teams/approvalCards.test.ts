import { demo } from '../../bot/seed/tenant';
import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, invoke, people, person, postActivity } from '../helpers/teams';

/**
 * The seed scenario in Teams, over real HTTP with a connector of the test's own: Ruth (guest,
 * Fabrikam's external sponsor) has talked to the bot; Pradeep requests the hidden package through
 * Graph; Ruth gets the approval card and approves in it; Pradeep is delivered; a second click, Alex's
 * click and Pradeep's own forged click change nothing. Then the fallback to Lee.
 */
describe('approval cards (seed scenario)', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  let packageId: string;
  let questionId: string;

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
    packageId = (await server.portier.store.db.selectFrom('access_packages').select('id').where('displayName', '=', demo.packageName).executeTakeFirstOrThrow()).id;
    const requirements = await server.graph('POST', `${em}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { as: 'pradeep@fabrikam.test' });
    questionId = requirements.body.value[0].questions[0].id;
    for (const who of [people.ruth, people.alex, people.lee]) await postActivity(server.url, activity(connector.url, who, { text: 'help' }));
    connector.clear();
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  const submit = (upn: string) =>
    server.graph('POST', `${em}/assignmentRequests`, {
      as: upn,
      body: { requestType: 'userAdd', assignment: { accessPackageId: packageId }, justification: 'Falcon test rig', answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'Firmware', answeredQuestion: { id: questionId } }] },
    });

  it('Ruth approves in the card, Pradeep is delivered; nobody else can change it afterwards', async () => {
    const submitted = await submit('pradeep@fabrikam.test');
    expect(submitted.status).toBe(201);
    const requestId = submitted.body.id as string;
    await server.portier.jobs.runOnce();

    const [sent] = connector.sent(people.ruth.conversationId);
    const card = cardOf(sent);
    expect(card.version).toBe('1.5');
    const shown = cardText(card);
    for (const expected of ['Pradeep Gupta', 'pradeep@fabrikam.test', 'Fabrikam', demo.packageName, 'Fabrikam extranet', 'Falcon test rig', 'Firmware', 'Stage 1 of 1', 'Decide by', 'Project Falcon: Member']) expect(shown).toContain(expected);
    const approve = card.actions.find((a: any) => a.verb === 'approval.approve');
    expect(Object.keys(approve.data).sort()).toEqual(['requestId', 'stageId']);
    expect(approve.data.requestId).toBe(requestId);

    const clicked = await postActivity(server.url, invoke(connector.url, people.ruth, 'approval.approve', { ...approve.data, justification: 'Known engineer' }));
    expect(clicked.status).toBe(200);
    expect(clicked.body.statusCode).toBe(200);
    expect(clicked.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardText(clicked.body.value)).toMatch(/Approved by Ruth/);
    expect(clicked.body.value.actions ?? []).toEqual([]);

    await server.portier.jobs.runOnce();
    const delivered = await server.graph('GET', `${em}/assignmentRequests/${requestId}`, { as: 'admin@contoso.test' });
    expect(delivered.body.state).toBe('delivered');
    // Ruth's card was updated in place to show the decision.
    const updates = connector.updates(people.ruth.conversationId);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    const stored = await server.portier.store.db.selectFrom('teams_cards').selectAll().where('userId', '=', people.ruth.aadObjectId).where('kind', '=', 'approval').executeTakeFirstOrThrow();
    expect(updates.at(-1)!.activityId).toBe(stored.activityId);
    expect(cardText(cardOf(updates.at(-1)))).toMatch(/Approved by Ruth/);

    const audits = async () => (await server.portier.store.db.selectFrom('directory_audits').select('id').execute()).length;
    const before = await audits();
    const stage = async () => (await server.graph('GET', `${em}/accessPackageAssignmentApprovals/${requestId}`, { as: 'admin@contoso.test' })).body.stages[0];
    const decided = await stage();

    const second = await postActivity(server.url, invoke(connector.url, people.ruth, 'approval.deny', { ...approve.data, justification: 'changed my mind' }));
    expect(cardText(second.body.value)).toMatch(/already decided/);
    expect(cardText(second.body.value)).toMatch(/Approved by Ruth/);

    const alex = await postActivity(server.url, invoke(connector.url, people.alex, 'approval.deny', approve.data));
    expect(alex.body.statusCode).toBe(200);
    expect(cardText(alex.body.value)).toMatch(/no longer exists|not an approver|already decided/);

    // Pradeep, now a guest, forges a click on his own request.
    const pradeepGuest = await server.portier.store.db.selectFrom('users').select('id').where('homeObjectId', '=', demo.partners.pradeep.id).executeTakeFirstOrThrow();
    const pradeep = person(pradeepGuest.id, 'Pradeep Gupta');
    const forged = await postActivity(server.url, invoke(connector.url, pradeep, 'approval.deny', approve.data));
    expect(forged.body.statusCode).toBe(200);
    expect(cardText(forged.body.value)).not.toMatch(/Denied by/);
    expect(forged.body.value.actions ?? []).toEqual([]);

    expect(await stage()).toEqual(decided);
    expect(await audits()).toBe(before);
    expect((await server.graph('GET', `${em}/assignmentRequests/${requestId}`, { as: 'admin@contoso.test' })).body.state).toBe('delivered');
  });

  it('unknown verbs and malformed ids are a 400; foreign ids a clear card; nothing changes', async () => {
    const unknown = await postActivity(server.url, invoke(connector.url, people.ruth, 'approval.explode', { requestId: demo.users.lee.id, stageId: demo.users.lee.id }));
    expect(unknown.body).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error' });
    const missing = await postActivity(server.url, invoke(connector.url, people.ruth, 'approval.approve', { requestId: 'x' }));
    expect(missing.body).toMatchObject({ statusCode: 400 });
    const foreign = await postActivity(server.url, invoke(connector.url, people.ruth, 'approval.approve', { requestId: demo.users.lee.id, stageId: demo.users.alex.id }));
    expect(foreign.body.statusCode).toBe(200);
    expect(cardText(foreign.body.value)).toMatch(/no longer exists/);
  });

  it("Lee gets the card as fallback approver when Fabrikam has no external sponsor", async () => {
    await server.portier.store.db.deleteFrom('connected_organization_sponsors').where('kind', '=', 'external').execute();
    connector.clear();
    const submitted = await submit('isabel@fabrikam.test');
    expect(submitted.status).toBe(201);
    await server.portier.jobs.runOnce();
    const card = cardOf(connector.sent(people.lee.conversationId)[0]);
    expect(cardText(card)).toMatch(/fallback approver/);
    expect(cardText(card)).toContain('Isabel Garcia');
    expect(connector.sent(people.ruth.conversationId)).toHaveLength(0);
  });
});
