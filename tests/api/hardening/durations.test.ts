import { demo } from '../../../bot/seed/tenant';
import { buildAccessPackage, buildCatalog, policyBody } from '../../helpers/factories';
import { admin, approval, buildRequestablePackage, eventsOf, readRequest, singleUser, stage, submit } from '../../helpers/requests';
import { em, startTestServer, TestServer } from '../../helpers/server';

/**
 * Durations are bounded (issue 8, item 5): zero is refused where a positive duration is meant, each
 * duration is capped at Entra's maximum, seconds keep working; and a timer that fails for good (a
 * duration beyond what dates can hold, saved before the bounds) ends its item failed with its event
 * instead of retrying forever.
 */
describe('durations', () => {
  let server: TestServer;
  const alex = 'alex@contoso.test';
  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
    await server.portier.jobs.stop();
  });
  afterAll(() => server.close());

  async function newPackage(): Promise<string> {
    const catalog = await buildCatalog(server, admin, { state: 'published' });
    return (await buildAccessPackage(server, admin, catalog.id)).id;
  }
  const createPolicy = async (overrides: Record<string, unknown>) => server.graph('POST', `${em}/assignmentPolicies`, { as: admin, body: policyBody(await newPackage(), overrides) });
  const expiration = (duration: string) => ({ expiration: { type: 'afterDuration', duration } });
  const withStage = (overrides: Record<string, unknown>) => ({ requestApprovalSettings: approval([stage([singleUser(demo.users.lee.id)], overrides)]) });
  const review = (duration: string) => ({
    reviewSettings: {
      isEnabled: true,
      expirationBehavior: 'keepAccess',
      schedule: { startDateTime: '2030-01-01T00:00:00Z', expiration: { type: 'afterDuration', duration }, recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd' } } },
      primaryReviewers: [singleUser(demo.users.lee.id)],
    },
  });
  const escalation = (duration: string) => withStage({ durationBeforeAutomaticDenial: 'P14D', isEscalationEnabled: true, durationBeforeEscalation: duration, escalationApprovers: [singleUser(demo.users.adele.id)] });

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['expiration PT0S', expiration('PT0S'), /expiration\.duration.*longer than zero/],
    ['expiration P0D', expiration('P0D'), /expiration\.duration.*longer than zero/],
    ['expiration P99999999Y', expiration('P99999999Y'), /expiration\.duration.*at most P3660D/],
    ['expiration P3661D', expiration('P3661D'), /at most P3660D/],
    ['expiration P11Y', expiration('P11Y'), /at most P3660D/],
    ['automatic denial PT0S', withStage({ durationBeforeAutomaticDenial: 'PT0S' }), /durationBeforeAutomaticDenial.*longer than zero/],
    ['automatic denial P15D', withStage({ durationBeforeAutomaticDenial: 'P15D' }), /durationBeforeAutomaticDenial.*at most P14D/],
    ['automatic denial P99999999Y', withStage({ durationBeforeAutomaticDenial: 'P99999999Y' }), /at most P14D/],
    ['escalation PT0S', escalation('PT0S'), /durationBeforeEscalation.*longer than zero/],
    ['escalation P15D', escalation('P15D'), /durationBeforeEscalation.*at most P14D/],
    ['review P0D', review('P0D'), /reviewSettings\.schedule\.expiration\.duration.*longer than zero/],
    ['review P181D', review('P181D'), /at most P180D/],
    ['grace period P99999999Y', { automaticRequestSettings: { requestAccessForAllowedTargets: false, removeAccessWhenTargetLeavesAllowedTargets: true, gracePeriodBeforeAccessRemoval: 'P99999999Y' } }, /gracePeriodBeforeAccessRemoval.*at most/],
  ];

  it.each(refused)('refuses %s with a 400 naming the field', async (_name, overrides, message) => {
    const res = await createPolicy(overrides);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it.each([
    ['expiration PT30S', expiration('PT30S')],
    ['expiration P3660D', expiration('P3660D')],
    ['expiration PT1H', expiration('PT1H')],
    ['automatic denial PT20S, escalation PT10S', withStage({ durationBeforeAutomaticDenial: 'PT20S', isEscalationEnabled: true, durationBeforeEscalation: 'PT10S', escalationApprovers: [singleUser(demo.users.adele.id)] })],
    ['automatic denial P14D', withStage({ durationBeforeAutomaticDenial: 'P14D' })],
    ['review PT2H', review('PT2H')],
    ['review P180D', review('P180D')],
  ])('accepts %s', async (_name, overrides) => {
    const res = await createPolicy(overrides);
    expect(res.status).toBe(201);
  });

  it('bounds durationUntilExternalUserDeletedAfterBlocked, zero meaning at once', async () => {
    const settings = `${em}/settings`;
    for (const bad of ['P99999999Y', 'P3661D']) {
      const res = await server.graph('PATCH', settings, { as: admin, body: { durationUntilExternalUserDeletedAfterBlocked: bad } });
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
      expect(res.body.error.message).toMatch(/durationUntilExternalUserDeletedAfterBlocked.*at most P3660D/);
    }
    for (const good of ['P0D', 'PT30S', 'P30D']) {
      expect((await server.graph('PATCH', settings, { as: admin, body: { durationUntilExternalUserDeletedAfterBlocked: good } })).status).toBe(204);
    }
  });

  it('refuses a requested schedule beyond the bounds', async () => {
    const pkg = await buildRequestablePackage(server, { policy: { requestorSettings: { enableTargetsToSelfAddAccess: true, allowCustomAssignmentSchedule: true } } });
    const res = await server.graph('POST', `${em}/assignmentRequests`, {
      as: alex,
      body: { requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId }, schedule: { startDateTime: new Date().toISOString(), expiration: { type: 'afterDuration', duration: 'P99999999Y' } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/at most P3660D/);
  });

  it('ends a delivery whose timer fails for good as deliveryFailed with its event, once, instead of retrying forever', async () => {
    const pkg = await buildRequestablePackage(server, { policy: { expiration: { type: 'afterDuration', duration: 'PT1H' } } });
    // A policy saved before durations were bounded: its expiration overflows every date.
    await server.portier.store.db.updateTable('assignment_policies').set({ expiration: JSON.stringify({ type: 'afterDuration', endDateTime: null, duration: 'P99999999Y' }) }).where('id', '=', pkg.policyId).execute();
    const id = await submit(server, alex, pkg.packageId);
    for (let i = 0; i < 5; i++) await server.portier.jobs.runOnce();
    const request = await readRequest(server, id);
    expect(request.state).toBe('deliveryFailed');
    expect(request.assignment.state).toBe('deliveryFailed');
    const failed = await eventsOf(server, 'assignment.deliveryFailed', request.assignment.id);
    expect(failed).toHaveLength(1);
    expect(failed[0].payload).toMatchObject({ nextAttemptDateTime: null, error: expect.stringMatching(/RangeError/) });
    const given = await eventsOf(server, 'timer.failed', request.assignment.id);
    expect(given).toHaveLength(1);
    expect(given[0].payload).toMatchObject({ kind: expect.any(String), error: expect.stringMatching(/RangeError/) });
    const left = await server.portier.store.db.selectFrom('timers').select('id').where('subjectId', '=', request.assignment.id).execute();
    expect(left).toEqual([]);
  });
});
