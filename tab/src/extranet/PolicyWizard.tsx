import { Button, Card, Checkbox, Dropdown, Field, Input, makeStyles, MessageBar, MessageBarBody, Option, Radio, RadioGroup, Switch, Text, Textarea, tokens } from '@fluentui/react-components';
import { FormEvent, useMemo, useState } from 'react';
import { em } from '../app/graph';
import { loadOrganizations } from './OrganizationsSection';
import {
  ApproverDraft,
  ApproverKind,
  DraftProblems,
  emptyDraft,
  emptyQuestion,
  emptyStage,
  ExpirationKind,
  PolicyDraft,
  policyBody,
  QuestionDraft,
  ReviewerKind,
  ReviewFrequency,
  StageDraft,
  validatePolicyDraft,
  WhoMayRequest,
} from './policyWizard';
import { problemText } from './widgets';
import { ErrorBar, Loaded, PeoplePicker, useAction, useLoad, useT } from './ui';

type Step = 'requests' | 'requestor' | 'lifecycle';
const steps: readonly Step[] = ['requests', 'requestor', 'lifecycle'];

/** Which step holds a problem's field, so "Next" only checks its own step. */
function stepOf(path: string): Step {
  if (path.startsWith('questions')) return 'requestor';
  if (path.startsWith('expiration') || path.startsWith('review')) return 'lifecycle';
  return 'requests';
}

const useStyles = makeStyles({
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '16px' },
  form: { display: 'flex', flexDirection: 'column', gap: '16px', maxWidth: '720px' },
  fieldset: { border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '12px 16px', display: 'flex', flexDirection: 'column', gap: '12px', margin: 0 },
  legend: { fontWeight: tokens.fontWeightSemibold, padding: '0 4px' },
  row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'flex-end' },
  steps: { display: 'flex', gap: '16px', listStyleType: 'none', padding: 0, margin: 0, flexWrap: 'wrap' },
  current: { fontWeight: tokens.fontWeightSemibold, textDecorationLine: 'underline' },
  small: { maxWidth: '160px' },
});

const approverKinds: readonly ApproverKind[] = ['externalSponsors', 'internalSponsors', 'requestorManager', 'singleUser'];

/** The policy wizard (DESIGN §1 steps 5–6): requests and approval, requestor information, lifecycle. */
export function PolicyWizard(props: { accessPackageId: string; onDone: () => void; onCancel: () => void }) {
  const t = useT();
  const styles = useStyles();
  const [draft, setDraft] = useState<PolicyDraft>(() => emptyDraft(new Date()));
  const [step, setStep] = useState<Step>('requests');
  const [problems, setProblems] = useState<DraftProblems>({});
  const [organizations, reloadOrganizations] = useLoad(loadOrganizations, []);
  const action = useAction();
  const update = (patch: Partial<PolicyDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const index = steps.indexOf(step);
  const check = (upTo: Step): boolean => {
    const found = validatePolicyDraft(draft, new Date());
    const relevant = Object.fromEntries(Object.entries(found).filter(([path]) => steps.indexOf(stepOf(path)) <= steps.indexOf(upTo)));
    setProblems(relevant);
    return Object.keys(relevant).length === 0;
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (index < steps.length - 1) {
      if (check(step)) setStep(steps[index + 1]);
      return;
    }
    if (!check('lifecycle')) {
      const first = Object.keys(validatePolicyDraft(draft, new Date()))[0];
      if (first) setStep(stepOf(first));
      return;
    }
    void action.run((graph) => graph.api(`${em}/assignmentPolicies`).post(policyBody(draft, props.accessPackageId)), props.onDone);
  };
  const p = (path: string) => problemText(t, problems[path]);
  return (
    <Card className={styles.card}>
      <form className={styles.form} onSubmit={submit} noValidate aria-label={t('newPolicy')}>
        <Text as="h3" weight="semibold" size={400}>
          {t('newPolicy')}
        </Text>
        <ol className={styles.steps} aria-label={t('wizardSteps')}>
          {steps.map((s, i) => (
            <li key={s} className={s === step ? styles.current : undefined} aria-current={s === step ? 'step' : undefined}>
              {`${i + 1}. ${t(`step_${s}`)}`}
            </li>
          ))}
        </ol>
        {Object.keys(problems).length > 0 && (
          <MessageBar intent="warning">
            <MessageBarBody>{t('fixProblems')}</MessageBarBody>
          </MessageBar>
        )}

        {step === 'requests' && (
          <>
            <Field label={t('policyName')} required validationMessage={p('displayName')}>
              <Input value={draft.displayName} onChange={(_, d) => update({ displayName: d.value })} />
            </Field>
            <Field label={t('description')} validationMessage={p('description')}>
              <Textarea value={draft.description} onChange={(_, d) => update({ description: d.value })} />
            </Field>
            <fieldset className={styles.fieldset}>
              <legend className={styles.legend}>{t('whoMayRequest')}</legend>
              <RadioGroup value={draft.whoMayRequest} onChange={(_, d) => update({ whoMayRequest: d.value as WhoMayRequest })}>
                <Radio value="specificConnectedOrganizations" label={t('whoSpecificOrgs')} />
                <Radio value="allConfiguredConnectedOrganizations" label={t('scope_allConfiguredConnectedOrganizationUsers')} />
                <Radio value="allMembers" label={t('scope_allMemberUsers')} />
              </RadioGroup>
              {draft.whoMayRequest === 'specificConnectedOrganizations' && (
                <Loaded load={organizations} onRetry={reloadOrganizations}>
                  {(list) => (
                    <Field label={t('connectedOrganizations')} required validationMessage={p('connectedOrganizations')}>
                      {list.length === 0 ? (
                        <Text>{t('noOrganizations')}</Text>
                      ) : (
                        <div role="group" aria-label={t('connectedOrganizations')}>
                          {list.map((org) => (
                            <Checkbox
                              key={org.id}
                              label={org.displayName}
                              checked={draft.connectedOrganizations.some((o) => o.id === org.id)}
                              onChange={(_, d) =>
                                update({
                                  connectedOrganizations: d.checked
                                    ? [...draft.connectedOrganizations, { id: org.id, displayName: org.displayName }]
                                    : draft.connectedOrganizations.filter((o) => o.id !== org.id),
                                })
                              }
                            />
                          ))}
                        </div>
                      )}
                    </Field>
                  )}
                </Loaded>
              )}
            </fieldset>
            <fieldset className={styles.fieldset}>
              <legend className={styles.legend}>{t('approval')}</legend>
              <Switch label={t('approvalRequired')} checked={draft.approvalRequired} onChange={(_, d) => update({ approvalRequired: d.checked })} />
              {problems.stages && <ErrorBar message={p('stages') ?? ''} />}
              {draft.approvalRequired &&
                draft.stages.map((stage, i) => (
                  <StageFields
                    key={i}
                    index={i}
                    stage={stage}
                    problem={(field) => p(`stages.${i}.${field}`)}
                    onChange={(next) => update({ stages: draft.stages.map((s, j) => (j === i ? next : s)) })}
                    onRemove={draft.stages.length > 1 ? () => update({ stages: draft.stages.filter((_, j) => j !== i) }) : undefined}
                  />
                ))}
              {draft.approvalRequired && draft.stages.length < 3 && (
                <div>
                  <Button onClick={() => update({ stages: [...draft.stages, emptyStage()] })}>{t('addStage')}</Button>
                </div>
              )}
            </fieldset>
          </>
        )}

        {step === 'requestor' && (
          <>
            <Checkbox label={t('requireJustification')} checked={draft.justificationRequired} onChange={(_, d) => update({ justificationRequired: d.checked === true })} />
            <fieldset className={styles.fieldset}>
              <legend className={styles.legend}>{t('questions')}</legend>
              {draft.questions.length === 0 && <Text>{t('noQuestions')}</Text>}
              {draft.questions.map((q, i) => (
                <QuestionFields
                  key={i}
                  index={i}
                  question={q}
                  problem={(field) => p(`questions.${i}.${field}`)}
                  onChange={(next) => update({ questions: draft.questions.map((x, j) => (j === i ? next : x)) })}
                  onRemove={() => update({ questions: draft.questions.filter((_, j) => j !== i) })}
                />
              ))}
              <div>
                <Button onClick={() => update({ questions: [...draft.questions, emptyQuestion()] })}>{t('addQuestion')}</Button>
              </div>
            </fieldset>
          </>
        )}

        {step === 'lifecycle' && <LifecycleFields draft={draft} update={update} problem={p} />}

        {action.error && <ErrorBar message={action.error} />}
        <div className={styles.row}>
          {index > 0 && <Button onClick={() => setStep(steps[index - 1])}>{t('back')}</Button>}
          <Button appearance="primary" type="submit" disabled={action.busy}>
            {index < steps.length - 1 ? t('next') : t('createPolicy')}
          </Button>
          <Button appearance="subtle" onClick={props.onCancel}>
            {t('cancel')}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function ApproverFields(props: { label: string; approver: ApproverDraft; problem?: string; onChange: (a: ApproverDraft) => void }) {
  const t = useT();
  const { approver } = props;
  return (
    <>
      <Field label={props.label}>
        <Dropdown
          value={t(`approver_${approver.kind}`)}
          selectedOptions={[approver.kind]}
          onOptionSelect={(_, d) => props.onChange({ kind: (d.optionValue as ApproverKind) ?? 'externalSponsors', person: approver.person })}
        >
          {approverKinds.map((k) => (
            <Option key={k} value={k}>
              {t(`approver_${k}`)}
            </Option>
          ))}
        </Dropdown>
      </Field>
      {approver.kind === 'singleUser' && (
        <PeoplePicker
          label={t('specificApprover')}
          userType="Member"
          multiple={false}
          required
          value={approver.person ? [approver.person] : []}
          onChange={(people) => props.onChange({ kind: 'singleUser', person: people[0] })}
          validationMessage={props.problem}
        />
      )}
    </>
  );
}

function StageFields(props: { index: number; stage: StageDraft; problem: (field: string) => string | undefined; onChange: (s: StageDraft) => void; onRemove?: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { stage } = props;
  const set = (patch: Partial<StageDraft>) => props.onChange({ ...stage, ...patch });
  return (
    <fieldset className={styles.fieldset}>
      <legend className={styles.legend}>{t('stageN', { n: props.index + 1 })}</legend>
      <ApproverFields label={t('firstApprover')} approver={stage.primary} problem={props.problem('primary')} onChange={(primary) => set({ primary })} />
      <PeoplePicker label={t('fallbackApprovers')} userType="Member" value={stage.fallback} onChange={(fallback) => set({ fallback })} />
      <Field label={t('daysBeforeDenial')} required validationMessage={props.problem('daysBeforeDenial')} className={styles.small}>
        <Input inputMode="decimal" value={stage.daysBeforeDenial} onChange={(_, d) => set({ daysBeforeDenial: d.value })} />
      </Field>
      <Checkbox label={t('approverJustification')} checked={stage.approverJustificationRequired} onChange={(_, d) => set({ approverJustificationRequired: d.checked === true })} />
      <Switch label={t('escalation')} checked={stage.escalationEnabled} onChange={(_, d) => set({ escalationEnabled: d.checked })} />
      {stage.escalationEnabled && (
        <>
          <ApproverFields label={t('escalationApprover')} approver={stage.escalation} problem={props.problem('escalation')} onChange={(escalation) => set({ escalation })} />
          <PeoplePicker label={t('fallbackEscalationApprovers')} userType="Member" value={stage.fallbackEscalation} onChange={(fallbackEscalation) => set({ fallbackEscalation })} />
          <Field label={t('daysBeforeEscalation')} required validationMessage={props.problem('daysBeforeEscalation')} className={styles.small}>
            <Input inputMode="decimal" value={stage.daysBeforeEscalation} onChange={(_, d) => set({ daysBeforeEscalation: d.value })} />
          </Field>
        </>
      )}
      {props.onRemove && (
        <div>
          <Button onClick={props.onRemove}>{t('removeStage', { n: props.index + 1 })}</Button>
        </div>
      )}
    </fieldset>
  );
}

function QuestionFields(props: { index: number; question: QuestionDraft; problem: (field: string) => string | undefined; onChange: (q: QuestionDraft) => void; onRemove: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { question } = props;
  const set = (patch: Partial<QuestionDraft>) => props.onChange({ ...question, ...patch });
  return (
    <fieldset className={styles.fieldset}>
      <legend className={styles.legend}>{t('questionN', { n: props.index + 1 })}</legend>
      <RadioGroup layout="horizontal" value={question.kind} onChange={(_, d) => set({ kind: d.value as QuestionDraft['kind'] })} aria-label={t('answerKind')}>
        <Radio value="text" label={t('answerText')} />
        <Radio value="choice" label={t('answerChoice')} />
      </RadioGroup>
      <Field label={t('questionText')} required validationMessage={props.problem('text')}>
        <Input value={question.text} onChange={(_, d) => set({ text: d.value })} />
      </Field>
      <Field label={t('questionTextNl')} validationMessage={props.problem('textNl')}>
        <Input lang="nl" value={question.textNl} onChange={(_, d) => set({ textNl: d.value })} />
      </Field>
      <Checkbox label={t('answerRequired')} checked={question.required} onChange={(_, d) => set({ required: d.checked === true })} />
      {question.kind === 'text' ? (
        <Field label={t('regexPattern')} hint={t('regexHint')} validationMessage={props.problem('regexPattern')}>
          <Input value={question.regexPattern} onChange={(_, d) => set({ regexPattern: d.value })} />
        </Field>
      ) : (
        <Field label={t('choices')} validationMessage={props.problem('choices')}>
          <div role="group" aria-label={t('choices')} style={{ display: 'flex', flexDirection: 'column', gap: '4px' }}>
            {question.choices.map((c, i) => (
              <Input key={i} aria-label={t('choiceN', { n: i + 1 })} value={c} onChange={(_, d) => set({ choices: question.choices.map((x, j) => (j === i ? d.value : x)) })} />
            ))}
            <div>
              <Button size="small" onClick={() => set({ choices: [...question.choices, ''] })}>
                {t('addChoice')}
              </Button>
            </div>
          </div>
        </Field>
      )}
      <div>
        <Button onClick={props.onRemove}>{t('removeQuestion', { n: props.index + 1 })}</Button>
      </div>
    </fieldset>
  );
}

const frequencies: readonly ReviewFrequency[] = ['weekly', 'monthly', 'quarterly', 'semiAnnually', 'annually'];
const reviewerKinds: readonly ReviewerKind[] = ['internalSponsors', 'externalSponsors', 'singleUser', 'self'];
const noAnswer = ['keepAccess', 'removeAccess', 'acceptAccessRecommendation'] as const;

function LifecycleFields(props: { draft: PolicyDraft; update: (patch: Partial<PolicyDraft>) => void; problem: (path: string) => string | undefined }) {
  const t = useT();
  const styles = useStyles();
  const { draft, update, problem } = props;
  const setExpiration = (patch: Partial<PolicyDraft['expiration']>) => update({ expiration: { ...draft.expiration, ...patch } });
  const setReview = (patch: Partial<PolicyDraft['review']>) => update({ review: { ...draft.review, ...patch } });
  const review = draft.review;
  const frequencyLabel = useMemo(() => t(`freq_${review.frequency}`), [t, review.frequency]);
  return (
    <>
      <fieldset className={styles.fieldset}>
        <legend className={styles.legend}>{t('expiration')}</legend>
        <RadioGroup value={draft.expiration.kind} onChange={(_, d) => setExpiration({ kind: d.value as ExpirationKind })}>
          <Radio value="noExpiration" label={t('neverExpires')} />
          <Radio value="afterDays" label={t('afterDays')} />
          <Radio value="afterHours" label={t('afterHours')} />
          <Radio value="onDate" label={t('onDate')} />
        </RadioGroup>
        {(draft.expiration.kind === 'afterDays' || draft.expiration.kind === 'afterHours') && (
          <Field label={t(draft.expiration.kind === 'afterDays' ? 'numberOfDays' : 'numberOfHours')} required validationMessage={problem('expiration.amount')} className={styles.small}>
            <Input inputMode="numeric" value={draft.expiration.amount} onChange={(_, d) => setExpiration({ amount: d.value })} />
          </Field>
        )}
        {draft.expiration.kind === 'onDate' && (
          <Field label={t('endDate')} required validationMessage={problem('expiration.date')} className={styles.small}>
            <Input type="date" value={draft.expiration.date} onChange={(_, d) => setExpiration({ date: d.value })} />
          </Field>
        )}
        <Checkbox label={t('allowExtension')} checked={draft.allowExtension} onChange={(_, d) => update({ allowExtension: d.checked === true })} />
        {draft.allowExtension && draft.approvalRequired && (
          <Checkbox label={t('extensionNeedsApproval')} checked={draft.extensionNeedsApproval} onChange={(_, d) => update({ extensionNeedsApproval: d.checked === true })} />
        )}
        <Checkbox label={t('allowSelfRemove')} checked={draft.allowSelfRemove} onChange={(_, d) => update({ allowSelfRemove: d.checked === true })} />
      </fieldset>
      <fieldset className={styles.fieldset}>
        <legend className={styles.legend}>{t('accessReviews')}</legend>
        <Switch label={t('reviewsEnabled')} checked={review.enabled} onChange={(_, d) => setReview({ enabled: d.checked })} />
        {review.enabled && (
          <>
            <Field label={t('reviewFrequency')}>
              <Dropdown value={frequencyLabel} selectedOptions={[review.frequency]} onOptionSelect={(_, d) => setReview({ frequency: (d.optionValue as ReviewFrequency) ?? 'quarterly' })}>
                {frequencies.map((f) => (
                  <Option key={f} value={f}>
                    {t(`freq_${f}`)}
                  </Option>
                ))}
              </Dropdown>
            </Field>
            <div className={styles.row}>
              <Field label={t('reviewStart')} required validationMessage={problem('review.startDate')}>
                <Input type="date" value={review.startDate} onChange={(_, d) => setReview({ startDate: d.value })} />
              </Field>
              <Field label={t('reviewDuration')} required validationMessage={problem('review.durationDays')} className={styles.small}>
                <Input inputMode="numeric" value={review.durationDays} onChange={(_, d) => setReview({ durationDays: d.value })} />
              </Field>
            </div>
            <Field label={t('reviewers')}>
              <Dropdown value={t(`reviewer_${review.reviewers}`)} selectedOptions={[review.reviewers]} onOptionSelect={(_, d) => setReview({ reviewers: (d.optionValue as ReviewerKind) ?? 'internalSponsors' })}>
                {reviewerKinds.map((k) => (
                  <Option key={k} value={k}>
                    {t(`reviewer_${k}`)}
                  </Option>
                ))}
              </Dropdown>
            </Field>
            {review.reviewers === 'singleUser' && (
              <PeoplePicker
                label={t('specificReviewer')}
                userType="Member"
                multiple={false}
                required
                value={review.reviewer ? [review.reviewer] : []}
                onChange={(people) => setReview({ reviewer: people[0] })}
                validationMessage={problem('review.reviewer')}
              />
            )}
            <PeoplePicker label={t('fallbackReviewers')} userType="Member" value={review.fallback} onChange={(fallback) => setReview({ fallback })} />
            <Field label={t('whenNoAnswer')}>
              <Dropdown value={t(`noAnswer_${review.whenNoAnswer}`)} selectedOptions={[review.whenNoAnswer]} onOptionSelect={(_, d) => setReview({ whenNoAnswer: (d.optionValue as (typeof noAnswer)[number]) ?? 'keepAccess' })}>
                {noAnswer.map((k) => (
                  <Option key={k} value={k}>
                    {t(`noAnswer_${k}`)}
                  </Option>
                ))}
              </Dropdown>
            </Field>
          </>
        )}
      </fieldset>
    </>
  );
}
