import { createPolicyBody } from '../../bot/commands/policies/schemas';
import { daysToDuration, emptyDraft, emptyQuestion, emptyStage, PolicyDraft, policyBody, validatePolicyDraft } from '../../tab/src/extranet/policyWizard';

const now = new Date('2026-12-01T12:00:00Z');
const packageId = '01a2316d-5b2a-7bc5-b1ed-0fff23fa70d4';
const fabrikam = { id: '01a2316d-5b14-79bf-95ea-f24b69cb84b5', displayName: 'Fabrikam' };
const lee = { id: 'a0000000-0000-4000-8000-00000000011e', displayName: 'Lee Gu' };

/** The seed's policy (DESIGN §7) as the wizard is filled in for it. */
function seedDraft(): PolicyDraft {
  const draft = emptyDraft(now);
  draft.displayName = 'Fabrikam partners';
  draft.connectedOrganizations = [fabrikam];
  draft.stages = [{ ...emptyStage(), primary: { kind: 'externalSponsors' }, fallback: [lee] }];
  draft.expiration = { kind: 'afterDays', amount: '90', date: '' };
  draft.review = { ...draft.review, enabled: true, frequency: 'quarterly', startDate: '2027-03-01', reviewers: 'internalSponsors', fallback: [lee] };
  draft.questions = [{ ...emptyQuestion(), text: 'What will you work on in Project Falcon?', textNl: 'Waaraan ga je werken in Project Falcon?' }];
  return draft;
}

describe(validatePolicyDraft.name, () => {
  it('accepts the seed policy and a fresh draft once named and given an organization', () => {
    expect(validatePolicyDraft(seedDraft(), now)).toEqual({});
    const fresh = emptyDraft(now);
    fresh.displayName = 'Partners';
    fresh.connectedOrganizations = [fabrikam];
    expect(validatePolicyDraft(fresh, now)).toEqual({});
  });

  it.each<[string, (d: PolicyDraft) => void, Record<string, string>]>([
    ['no name', (d) => (d.displayName = '  '), { displayName: 'required' }],
    ['a name over 256 characters', (d) => (d.displayName = 'x'.repeat(257)), { displayName: 'tooLong' }],
    ['no connected organization picked', (d) => (d.connectedOrganizations = []), { connectedOrganizations: 'pickOrganization' }],
    ['a specific approver without a person', (d) => (d.stages[0].primary = { kind: 'singleUser' }), { 'stages.0.primary': 'pickPerson' }],
    ['approval without stages', (d) => (d.stages = []), { stages: 'approvalNeedsStage' }],
    ['four stages', (d) => (d.stages = [emptyStage(), emptyStage(), emptyStage(), emptyStage()]), { stages: 'tooManyStages' }],
    ['a zero denial delay', (d) => (d.stages[0].daysBeforeDenial = '0'), { 'stages.0.daysBeforeDenial': 'positiveNumber' }],
    ['escalation not before denial', (d) => Object.assign(d.stages[0], { escalationEnabled: true, daysBeforeEscalation: '14' }), { 'stages.0.daysBeforeEscalation': 'escalationBeforeDenial' }],
    ['escalation to a specific person not picked', (d) => Object.assign(d.stages[0], { escalationEnabled: true, escalation: { kind: 'singleUser' } }), { 'stages.0.escalation': 'pickPerson' }],
    ['an empty question', (d) => (d.questions[0].text = ''), { 'questions.0.text': 'required' }],
    ['a broken pattern', (d) => (d.questions[0].regexPattern = '([a-z'), { 'questions.0.regexPattern': 'invalidPattern' }],
    ['a choice question with one choice', (d) => (d.questions[0] = { ...d.questions[0], kind: 'choice', choices: ['Firmware', ' '] }), { 'questions.0.choices': 'twoChoices' }],
    ['a fractional number of days to expiry', (d) => (d.expiration.amount = '1.5'), { 'expiration.amount': 'positiveNumber' }],
    ['an expiry date in the past', (d) => (d.expiration = { kind: 'onDate', amount: '', date: '2026-11-30' }), { 'expiration.date': 'futureDate' }],
    ['an expiry date that does not exist', (d) => (d.expiration = { kind: 'onDate', amount: '', date: '2027-02-30' }), { 'expiration.date': 'invalidDate' }],
    ['a review starting in the past', (d) => (d.review.startDate = '2026-01-01'), { 'review.startDate': 'futureDate' }],
    ['a review by a specific person not picked', (d) => (d.review.reviewers = 'singleUser'), { 'review.reviewer': 'pickPerson' }],
  ])('refuses %s, naming the field', (_name, change, expected) => {
    const draft = seedDraft();
    change(draft);
    expect(validatePolicyDraft(draft, now)).toEqual(expected);
  });

  it('ignores what a switched-off section holds', () => {
    const draft = seedDraft();
    draft.approvalRequired = false;
    draft.stages = [{ ...emptyStage(), primary: { kind: 'singleUser' } }];
    draft.review = { ...draft.review, enabled: false, startDate: '' };
    draft.whoMayRequest = 'allConfiguredConnectedOrganizations';
    draft.connectedOrganizations = [];
    expect(validatePolicyDraft(draft, now)).toEqual({});
  });
});

describe(policyBody.name, () => {
  it('turns the seed draft into the seed policy, which the engine accepts', () => {
    const body = policyBody(seedDraft(), packageId);
    const parsed = createPolicyBody.parse(body);
    expect(parsed).toMatchObject({
      allowedTargetScope: 'specificConnectedOrganizationUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: fabrikam.id }],
      expiration: { type: 'afterDuration', duration: 'P90D' },
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        isRequestorJustificationRequired: true,
        stages: [{ durationBeforeAutomaticDenial: 'P14D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }], fallbackPrimaryApprovers: [{ userId: lee.id }] }],
      },
      reviewSettings: { isEnabled: true, schedule: { recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 }, range: { type: 'noEnd' } } }, primaryReviewers: [{ '@odata.type': '#microsoft.graph.internalSponsors' }] },
      questions: [{ text: 'What will you work on in Project Falcon?', localizations: [{ languageCode: 'nl', text: 'Waaraan ga je werken in Project Falcon?' }], isRequired: true }],
    });
  });

  it('builds escalation, choices, date expiry and weekly self-review the engine accepts', () => {
    const draft = seedDraft();
    draft.stages = [{ ...emptyStage(), escalationEnabled: true, daysBeforeEscalation: '0.5', escalation: { kind: 'singleUser', person: lee }, fallbackEscalation: [lee] }];
    draft.questions = [{ ...emptyQuestion(), kind: 'choice', text: 'Team', choices: ['Firmware', 'Radar', ''] }];
    draft.expiration = { kind: 'onDate', amount: '', date: '2027-06-30' };
    draft.review = { ...draft.review, frequency: 'weekly', reviewers: 'self' };
    const parsed = createPolicyBody.parse(policyBody(draft, packageId));
    expect(parsed.requestApprovalSettings.stages[0]).toMatchObject({ isEscalationEnabled: true, durationBeforeEscalation: 'PT12H', escalationApprovers: [{ userId: lee.id }] });
    expect(parsed.questions[0]).toMatchObject({ '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', choices: [{ actualValue: 'Firmware' }, { actualValue: 'Radar' }] });
    expect(parsed.expiration).toEqual({ type: 'afterDateTime', endDateTime: '2027-06-30T23:59:59.000Z', duration: null });
    expect(parsed.reviewSettings).toMatchObject({ isSelfReview: true, primaryReviewers: [], schedule: { recurrence: { pattern: { type: 'weekly', daysOfWeek: ['monday'] } } } });
  });

  it('sends no stages when approval is off, and hours when asked', () => {
    const draft = seedDraft();
    draft.approvalRequired = false;
    draft.expiration = { kind: 'afterHours', amount: '8', date: '' };
    const parsed = createPolicyBody.parse(policyBody(draft, packageId));
    expect(parsed.requestApprovalSettings).toMatchObject({ isApprovalRequiredForAdd: false, stages: [] });
    expect(parsed.expiration).toMatchObject({ type: 'afterDuration', duration: 'PT8H' });
  });
});

describe(daysToDuration.name, () => {
  it.each([
    [14, 'P14D'],
    [0.5, 'PT12H'],
    [1.25, 'P1DT6H'],
    [0.01, 'PT14M'],
  ])('%s days is %s', (days, duration) => expect(daysToDuration(days)).toBe(duration));
});
