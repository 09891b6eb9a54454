import { randomUUID } from 'node:crypto';
import { demo } from '../../bot/seed/tenant';
import { startTestServer, TestServer, em } from '../helpers/server';

const admin = 'admin@contoso.test';
const megan = 'megan@contoso.test';
const alex = 'alex@contoso.test';
const policies = `${em}/assignmentPolicies`;
const { lee, adele } = demo.users;

/** The demo's policy: Fabrikam only, their sponsors approve with Lee as fallback, 90 days, quarterly review. */
function demoPolicy(accessPackageId: string, fabrikamId: string) {
  return {
    displayName: 'Fabrikam partners',
    description: 'People of Fabrikam request; their sponsors approve.',
    allowedTargetScope: 'specificConnectedOrganizationUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: fabrikamId, description: 'Fabrikam' }],
    expiration: { type: 'afterDuration', duration: 'P90D' },
    requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true, allowCustomAssignmentSchedule: false },
    requestApprovalSettings: {
      isApprovalRequiredForAdd: true,
      isApprovalRequiredForUpdate: true,
      isRequestorJustificationRequired: true,
      stages: [
        {
          durationBeforeAutomaticDenial: 'P14D',
          isApproverJustificationRequired: false,
          isEscalationEnabled: false,
          primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }],
          fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: lee.id, description: 'Lee Gu' }],
        },
      ],
    },
    reviewSettings: {
      isEnabled: true,
      expirationBehavior: 'removeAccess',
      isRecommendationEnabled: true,
      isReviewerJustificationRequired: true,
      isSelfReview: false,
      schedule: {
        startDateTime: '2030-01-01T00:00:00Z',
        expiration: { type: 'afterDuration', duration: 'P14D' },
        recurrence: { pattern: { type: 'absoluteMonthly', interval: 3, month: 0, dayOfMonth: 0, daysOfWeek: [] }, range: { type: 'noEnd', numberOfOccurrences: 0 } },
      },
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.internalSponsors' }],
      fallbackReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: adele.id }],
    },
    questions: [
      { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', sequence: 1, isRequired: true, isAnswerEditable: false, text: 'Project code', isSingleLineQuestion: true, regexPattern: '^FAL-[0-9]{4}$' },
      {
        '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
        sequence: 2,
        isRequired: false,
        text: 'Role',
        choices: [
          { actualValue: 'eng', text: 'Engineering' },
          { actualValue: 'pm', text: 'Project management' },
        ],
        isMultipleSelectionAllowed: false,
      },
    ],
    accessPackage: { id: accessPackageId },
  };
}

describe('assignmentPolicies', () => {
  let server: TestServer;
  let externalCatalog: string;
  let internalCatalog: string;
  let externalPackage: string;
  let internalPackage: string;
  let fabrikam: string;
  const db = () => server.portier.store.db;

  async function newCatalog(as: string, displayName: string, isExternallyVisible = true): Promise<string> {
    const res = await server.graph('POST', `${em}/catalogs`, { as, body: { displayName, isExternallyVisible } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** Packages are inserted directly: these tests are about policies, not package routes. */
  async function newPackage(catalogId: string, displayName: string): Promise<string> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await db().insertInto('access_packages').values({ id, catalogId, displayName, description: null, isHidden: 0, createdDateTime: now, modifiedDateTime: now }).execute();
    return id;
  }

  const policyCount = async () => Number((await db().selectFrom('assignment_policies').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  /** A minimal valid policy for all members. */
  const memberPolicy = (accessPackageId: string, extra: Record<string, unknown> = {}) => ({ displayName: 'Members', allowedTargetScope: 'allMemberUsers', accessPackage: { id: accessPackageId }, ...extra });

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_SEED: 'directory' } });
    externalCatalog = await newCatalog(admin, 'Partners');
    internalCatalog = await newCatalog(admin, 'Internal only', false);
    externalPackage = await newPackage(externalCatalog, 'Falcon partner access');
    internalPackage = await newPackage(internalCatalog, 'Internal tools');
    const org = await server.graph('POST', `${em}/connectedOrganizations`, {
      as: admin,
      body: { displayName: 'Fabrikam', identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: demo.fabrikam.id, displayName: 'Fabrikam' }] },
    });
    expect(org.status).toBe(201);
    fabrikam = org.body.id;
  });
  afterAll(() => server.close());

  it("creates the demo's policy and reads it back identical", async () => {
    const body = demoPolicy(externalPackage, fabrikam);
    const create = await server.graph('POST', policies, { as: admin, body });
    expect(create.status).toBe(201);
    const { accessPackage, ...sent } = body;
    void accessPackage;
    expect(create.body).toMatchObject(sent);
    expect(create.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.body.expiration).toEqual({ type: 'afterDuration', duration: 'P90D', endDateTime: null });
    // Every question gets an id, so answers can point at it.
    for (const q of create.body.questions) expect(q.id).toMatch(/^[0-9a-f-]{36}$/);

    const get = await server.graph('GET', `${policies}/${create.body.id}`, { as: admin });
    expect(get.status).toBe(200);
    expect(get.body).toEqual(create.body);

    const expanded = await server.graph('GET', `${policies}/${create.body.id}?$expand=accessPackage,catalog`, { as: admin });
    expect(expanded.body.accessPackage).toMatchObject({ id: externalPackage, displayName: 'Falcon partner access' });
    expect(expanded.body.catalog).toMatchObject({ id: externalCatalog, displayName: 'Partners' });

    const list = await server.graph('GET', `${policies}?$filter=allowedTargetScope eq 'specificConnectedOrganizationUsers'&$select=id,displayName`, { as: admin });
    expect(list.body.value).toContainEqual({ id: create.body.id, displayName: 'Fabrikam partners' });

    const audit = await db().selectFrom('directory_audits').selectAll().where('activityDisplayName', '=', 'Create access package assignment policy').execute();
    expect(audit.some((a) => a.targetResources.includes(create.body.id))).toBe(true);

    // What GET returns can be PUT back unchanged (question ids are kept).
    const { '@odata.context': _context, ...roundTrip } = get.body;
    void _context;
    const put = await server.graph('PUT', `${policies}/${create.body.id}`, { as: admin, body: { ...roundTrip, accessPackage: { id: externalPackage } } });
    expect(put.status).toBe(200);
    expect({ ...put.body, modifiedDateTime: null }).toEqual({ ...get.body, modifiedDateTime: null });
  });

  it('accepts @odata.type without # and the beta question text shape, storing the v1.0 form', async () => {
    const res = await server.graph('POST', policies, {
      as: admin,
      body: memberPolicy(internalPackage, {
        requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ primaryApprovers: [{ '@odata.type': 'microsoft.graph.requestorManager', managerLevel: 1 }] }] },
        questions: [{ '@odata.type': 'microsoft.graph.accessPackageTextInputQuestion', id: 'why', text: { defaultText: 'Why?', localizedTexts: [{ text: 'Pourquoi ?', languageCode: 'fr' }] } }],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body.requestApprovalSettings.stages[0].primaryApprovers).toEqual([{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }]);
    expect(res.body.requestApprovalSettings.stages[0].durationBeforeAutomaticDenial).toBe('P14D');
    expect(res.body.questions[0]).toMatchObject({ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: 'why', text: 'Why?', localizations: [{ text: 'Pourquoi ?', languageCode: 'fr' }] });
  });

  it('fills Graph defaults for omitted settings', async () => {
    const res = await server.graph('POST', policies, { as: admin, body: memberPolicy(internalPackage) });
    expect(res.status).toBe(201);
    expect(res.body.expiration).toEqual({ type: 'noExpiration', endDateTime: null, duration: null });
    expect(res.body.requestApprovalSettings).toEqual({ isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: false, stages: [] });
    expect(res.body.reviewSettings).toMatchObject({ isEnabled: false, schedule: null, primaryReviewers: [] });
    expect(res.body.specificAllowedTargets).toEqual([]);
    expect(res.body.questions).toEqual([]);
    expect(res.body.automaticRequestSettings).toBeNull();
  });

  it('PUT replaces the whole policy and refuses to move it to another package', async () => {
    const created = (await server.graph('POST', policies, { as: admin, body: demoPolicy(externalPackage, fabrikam) })).body;
    const replacement = { ...memberPolicy(externalPackage), id: created.id, displayName: 'Members now', expiration: { type: 'afterDuration', duration: 'P30D' } };
    const put = await server.graph('PUT', `${policies}/${created.id}`, { as: admin, body: replacement });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: created.id, displayName: 'Members now', allowedTargetScope: 'allMemberUsers', specificAllowedTargets: [], expiration: { type: 'afterDuration', duration: 'P30D' } });
    // What the PUT left out is back to its default, not kept from before.
    expect(put.body.reviewSettings.isEnabled).toBe(false);
    expect(put.body.requestApprovalSettings.stages).toEqual([]);
    expect(put.body.questions).toEqual([]);
    expect(put.body.createdDateTime).toBe(created.createdDateTime);
    const get = await server.graph('GET', `${policies}/${created.id}`, { as: admin });
    expect(get.body).toEqual(put.body);

    const move = await server.graph('PUT', `${policies}/${created.id}`, { as: admin, body: { ...memberPolicy(internalPackage), displayName: 'Moved' } });
    expect(move.status).toBe(400);
    expect(move.body.error.message).toContain('accessPackage.id');
    expect((await server.graph('GET', `${policies}/${created.id}`, { as: admin })).body.displayName).toBe('Members now');

    // A PUT of what GET returned (read-only dates included) is accepted.
    const { '@odata.context': _ctx, ...roundTrip } = get.body;
    void _ctx;
    const again = await server.graph('PUT', `${policies}/${created.id}`, { as: admin, body: { ...roundTrip, accessPackage: { id: externalPackage } } });
    expect(again.status).toBe(200);

    expect((await server.graph('PUT', `${policies}/${randomUUID()}`, { as: admin, body: memberPolicy(externalPackage) })).status).toBe(404);
    const audit = await db().selectFrom('directory_audits').select('id').where('activityDisplayName', '=', 'Update access package assignment policy').execute();
    expect(audit.length).toBeGreaterThanOrEqual(2);
  });

  describe('refuses bad bodies with 400 naming the field, writing nothing', () => {
    const stage = { durationBeforeAutomaticDenial: 'P14D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: lee.id }] };
    const cases: Array<[string, (pkg: string) => Record<string, unknown>, string]> = [
      ['an unknown property inside a stage', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ ...stage, colour: 'red' }] } }), 'colour'],
      ['a wrong @odata.type', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ ...stage, primaryApprovers: [{ '@odata.type': '#microsoft.graph.everyone' }] }] } }), 'requestApprovalSettings.stages.0.primaryApprovers.0'],
      ['a missing duration for afterDuration', (pkg) => memberPolicy(pkg, { expiration: { type: 'afterDuration' } }), 'expiration.duration'],
      ['a missing endDateTime for afterDateTime', (pkg) => memberPolicy(pkg, { expiration: { type: 'afterDateTime' } }), 'expiration.endDateTime'],
      ['an endDateTime in the past', (pkg) => memberPolicy(pkg, { expiration: { type: 'afterDateTime', endDateTime: '2001-01-01T00:00:00Z' } }), 'expiration.endDateTime'],
      ['an invalid regexPattern', (pkg) => memberPolicy(pkg, { questions: [{ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Code', regexPattern: '([a-z' }] }), 'questions.0.regexPattern'],
      ['a multiple choice question without choices', (pkg) => memberPolicy(pkg, { questions: [{ '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', text: 'Pick', choices: [] }] }), 'questions.0.choices'],
      ['a missing displayName', (pkg) => ({ allowedTargetScope: 'allMemberUsers', accessPackage: { id: pkg } }), 'displayName'],
      ['an unknown allowedTargetScope', (pkg) => memberPolicy(pkg, { allowedTargetScope: 'everybody' }), 'allowedTargetScope'],
      ['approval required without stages', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [] } }), 'requestApprovalSettings.stages'],
      ['a stage without primary approvers', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P1D' }] } }), 'requestApprovalSettings.stages.0.primaryApprovers'],
      ['more than three stages', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [stage, stage, stage, stage] } }), 'requestApprovalSettings.stages'],
      ['escalation without escalation approvers', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ ...stage, isEscalationEnabled: true, durationBeforeEscalation: 'P2D' }] } }), 'escalationApprovers'],
      [
        'escalation not before denial',
        (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ ...stage, isEscalationEnabled: true, durationBeforeEscalation: 'P14D', escalationApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 2 }] }] } }),
        'durationBeforeEscalation',
      ],
      ['sponsors as fallback approvers', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ ...stage, fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }] }] } }), 'fallbackPrimaryApprovers.0'],
      ['managerLevel 3', (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ ...stage, primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 3 }] }] } }), 'managerLevel'],
      ['an enabled review without schedule', (pkg) => memberPolicy(pkg, { reviewSettings: { isEnabled: true, isSelfReview: true } }), 'reviewSettings.schedule'],
      ['an enabled review without reviewers', (pkg) => memberPolicy(pkg, { reviewSettings: { isEnabled: true, schedule: { startDateTime: '2030-01-01T00:00:00Z' } } }), 'reviewSettings.primaryReviewers'],
      [
        'a weekly recurrence without days',
        (pkg) => memberPolicy(pkg, { reviewSettings: { isEnabled: true, isSelfReview: true, schedule: { recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } } } } }),
        'daysOfWeek',
      ],
      ['a bad ISO duration', (pkg) => memberPolicy(pkg, { expiration: { type: 'afterDuration', duration: '90 days' } }), 'expiration.duration'],
      ['an unknown top-level property', (pkg) => memberPolicy(pkg, { priority: 1 }), 'priority'],
      ['specificConnectedOrganizationUsers without targets', () => memberPolicy(externalPackage, { allowedTargetScope: 'specificConnectedOrganizationUsers' }), 'specificAllowedTargets'],
      [
        'a connected organization that does not exist',
        () => memberPolicy(externalPackage, { allowedTargetScope: 'specificConnectedOrganizationUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: randomUUID() }] }),
        'specificAllowedTargets.0.connectedOrganizationId',
      ],
      ['specificDirectoryUsers with a user that does not exist', (pkg) => memberPolicy(pkg, { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: randomUUID() }] }), 'specificAllowedTargets.0.userId'],
      ['specificDirectoryUsers with a group that does not exist', (pkg) => memberPolicy(pkg, { allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: randomUUID() }] }), 'specificAllowedTargets.0.groupId'],
      ['targets with an allMemberUsers scope', (pkg) => memberPolicy(pkg, { specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: lee.id }] }), 'specificAllowedTargets'],
      [
        'an approver that does not exist',
        (pkg) => memberPolicy(pkg, { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ ...stage, fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: randomUUID() }] }] } }),
        'requestApprovalSettings.stages.0.fallbackPrimaryApprovers.0.groupId',
      ],
      ['an access package that does not exist', () => memberPolicy(randomUUID()), 'accessPackage.id'],
      ['a catalog that is not the package’s', (pkg) => memberPolicy(pkg, { catalog: { id: externalCatalog } }), 'catalog.id'],
    ];
    it.each(cases)('%s', async (_name, build, field) => {
      const before = await policyCount();
      const res = await server.graph('POST', policies, { as: admin, body: build(internalPackage) });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
      expect(await policyCount()).toBe(before);
    });
  });

  it('refuses external scopes in a catalog that is not externally visible, like Entra', async () => {
    for (const allowedTargetScope of ['allExternalUsers', 'allConfiguredConnectedOrganizationUsers']) {
      const res = await server.graph('POST', policies, { as: admin, body: memberPolicy(internalPackage, { allowedTargetScope }) });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('Internal only');
      expect(res.body.error.message).toContain('isExternallyVisible');
    }
    const ok = await server.graph('POST', policies, { as: admin, body: memberPolicy(externalPackage, { allowedTargetScope: 'allExternalUsers' }) });
    expect(ok.status).toBe(201);
  });

  it('accepts specific directory users and groups that exist', async () => {
    const res = await server.graph('POST', policies, {
      as: admin,
      body: memberPolicy(internalPackage, {
        allowedTargetScope: 'specificDirectoryUsers',
        specificAllowedTargets: [
          { '@odata.type': '#microsoft.graph.singleUser', userId: adele.id },
          { '@odata.type': '#microsoft.graph.groupMembers', groupId: demo.projectFalcon.groupId },
        ],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body.specificAllowedTargets).toHaveLength(2);
  });

  it('refuses to delete a policy with an active assignment, and deletes it once the assignment expired', async () => {
    const policy = (await server.graph('POST', policies, { as: admin, body: memberPolicy(internalPackage, { displayName: 'Doomed' }) })).body;
    const assignmentId = randomUUID();
    await db()
      .insertInto('assignments')
      .values({ id: assignmentId, accessPackageId: internalPackage, assignmentPolicyId: policy.id, catalogId: internalCatalog, targetId: adele.id, state: 'delivered', status: 'Delivered', schedule: '{}', expiredDateTime: null, createdDateTime: new Date().toISOString() })
      .execute();
    const refused = await server.graph('DELETE', `${policies}/${policy.id}`, { as: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ResourceInUse');
    expect((await server.graph('GET', `${policies}/${policy.id}`, { as: admin })).body.displayName).toBe('Doomed');
    expect(await db().selectFrom('assignments').select('id').where('id', '=', assignmentId).executeTakeFirst()).toBeDefined();

    await db().updateTable('assignments').set({ state: 'expired', status: 'Expired' }).where('id', '=', assignmentId).execute();
    expect((await server.graph('DELETE', `${policies}/${policy.id}`, { as: admin })).status).toBe(204);
    expect((await server.graph('GET', `${policies}/${policy.id}`, { as: admin })).status).toBe(404);
    expect((await server.graph('DELETE', `${policies}/${policy.id}`, { as: admin })).status).toBe(404);
    const audit = await db().selectFrom('directory_audits').selectAll().where('activityDisplayName', '=', 'Delete access package assignment policy').execute();
    expect(audit.some((a) => a.targetResources.includes(policy.id))).toBe(true);
  });

  describe('authorization', () => {
    it('forbids a user without a role to create, and hides policies from them', async () => {
      const policy = (await server.graph('POST', policies, { as: admin, body: memberPolicy(internalPackage, { displayName: 'Hidden from alex' }) })).body;
      // A package in a catalog alex holds no role in does not exist for him: the answer for an unknown id.
      const post = await server.graph('POST', policies, { as: alex, body: memberPolicy(internalPackage) });
      expect(post.status).toBe(400);
      expect(post.body.error.message).toContain('accessPackage.id');
      expect((await server.graph('GET', policies, { as: alex })).body.value).toEqual([]);
      expect((await server.graph('GET', `${policies}/${policy.id}`, { as: alex })).status).toBe(404);
      expect((await server.graph('PUT', `${policies}/${policy.id}`, { as: alex, body: memberPolicy(internalPackage) })).status).toBe(404);
      expect((await server.graph('DELETE', `${policies}/${policy.id}`, { as: alex })).status).toBe(404);
    });

    it('lets a catalog creator manage policies only in the catalogs she owns', async () => {
      const meganCatalog = await newCatalog(megan, 'Megan’s catalog');
      const meganPackage = await newPackage(meganCatalog, 'Megan’s package');
      const own = await server.graph('POST', policies, { as: megan, body: memberPolicy(meganPackage, { displayName: 'Megan’s policy' }) });
      expect(own.status).toBe(201);
      const other = await server.graph('POST', policies, { as: megan, body: memberPolicy(internalPackage) });
      expect(other.status).toBe(400);

      const list = await server.graph('GET', policies, { as: megan });
      expect(list.body.value.map((p: any) => p.id)).toEqual([own.body.id]);
      const put = await server.graph('PUT', `${policies}/${own.body.id}`, { as: megan, body: memberPolicy(meganPackage, { displayName: 'Renamed' }) });
      expect(put.status).toBe(200);
      expect((await server.graph('DELETE', `${policies}/${own.body.id}`, { as: megan })).status).toBe(204);
    });
  });

  it('expands questions and customExtensionStageSettings, as Graph documents', async () => {
    const pkg = { id: await newPackage(await newCatalog(admin, 'Questions'), 'Questions') };
    const question = { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', sequence: 1, isRequired: true, text: 'Why?', isSingleLineQuestion: true };
    expect((await server.graph('POST', policies, { as: admin, body: memberPolicy(pkg.id, { questions: [question] }) })).status).toBe(201);
    const list = await server.graph('GET', `${policies}?$filter=accessPackage/id eq '${pkg.id}'&$expand=questions`, { as: admin });
    expect(list.status).toBe(200);
    expect(list.body.value[0].questions).toHaveLength(1);
    expect(list.body.value[0].questions[0]).toMatchObject({ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', isRequired: true });
    const one = await server.graph('GET', `${policies}/${list.body.value[0].id}?$expand=questions,customExtensionStageSettings,accessPackage($select=id)`, { as: admin });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ customExtensionStageSettings: [], accessPackage: { id: pkg.id } });
    expect(one.body.questions).toEqual(list.body.value[0].questions);
    expect((await server.graph('GET', `${policies}?$expand=questions($top=1)`, { as: admin })).status).toBe(400);
  });
});
