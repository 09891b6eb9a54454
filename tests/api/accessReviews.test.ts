import { reviewTimerKinds } from '../../bot/commands/reviews/syncDefinitions';
import { eventTypes } from '../../bot/events/types';
import { entitlementRoles } from '../../bot/domain/roles';
import { demo } from '../../bot/seed/tenant';
import { buildUser, grantCatalogRole } from '../helpers/factories';
import { buildRequestablePackage, eventsOf, singleUser, TestPackage } from '../helpers/requests';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * Access reviews from policies' reviewSettings (DESIGN §1 step 11, §5 "Reviews per reviewSettings"),
 * over HTTP with a movable clock: the sweep creates the definition, the review starts on schedule
 * with one decision per active assignment, reviewers resolved like approvers (sponsors, manager,
 * fallback, catalog owners, self-review), a recommendation from recent sign-ins; reviewers PATCH
 * their decisions; at the end Deny and expirationBehavior are applied; recurrence starts the next one.
 */
const admin = 'admin@contoso.test';
const lee = 'lee@contoso.test';
const adele = 'adele@contoso.test';
const alex = 'alex@contoso.test';
const megan = 'megan@contoso.test';
const ruth = 'ruth@fabrikam.test';
const { users } = demo;
const minute = 60 * 1000;
const hour = 60 * minute;
const day = 24 * hour;
const reviews = 'identityGovernance/accessReviews/definitions';
const internalSponsors = { '@odata.type': '#microsoft.graph.internalSponsors' };
const externalSponsors = { '@odata.type': '#microsoft.graph.externalSponsors' };
const requestorManager = { '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 };

function reviewSettings(start: number, overrides: Record<string, unknown> = {}, schedule: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    isEnabled: true,
    expirationBehavior: 'keepAccess',
    isRecommendationEnabled: true,
    isReviewerJustificationRequired: false,
    isSelfReview: false,
    schedule: {
      startDateTime: new Date(start).toISOString(),
      expiration: { type: 'afterDuration', duration: 'PT2H' },
      recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd' } },
      ...schedule,
    },
    primaryReviewers: [singleUser(users.lee.id)],
    fallbackReviewers: [],
    ...overrides,
  };
}

describe('access reviews', () => {
  let server: TestServer;
  const clock = { t: 0, now() { return new Date(this.t); } };
  const db = () => server.portier.store.db;
  const advance = async (ms: number) => {
    clock.t += ms;
    await server.portier.jobs.runOnce();
  };

  beforeEach(async () => {
    clock.t = Date.parse('2026-01-05T09:00:00Z');
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' }, clock });
    // The test alone runs the jobs, so what it reads is settled.
    await server.portier.jobs.stop();
  });
  afterEach(() => server.close());

  /** A package granting a group of its own, with one policy for everybody in the directory and these review settings. */
  async function reviewedPackage(settings: Record<string, unknown>): Promise<TestPackage> {
    return buildRequestablePackage(server, { policy: { allowedTargetScope: 'allDirectoryUsers', reviewSettings: settings } });
  }

  /** An administrator assigns the package to `userId` (adminAdd, no approval); delivery runs. Returns the assignment id. */
  async function assign(pkg: TestPackage, userId: string): Promise<string> {
    const res = await server.graph('POST', `${em}/assignmentRequests`, {
      as: admin,
      body: { requestType: 'adminAdd', assignment: { accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId, targetId: userId } },
    });
    expect(res.status).toBe(201);
    await server.portier.jobs.runOnce();
    const request = await db().selectFrom('assignment_requests').select(['state', 'assignmentId']).where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(request.state).toBe('delivered');
    return request.assignmentId as string;
  }

  async function definitionOf(pkg: TestPackage): Promise<string> {
    const row = await db().selectFrom('access_review_definitions').select('id').where('assignmentPolicyId', '=', pkg.policyId).executeTakeFirstOrThrow();
    return row.id;
  }

  async function instancesOf(definitionId: string, as = admin): Promise<any[]> {
    const res = await server.graph('GET', `${reviews}/${definitionId}/instances?$orderby=startDateTime`, { as });
    expect(res.status).toBe(200);
    return res.body.value;
  }

  async function decisionsOf(definitionId: string, instanceId: string, as = admin): Promise<any[]> {
    const res = await server.graph('GET', `${reviews}/${definitionId}/instances/${instanceId}/decisions`, { as });
    expect(res.status).toBe(200);
    return res.body.value;
  }

  async function reviewersOf(decisionId: string): Promise<Array<{ userId: string; kind: string }>> {
    return db().selectFrom('access_review_reviewers').select(['userId', 'kind']).where('decisionId', '=', decisionId).orderBy('userId').execute();
  }

  const decisionFor = (decisions: any[], userId: string) => {
    const found = decisions.find((d) => d.principal.id === userId);
    if (!found) throw new Error(`no decision for ${userId} in ${JSON.stringify(decisions)}`);
    return found;
  };

  const isMember = async (groupId: string, userId: string) =>
    (await db().selectFrom('group_members').select('memberId').where('groupId', '=', groupId).where('memberId', '=', userId).executeTakeFirst()) !== undefined;

  const patch = (definitionId: string, instanceId: string, decisionId: string, as: string, body: Record<string, unknown>) =>
    server.graph('PATCH', `${reviews}/${definitionId}/instances/${instanceId}/decisions/${decisionId}`, { as, body });

  it('starts on schedule with sponsors and fallback as reviewers and a recommendation from recent sign-ins', async () => {
    // Alex signs in now, then nothing for 31 days; Ruth signs in the day the review starts.
    expect((await server.graph('GET', 'me', { as: alex })).status).toBe(200);
    const start = clock.t + 31 * day + hour;
    const pkg = await reviewedPackage(reviewSettings(start, { primaryReviewers: [internalSponsors, externalSponsors], fallbackReviewers: [singleUser(users.lee.id)] }));
    const alexAssignment = await assign(pkg, users.alex.id);
    const ruthAssignment = await assign(pkg, demo.ruthGuest.id);

    const definitionId = await definitionOf(pkg);
    const before = await server.graph('GET', `${reviews}/${definitionId}`, { as: admin });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      id: definitionId,
      status: 'NotStarted',
      scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', queryType: 'MicrosoftGraph' },
      settings: { recommendationsEnabled: true, autoApplyDecisionsEnabled: true, defaultDecisionEnabled: false, justificationRequiredOnApproval: false },
      fallbackReviewers: [{ query: `/users/${users.lee.id}`, queryType: 'MicrosoftGraph' }],
    });
    expect(before.body.scope.query).toContain(pkg.policyId);
    expect(await instancesOf(definitionId)).toEqual([]);

    await advance(31 * day);
    expect((await server.graph('GET', 'me', { as: ruth })).status).toBe(200);
    await advance(hour - minute);
    expect(await instancesOf(definitionId)).toEqual([]);
    await advance(minute);

    const [instance] = await instancesOf(definitionId);
    expect(instance).toMatchObject({ status: 'InProgress', startDateTime: new Date(start).toISOString(), endDateTime: new Date(start + 2 * hour).toISOString() });
    expect(instance.reviewers).toEqual(before.body.reviewers);
    expect((await server.graph('GET', `${reviews}/${definitionId}`, { as: admin })).body.status).toBe('InProgress');

    const decisions = await decisionsOf(definitionId, instance.id);
    expect(decisions).toHaveLength(2);
    const alexDecision = decisionFor(decisions, users.alex.id);
    expect(alexDecision).toMatchObject({
      accessReviewId: instance.id,
      decision: 'NotReviewed',
      applyResult: 'New',
      recommendation: 'Deny',
      principal: { '@odata.type': '#microsoft.graph.userIdentity', id: users.alex.id, displayName: users.alex.name, userPrincipalName: alex },
      resource: { id: pkg.packageId, type: 'accessPackage' },
      reviewedBy: { id: '00000000-0000-0000-0000-000000000000' },
      reviewedDateTime: null,
    });
    expect(alexDecision.principalLink).toMatch(new RegExp(`/graph/v1\\.0/users/${users.alex.id}$`));
    expect(alexDecision.resourceLink).toMatch(new RegExp(`/accessPackages/${pkg.packageId}$`));
    const ruthDecision = decisionFor(decisions, demo.ruthGuest.id);
    expect(ruthDecision.recommendation).toBe('Approve');

    // Alex has no organization, so no sponsor: the fallback reviews. Ruth's internal sponsor reviews;
    // she is Fabrikam's external sponsor herself, but never reviews her own access.
    expect(await reviewersOf(alexDecision.id)).toEqual([{ userId: users.lee.id, kind: 'fallback' }]);
    expect(await reviewersOf(ruthDecision.id)).toEqual([{ userId: users.adele.id, kind: 'primary' }]);
    const [started] = await eventsOf(server, eventTypes.reviewStarted, instance.id);
    expect(started.payload).toMatchObject({ definitionId, instanceId: instance.id, endDateTime: instance.endDateTime });
    expect([...started.payload.reviewerIds].sort()).toEqual([users.adele.id, users.lee.id].sort());
    const endTimer = await db().selectFrom('timers').select('dueAt').where('kind', '=', reviewTimerKinds.end).where('subjectId', '=', instance.id).executeTakeFirstOrThrow();
    expect(endTimer.dueAt).toBe(instance.endDateTime);
    expect([alexAssignment, ruthAssignment].sort()).toEqual(
      (await db().selectFrom('access_review_decisions').select('assignmentId').where('instanceId', '=', instance.id).execute()).map((d) => d.assignmentId).sort(),
    );

    // Reviewers see what they review, and only their own decisions; others see nothing.
    const mine = await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions/filterByCurrentUser(on='reviewer')`, { as: adele });
    expect(mine.status).toBe(200);
    expect(mine.body.value.map((d: any) => d.id)).toEqual([ruthDecision.id]);
    expect((await decisionsOf(definitionId, instance.id, adele)).map((d) => d.id)).toEqual([ruthDecision.id]);
    expect((await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions/${alexDecision.id}`, { as: adele })).status).toBe(404);
    expect((await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions/${alexDecision.id}`, { as: lee })).body.id).toBe(alexDecision.id);
    const leeDefinitions = await server.graph('GET', `${reviews}/filterByCurrentUser(on='reviewer')`, { as: lee });
    expect(leeDefinitions.body.value.map((d: any) => d.id)).toEqual([definitionId]);
    expect((await instancesOf(definitionId, lee)).map((i) => i.id)).toEqual([instance.id]);
    expect((await server.graph('GET', `${reviews}/filterByCurrentUser(on='reviewer')`, { as: alex })).body.value).toEqual([]);
    expect((await server.graph('GET', `${reviews}/filterByCurrentUser(on='owner')`, { as: alex })).status).toBe(400);
    expect((await server.graph('GET', `${reviews}/${definitionId}`, { as: alex })).status).toBe(404);
    expect((await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions`, { as: megan })).status).toBe(404);
    expect((await server.graph('GET', reviews, { as: alex })).body.value).toEqual([]);
    // Administrators read everything, with $filter and $top.
    const denied = await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions?$filter=recommendation eq 'Deny'&$top=1`, { as: admin });
    expect(denied.body.value.map((d: any) => d.id)).toEqual([alexDecision.id]);
    const byPrincipal = await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions?$filter=principal/id eq '${demo.ruthGuest.id}'`, { as: admin });
    expect(byPrincipal.body.value.map((d: any) => d.id)).toEqual([ruthDecision.id]);
    expect((await server.graph('GET', reviews, { as: admin })).body.value.map((d: any) => d.id)).toContain(definitionId);
  });

  it('records decisions by reviewers only, applies Deny and expirationBehavior at the end, and recurs', async () => {
    const start = clock.t + hour;
    const pkg = await reviewedPackage(reviewSettings(start, { expirationBehavior: 'removeAccess', isReviewerJustificationRequired: true }, { expiration: { type: 'afterDuration', duration: 'PT30M' } }));
    const alexAssignment = await assign(pkg, users.alex.id);
    const adeleAssignment = await assign(pkg, users.adele.id);
    const meganAssignment = await assign(pkg, users.megan.id);
    expect(await isMember(pkg.groupId, users.alex.id)).toBe(true);
    const definitionId = await definitionOf(pkg);
    await advance(hour);
    const [instance] = await instancesOf(definitionId);
    const decisions = await decisionsOf(definitionId, instance.id);
    expect(decisions).toHaveLength(3);
    const alexDecision = decisionFor(decisions, users.alex.id);
    const adeleDecision = decisionFor(decisions, users.adele.id);
    const meganDecision = decisionFor(decisions, users.megan.id);

    // Not a reviewer: catalog staff are refused, anyone else finds nothing.
    expect((await patch(definitionId, instance.id, alexDecision.id, megan, { decision: 'Approve', justification: 'x' })).status).toBe(404);
    const staff = await patch(definitionId, instance.id, alexDecision.id, admin, { decision: 'Approve', justification: 'x' });
    expect(staff.status).toBe(403);
    // Justification is required by the policy; the body is Graph's.
    const unjustified = await patch(definitionId, instance.id, alexDecision.id, lee, { decision: 'Deny' });
    expect(unjustified.status).toBe(400);
    expect(unjustified.body.error.message).toMatch(/justification/);
    expect((await patch(definitionId, instance.id, alexDecision.id, lee, { decision: 'Remove', justification: 'x' })).status).toBe(400);
    expect((await patch(definitionId, instance.id, alexDecision.id, lee, { decision: 'Deny', justification: 'Left the project', reviewedBy: {} })).status).toBe(400);

    expect((await patch(definitionId, instance.id, alexDecision.id, lee, { decision: 'Deny', justification: 'Left the project' })).status).toBe(204);
    expect((await patch(definitionId, instance.id, adeleDecision.id, lee, { decision: 'Approve', justification: 'Still on it' })).status).toBe(204);
    const recorded = await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions/${alexDecision.id}`, { as: lee });
    expect(recorded.body).toMatchObject({ decision: 'Deny', justification: 'Left the project', reviewedBy: { id: users.lee.id, userPrincipalName: lee }, reviewedDateTime: clock.now().toISOString(), applyResult: 'New' });
    expect(await isMember(pkg.groupId, users.alex.id)).toBe(true);

    // The end: Alex denied loses the group and the assignment; Adele approved keeps both; Megan,
    // unanswered, is removed by removeAccess.
    await advance(30 * minute);
    expect((await instancesOf(definitionId))[0].status).toBe('Completed');
    const assignment = async (id: string) => db().selectFrom('assignments').select(['state', 'status', 'activeKey']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await assignment(alexAssignment)).toMatchObject({ state: 'expired', status: 'Removed', activeKey: null });
    expect(await assignment(meganAssignment)).toMatchObject({ state: 'expired', status: 'Removed' });
    expect(await assignment(adeleAssignment)).toMatchObject({ state: 'delivered' });
    expect(await isMember(pkg.groupId, users.alex.id)).toBe(false);
    expect(await isMember(pkg.groupId, users.megan.id)).toBe(false);
    expect(await isMember(pkg.groupId, users.adele.id)).toBe(true);
    const applied = await decisionsOf(definitionId, instance.id);
    for (const d of applied) expect(d).toMatchObject({ applyResult: 'AppliedSuccessfully', appliedBy: { displayName: 'Entitlement Management' }, appliedDateTime: clock.now().toISOString() });
    expect(decisionFor(applied, users.megan.id).decision).toBe('NotReviewed');
    const [removedEvent] = await eventsOf(server, eventTypes.assignmentRemoved, alexAssignment);
    expect(removedEvent.payload.reason).toBe('Denied in access review');
    const [completed] = await eventsOf(server, eventTypes.reviewCompleted, instance.id);
    expect(completed.payload).toMatchObject({ definitionId, instanceId: instance.id, removed: 2, kept: 1 });
    // The reviewers who were told it started are told it ended (the completion names no reviewers: the notifier
    // finds them through the instance's decisions).
    const told = async (type: string) => (await db().selectFrom('notifications').select('recipientId').where('eventType', '=', type).where('subjectId', '=', instance.id).execute()).map((n) => n.recipientId).sort();
    expect(await told(eventTypes.reviewStarted)).toContain(users.lee.id);
    expect(await told(eventTypes.reviewCompleted)).toEqual(await told(eventTypes.reviewStarted));

    // A finished review takes no more decisions.
    const late = await patch(definitionId, instance.id, adeleDecision.id, lee, { decision: 'Deny', justification: 'Too late' });
    expect(late.status).toBe(409);

    // Every step left an audit record.
    const audit = async (activity: string) =>
      (await server.graph('GET', `auditLogs/directoryAudits?$filter=activityDisplayName eq '${activity}'`, { as: admin })).body.value as any[];
    const recordedAudits = await audit('Record access review decision');
    expect(recordedAudits).toHaveLength(2);
    expect(recordedAudits.map((a) => a.initiatedBy.user.id)).toEqual([users.lee.id, users.lee.id]);
    expect(recordedAudits.flatMap((a) => a.additionalDetails).find((d: any) => d.key === 'justification' && d.value === 'Left the project')).toBeTruthy();
    expect(await audit('Start access review')).toHaveLength(1);
    expect(await audit('Apply access review decisions')).toHaveLength(1);
    const removals = (await audit('Remove access package assignment')).filter((a) => a.targetResources.some((t: any) => t.id === alexAssignment || t.id === meganAssignment));
    expect(removals).toHaveLength(2);

    // Daily recurrence: the next review starts a day after the first, with the one person left.
    await advance(day - 30 * minute - minute);
    expect(await instancesOf(definitionId)).toHaveLength(1);
    await advance(minute);
    const both = await instancesOf(definitionId);
    expect(both).toHaveLength(2);
    expect(both[1]).toMatchObject({ status: 'InProgress', startDateTime: new Date(start + day).toISOString() });
    expect((await decisionsOf(definitionId, both[1].id)).map((d) => d.principal.id)).toEqual([users.adele.id]);
  });

  it('lets people review themselves, applies recommendations to unanswered decisions, and ends a numbered series', async () => {
    const start = clock.t + hour;
    const pkg = await reviewedPackage(
      reviewSettings(start, { isSelfReview: true, primaryReviewers: [], expirationBehavior: 'acceptAccessRecommendation' }, { recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { type: 'numbered', numberOfOccurrences: 1 } } }),
    );
    const alexAssignment = await assign(pkg, users.alex.id);
    const meganAssignment = await assign(pkg, users.megan.id);
    const adeleAssignment = await assign(pkg, users.adele.id);
    const definitionId = await definitionOf(pkg);
    expect((await server.graph('GET', `${reviews}/${definitionId}`, { as: admin })).body.reviewers).toEqual([]);
    await advance(hour - 10 * minute);
    // Alex and Adele were active recently; Megan never signed in.
    expect((await server.graph('GET', 'me', { as: alex })).status).toBe(200);
    expect((await server.graph('GET', 'me', { as: adele })).status).toBe(200);
    await advance(10 * minute);
    const [instance] = await instancesOf(definitionId);
    const decisions = await decisionsOf(definitionId, instance.id);
    for (const d of decisions) expect(await reviewersOf(d.id)).toEqual([{ userId: d.principal.id, kind: 'self' }]);
    const alexDecision = decisionFor(decisions, users.alex.id);
    const adeleDecision = decisionFor(decisions, users.adele.id);
    expect(alexDecision.recommendation).toBe('Approve');
    expect(decisionFor(decisions, users.megan.id).recommendation).toBe('Deny');

    // Alex reviews his own access, and nobody else's.
    const own = await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}/decisions/filterByCurrentUser(on='reviewer')`, { as: alex });
    expect(own.body.value.map((d: any) => d.id)).toEqual([alexDecision.id]);
    expect((await patch(definitionId, instance.id, decisionFor(decisions, users.megan.id).id, alex, { decision: 'Approve' })).status).toBe(404);
    expect((await patch(definitionId, instance.id, alexDecision.id, alex, { decision: 'DontKnow' })).status).toBe(204);
    // Adele says she no longer needs it, whatever the recommendation.
    expect((await patch(definitionId, instance.id, adeleDecision.id, adele, { decision: 'Deny' })).status).toBe(204);

    await advance(2 * hour);
    // DontKnow follows the recommendation (Approve: kept); Megan's Deny recommendation removes her.
    const state = async (id: string) => (await db().selectFrom('assignments').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
    expect(await state(alexAssignment)).toBe('delivered');
    expect(await state(meganAssignment)).toBe('expired');
    expect(await state(adeleAssignment)).toBe('expired');
    const [completed] = await eventsOf(server, eventTypes.reviewCompleted, instance.id);
    expect(completed.payload).toMatchObject({ removed: 2, kept: 1 });
    // One occurrence only: the series is over.
    expect((await server.graph('GET', `${reviews}/${definitionId}`, { as: admin })).body.status).toBe('Completed');
    expect(await db().selectFrom('timers').select('id').where('kind', '=', reviewTimerKinds.start).where('subjectId', '=', definitionId).executeTakeFirst()).toBeUndefined();
    await advance(8 * day);
    expect(await instancesOf(definitionId)).toHaveLength(1);
  });

  it('asks the manager, then the catalog owners when nobody else can review', async () => {
    const start = clock.t + hour;
    const pkg = await reviewedPackage(reviewSettings(start, { primaryReviewers: [requestorManager], fallbackReviewers: [], isRecommendationEnabled: false }));
    // Adele owns the catalog; Lee reads it.
    await grantCatalogRole(server, admin, users.adele.id, entitlementRoles.catalogOwner, pkg.catalogId);
    await grantCatalogRole(server, admin, users.lee.id, entitlementRoles.catalogReader, pkg.catalogId);
    await assign(pkg, users.alex.id);
    await assign(pkg, users.megan.id);
    const definitionId = await definitionOf(pkg);
    await advance(hour);
    const [instance] = await instancesOf(definitionId);
    const decisions = await decisionsOf(definitionId, instance.id);
    // Alex's manager is Lee; Megan has no manager and no fallback: the catalog owner reviews.
    expect(await reviewersOf(decisionFor(decisions, users.alex.id).id)).toEqual([{ userId: users.lee.id, kind: 'primary' }]);
    expect(await reviewersOf(decisionFor(decisions, users.megan.id).id)).toEqual([{ userId: users.adele.id, kind: 'fallback' }]);
    for (const d of decisions) expect(d.recommendation).toBe('NoInfoAvailable');
    // Lee reads every decision of the catalog (catalog reader), but may only decide his own.
    expect(await decisionsOf(definitionId, instance.id, lee)).toHaveLength(2);
    expect((await patch(definitionId, instance.id, decisionFor(decisions, users.megan.id).id, lee, { decision: 'Deny' })).status).toBe(403);
    expect((await patch(definitionId, instance.id, decisionFor(decisions, users.megan.id).id, adele, { decision: 'Approve' })).status).toBe(204);
  });

  it('follows policy changes: a new schedule moves the start, turning reviews off ends the series', async () => {
    const pkg = await reviewedPackage(reviewSettings(clock.t + day));
    await server.portier.jobs.runOnce();
    const definitionId = await definitionOf(pkg);
    const startTimer = async () => (await db().selectFrom('timers').select('dueAt').where('kind', '=', reviewTimerKinds.start).where('subjectId', '=', definitionId).executeTakeFirst())?.dueAt;
    expect(await startTimer()).toBe(new Date(clock.t + day).toISOString());

    const policy = (await server.graph('GET', `${em}/assignmentPolicies/${pkg.policyId}`, { as: admin })).body;
    const { id: _id, createdDateTime: _c, modifiedDateTime: _m, '@odata.context': _ctx, ...body } = policy;
    const moved = await server.graph('PUT', `${em}/assignmentPolicies/${pkg.policyId}`, { as: admin, body: { ...body, reviewSettings: reviewSettings(clock.t + 2 * day) } });
    expect(moved.status).toBe(200);
    await advance(2 * minute);
    expect(await startTimer()).toBe(new Date(clock.t - 2 * minute + 2 * day).toISOString());

    const off = await server.graph('PUT', `${em}/assignmentPolicies/${pkg.policyId}`, { as: admin, body: { ...body, reviewSettings: { ...reviewSettings(clock.t + 2 * day), isEnabled: false } } });
    expect(off.status).toBe(200);
    await advance(2 * minute);
    expect(await startTimer()).toBeUndefined();
    expect((await server.graph('GET', `${reviews}/${definitionId}`, { as: admin })).body.status).toBe('Completed');
    await advance(3 * day);
    expect(await instancesOf(definitionId)).toEqual([]);
  });

  it('a decision racing the end of the review is either applied or refused with 409, never lost', async () => {
    const start = clock.t + hour;
    const pkg = await reviewedPackage(reviewSettings(start, {}, { expiration: { type: 'afterDuration', duration: 'PT30M' }, recurrence: null }));
    const people: Array<{ id: string }> = [];
    for (let i = 0; i < 8; i++) people.push(await buildUser(server, admin));
    const assignmentOf = new Map<string, string>();
    for (const person of people) assignmentOf.set(person.id, await assign(pkg, person.id));
    const definitionId = await definitionOf(pkg);
    await advance(hour);
    const [instance] = await instancesOf(definitionId);
    const decisions = await decisionsOf(definitionId, instance.id);
    expect(decisions).toHaveLength(8);

    clock.t += 30 * minute;
    await server.token(lee);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // Decisions keep arriving, a few milliseconds apart, while the end is applied.
    const [answers] = await Promise.all([
      Promise.all(decisions.map(async (d, i) => {
        await sleep(i * 25);
        return patch(definitionId, instance.id, d.id, lee, { decision: 'Deny' });
      })),
      sleep(60).then(() => server.portier.jobs.runOnce()),
    ]);
    for (const [i, d] of decisions.entries()) {
      const row = await db().selectFrom('assignments').select('state').where('id', '=', assignmentOf.get(d.principal.id) as string).executeTakeFirstOrThrow();
      const applied = await db().selectFrom('access_review_decisions').select(['decision', 'applyResult']).where('id', '=', d.id).executeTakeFirstOrThrow();
      expect([204, 409]).toContain(answers[i].status);
      // Recorded in time: applied (removed); too late: refused, and the review kept the access (keepAccess).
      expect({ status: answers[i].status, state: row.state, decision: applied.decision, applyResult: applied.applyResult }).toEqual(
        answers[i].status === 204
          ? { status: 204, state: 'expired', decision: 'Deny', applyResult: 'AppliedSuccessfully' }
          : { status: 409, state: 'delivered', decision: 'NotReviewed', applyResult: 'AppliedSuccessfully' },
      );
    }
  });

  it('records sign-ins at most once an hour', async () => {
    const lastSignIn = async () => (await db().selectFrom('users').select('lastSignInDateTime').where('id', '=', users.megan.id).executeTakeFirstOrThrow()).lastSignInDateTime;
    expect(await lastSignIn()).toBeNull();
    const first = clock.now().toISOString();
    await server.graph('GET', 'me', { as: megan });
    expect(await lastSignIn()).toBe(first);
    clock.t += 59 * minute;
    await server.graph('GET', 'me', { as: megan });
    expect(await lastSignIn()).toBe(first);
    clock.t += 2 * minute;
    await server.graph('GET', 'me', { as: megan });
    expect(await lastSignIn()).toBe(clock.now().toISOString());
  });

  it('expands definitions to instances and instances to decisions and stages, as Graph documents, within what the caller may read', async () => {
    const pkg = await reviewedPackage(reviewSettings(clock.t + hour));
    await assign(pkg, users.alex.id);
    await assign(pkg, users.adele.id);
    await advance(hour + minute);
    const definitionId = await definitionOf(pkg);

    const definition = await server.graph('GET', `${reviews}/${definitionId}?$expand=instances`, { as: admin });
    expect(definition.status).toBe(200);
    expect(definition.body.instances).toHaveLength(1);
    const [instance] = definition.body.instances;
    // An expanded instance carries its definition's scope and reviewers, like one read directly.
    const directly = await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}`, { as: admin });
    expect(instance).toEqual(Object.fromEntries(Object.entries(directly.body).filter(([key]) => !key.startsWith('@odata'))));
    expect(instance.scope).toMatchObject({ queryType: 'MicrosoftGraph' });
    const listed = await server.graph('GET', `${reviews}?$expand=instances($select=id,status)`, { as: admin });
    expect(listed.body.value.find((d: any) => d.id === definitionId).instances).toEqual([{ id: instance.id, status: 'InProgress' }]);

    const withDecisions = await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}?$expand=decisions,stages`, { as: admin });
    expect(withDecisions.status).toBe(200);
    expect(withDecisions.body.stages).toEqual([]);
    expect(withDecisions.body.decisions.map((d: any) => d.principal.id).sort()).toEqual([users.adele.id, users.alex.id].sort());
    expect(withDecisions.body.decisions[0].principalLink).toMatch(/^http.*\/users\//);
    // The reviewer reads them too; someone who is neither reviewer nor catalog staff reads nothing.
    expect((await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}?$expand=decisions`, { as: lee })).body.decisions).toHaveLength(2);
    expect((await server.graph('GET', `${reviews}/${definitionId}?$expand=instances`, { as: alex })).status).toBe(404);
    expect((await server.graph('GET', `${reviews}/${definitionId}/instances/${instance.id}?$expand=decisions`, { as: alex })).status).toBe(404);
    // Megan owns the demo's catalog: she reads its review, not this one.
    const megans = (await server.graph('GET', `${reviews}?$expand=instances`, { as: megan })).body.value.map((d: any) => d.id);
    expect(megans).not.toContain(definitionId);
    // A navigation Graph does not have is still refused.
    expect((await server.graph('GET', `${reviews}/${definitionId}?$expand=owners`, { as: admin })).status).toBe(400);
  });
});
