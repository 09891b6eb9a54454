import { demo } from '../../bot/seed/tenant';
import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { buildRequestablePackage, singleUser } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, invoke, people, postActivity } from '../helpers/teams';

const reviews = 'identityGovernance/accessReviews/definitions';

/** Access reviews in chat: Lee gets the review card when the review starts and decides an item in it, through Graph. */
describe('access review cards', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  const clock = { t: Date.parse('2026-01-05T09:00:00Z'), now() { return new Date(this.t); } };

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    await server.portier.jobs.stop();
    await postActivity(server.url, activity(connector.url, people.lee, { text: 'help' }));
    connector.clear();
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  it('the reviewer decides an item in the card; the decision is recorded', async () => {
    const start = clock.t + 3600_000;
    const pkg = await buildRequestablePackage(server, {
      policy: {
        allowedTargetScope: 'allDirectoryUsers',
        reviewSettings: {
          isEnabled: true,
          expirationBehavior: 'keepAccess',
          isRecommendationEnabled: true,
          isReviewerJustificationRequired: false,
          isSelfReview: false,
          schedule: { startDateTime: new Date(start).toISOString(), expiration: { type: 'afterDuration', duration: 'PT2H' }, recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd' } } },
          primaryReviewers: [singleUser(demo.users.lee.id)],
          fallbackReviewers: [],
        },
      },
    });
    for (const userId of [demo.users.alex.id, demo.users.megan.id]) {
      const res = await server.graph('POST', `${em}/assignmentRequests`, { as: 'admin@contoso.test', body: { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId, targetId: userId } } });
      expect(res.status).toBe(201);
      await server.portier.jobs.runOnce();
    }
    clock.t = start + 1000;
    await server.portier.jobs.runOnce();

    const card = cardOf(connector.sent(people.lee.conversationId).find((c) => /review access/.test(cardText(cardOf(c)))));
    expect(card).toBeDefined();
    expect(cardText(card)).toMatch(/Alex Wilber/);
    const approve = JSON.parse(JSON.stringify(card)).body.flatMap((e: any) => (e.items ?? []).flatMap((i: any) => i.actions ?? [])).find((a: any) => a.verb === 'review.approve');
    expect(Object.keys(approve.data).sort()).toEqual(['decisionId', 'definitionId', 'instanceId', 'page']);
    const clicked = await postActivity(server.url, invoke(connector.url, people.lee, 'review.deny', { ...approve.data, [`justification_${approve.data.decisionId}`]: 'Left the project' }));
    expect(clicked.body.statusCode).toBe(200);
    expect(cardText(clicked.body.value)).toMatch(/Recorded: Deny/);
    const decision = await server.graph('GET', `${reviews}/${approve.data.definitionId}/instances/${approve.data.instanceId}/decisions/${approve.data.decisionId}`, { as: 'admin@contoso.test' });
    expect(decision.body).toMatchObject({ decision: 'Deny', justification: 'Left the project' });
  });
});
