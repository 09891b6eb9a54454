import { demo } from '../../bot/seed/tenant';
import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { approval, buildRequestablePackage, singleUser, stage } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';
import { activity, people, postActivity } from '../helpers/teams';

const minute = 60_000;

/**
 * Reminder, escalation and automatic denial as the approvers see them: Lee is reminded half-way, Adele
 * gets the card as escalation approver, and when nobody decides both cards end showing the request is
 * decided by nobody (denied by Entitlement Management) while Megan hears it expired.
 */
describe('reminder, escalation and expiry of an approval', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  const clock = { t: Date.parse('2026-03-02T09:00:00Z'), now() { return new Date(this.t); } };

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    await server.portier.jobs.stop();
    for (const who of [people.lee, people.adele, people.megan]) await postActivity(server.url, activity(connector.url, who, { text: 'help' }));
    connector.clear();
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  it('reminds, escalates, and closes every card when nobody decides', async () => {
    const pkg = await buildRequestablePackage(server, {
      policy: {
        requestApprovalSettings: approval([
          stage([singleUser(demo.users.lee.id)], { durationBeforeAutomaticDenial: 'PT10M', isEscalationEnabled: true, durationBeforeEscalation: 'PT4M', escalationApprovers: [singleUser(demo.users.adele.id)], fallbackEscalationApprovers: [] }),
        ]),
      },
    });
    const submitted = await server.graph('POST', `${em}/assignmentRequests`, { as: 'megan@contoso.test', body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } } });
    expect(submitted.status).toBe(201);
    await server.portier.jobs.runOnce();
    expect(connector.sent(people.lee.conversationId)).toHaveLength(1);

    clock.t += 2 * minute;
    await server.portier.jobs.runOnce();
    expect(cardText(cardOf(connector.sent(people.lee.conversationId).at(-1)))).toMatch(/Reminder/);

    clock.t += 2 * minute;
    await server.portier.jobs.runOnce();
    const adeleCard = cardOf(connector.sent(people.adele.conversationId).at(-1));
    expect(cardText(adeleCard)).toMatch(/escalation approver/);
    expect(adeleCard.actions.map((a: { verb: string }) => a.verb)).toEqual(['approval.approve', 'approval.deny']);

    clock.t += 7 * minute;
    await server.portier.jobs.runOnce();
    for (const who of [people.lee, people.adele]) {
      const last = cardOf(connector.updates(who.conversationId).at(-1));
      expect(cardText(last)).toMatch(/Denied by Entitlement Management/);
      expect(last.actions ?? []).toEqual([]);
    }
    // Lee holds two cards (the first and the reminder): both were brought up to date.
    expect(new Set(connector.updates(people.lee.conversationId).map((u) => u.activityId)).size).toBe(2);
    expect(connector.sent(people.megan.conversationId).map((c) => cardText(cardOf(c))).join('\n')).toMatch(/expired: nobody decided in time/);
  });
});
