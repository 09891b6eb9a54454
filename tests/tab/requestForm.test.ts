import type { Requirements } from '../../tab/src/myaccess/model';
import { emptyForm, localized, localToday, orderedQuestions, requestBody, validateRequestForm } from '../../tab/src/myaccess/requestForm';
import { isCancellable, requestState } from '../../tab/src/myaccess/status';

const text = '#microsoft.graph.accessPackageTextInputQuestion';
const choice = '#microsoft.graph.accessPackageMultipleChoiceQuestion';

const requirements: Requirements = {
  policyId: 'p1',
  isRequestorJustificationRequired: true,
  allowCustomAssignmentSchedule: false,
  questions: [
    { id: 'q2', '@odata.type': choice, sequence: 2, text: 'Team', isRequired: true, choices: [{ actualValue: 'fw', text: 'Firmware', localizations: [{ languageCode: 'nl', text: 'Firmware (nl)' }] }] },
    { id: 'q1', '@odata.type': text, sequence: 1, text: 'Employee number', localizations: [{ languageCode: 'nl-NL', text: 'Personeelsnummer' }], isRequired: true, isSingleLineQuestion: true, regexPattern: '[A-Z]{2}\\d{4}' },
    { id: 'q3', '@odata.type': text, sequence: 3, text: 'Anything else?', isRequired: false },
  ],
};

describe(validateRequestForm.name, () => {
  it('asks for every required answer and the justification before anything is sent', () => {
    expect(validateRequestForm(requirements, emptyForm, '2026-03-02')).toEqual({ justification: 'required', 'question:q1': 'required', 'question:q2': 'required' });
  });

  it("checks the whole text answer against the question's pattern and single line", () => {
    const base = { ...emptyForm, justification: 'Need it', answers: { q2: 'fw' } };
    expect(validateRequestForm(requirements, { ...base, answers: { ...base.answers, q1: 'AB12345' } }, '2026-03-02')).toEqual({ 'question:q1': 'format' });
    expect(validateRequestForm(requirements, { ...base, answers: { ...base.answers, q1: 'AB1234\nCD' } }, '2026-03-02')).toEqual({ 'question:q1': 'singleLine' });
    expect(validateRequestForm(requirements, { ...base, answers: { ...base.answers, q1: ' AB1234 ' } }, '2026-03-02')).toEqual({});
  });

  it('lets the server judge a pattern the browser cannot compile', () => {
    const odd: Requirements = { policyId: 'p', questions: [{ id: 'q', '@odata.type': text, text: 'x', regexPattern: '(?<' }] };
    expect(validateRequestForm(odd, { ...emptyForm, answers: { q: 'anything' } }, '2026-03-02')).toEqual({});
  });

  it('checks dates only when the policy lets requestors choose them', () => {
    const dated: Requirements = { policyId: 'p', allowCustomAssignmentSchedule: true };
    expect(validateRequestForm(dated, { ...emptyForm, startDate: '2026-03-01' }, '2026-03-02')).toEqual({ startDate: 'datePast' });
    expect(validateRequestForm(dated, { ...emptyForm, startDate: '2026-03-10', endDate: '2026-03-05' }, '2026-03-02')).toEqual({ endDate: 'dateOrder' });
    expect(validateRequestForm(dated, { ...emptyForm, startDate: '2026-03-10', endDate: '2026-04-10' }, '2026-03-02')).toEqual({});
    expect(validateRequestForm({ ...dated, allowCustomAssignmentSchedule: false }, { ...emptyForm, startDate: '1999-01-01' }, '2026-03-02')).toEqual({});
  });
});

describe(requestBody.name, () => {
  it("is a userAdd for the policy with the answers in Graph's shape, empty answers left out", () => {
    const body = requestBody('pkg', requirements, { ...emptyForm, justification: ' Falcon rig ', answers: { q1: 'AB1234', q2: 'fw', q3: '  ' }, startDate: '2026-03-10' });
    expect(body).toEqual({
      requestType: 'userAdd',
      assignment: { accessPackageId: 'pkg', assignmentPolicyId: 'p1' },
      justification: 'Falcon rig',
      answers: [
        { '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'AB1234', answeredQuestion: { id: 'q1' } },
        { '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'fw', answeredQuestion: { id: 'q2' } },
      ],
    });
  });

  it('sends the chosen dates as a schedule when the policy allows them', () => {
    const body = requestBody('pkg', { policyId: 'p', allowCustomAssignmentSchedule: true }, { ...emptyForm, startDate: '2026-03-10', endDate: '2026-04-10' });
    expect(body.schedule).toEqual({ startDateTime: new Date(2026, 2, 10).toISOString(), expiration: { type: 'afterDateTime', endDateTime: new Date(2026, 3, 10).toISOString() } });
  });
});

describe(localized.name, () => {
  it("shows the policy's text in the person's language when it has one", () => {
    const q1 = orderedQuestions(requirements)[0];
    expect(q1.id).toBe('q1');
    expect(localized(q1.text, q1.localizations, 'nl')).toBe('Personeelsnummer');
    expect(localized(q1.text, q1.localizations, 'en')).toBe('Employee number');
    expect(localized('Anything else?', null, 'nl')).toBe('Anything else?');
  });
});

describe(localToday.name, () => {
  it('is the local calendar date', () => {
    expect(localToday(new Date(2026, 0, 5, 23, 30))).toBe('2026-01-05');
  });
});

describe(requestState.name, () => {
  it('names every state Graph reports, and only open requests may be cancelled', () => {
    expect(requestState('pendingApproval')).toMatchObject({ key: 'state_pendingApproval', final: false });
    expect(requestState('delivered')).toMatchObject({ key: 'state_delivered', color: 'success', final: true });
    expect(requestState('somethingNew')).toMatchObject({ key: 'state_other', final: false });
    expect(['submitted', 'pendingApproval', 'scheduled'].every(isCancellable)).toBe(true);
    expect(['accepted', 'delivered', 'denied', 'canceled'].some(isCancellable)).toBe(false);
  });
});
