import { Button, Card, Field, Input, Link, makeStyles, Text, Textarea, Title2, Title3, tokens } from '@fluentui/react-components';
import { FormEvent, lazy, Suspense, useMemo, useState } from 'react';
import { useApp, useLocale, useStrings } from '../app/context';
import { em, graphErrorMessage } from '../app/graph';
import { formatDate, Language } from '../app/i18n';
import { routeHash } from '../app/route';
import { ErrorBar, Loading, Notice, useLoad } from '../app/ui';
import { packageKey, packagePageData, type PackagePageData, provideChoiceControls } from './loads';
import type { AccessPackage, Question, Requirements } from './model';
import { emptyForm, FormProblems, isChoiceQuestion, localized, localToday, orderedQuestions, RequestFormState, requestBody, validateRequestForm } from './requestForm';
import { MyAccessKey, myAccessStrings } from './strings';

const ChoiceField = lazy(() => import('./ChoiceField').then((m) => ({ default: m.ChoiceField })));
// Asked for as soon as the page's data shows choice questions, which may be before it renders.
provideChoiceControls(() => void import('./ChoiceField').catch(() => undefined));

const useStyles = makeStyles({
  section: { display: 'flex', flexDirection: 'column', gap: '12px' },
  card: { padding: '20px', display: 'flex', flexDirection: 'column', gap: '12px' },
  description: { color: tokens.colorNeutralForeground2 },
  form: { display: 'flex', flexDirection: 'column', gap: '16px', maxWidth: '640px' },
  dates: { display: 'flex', gap: '16px', flexWrap: 'wrap' },
  actions: { display: 'flex', gap: '8px' },
  roles: { margin: 0, paddingLeft: '20px' },
});

/**
 * The package page, also the direct-link page (`/#/access-packages/{id}`, hidden packages too):
 * what the package gives, its policy, and the request form. Someone who may not see the package
 * (Graph answers 404) is told in plain words that it is not for them.
 */
export function PackagePage(props: { id: string }) {
  const { graph, early } = useApp();
  const t = useStrings(myAccessStrings);
  const styles = useStyles();
  // Started at sign-in when this is the first page (once; a reload asks again), and often there
  // before the page renders.
  const loaded = useLoad<PackagePageData>(
    () => early.take<PackagePageData>(packageKey(props.id)) ?? packagePageData(graph, props.id),
    [graph, props.id],
    t('networkError'),
    () => early.takeAnswered<PackagePageData>(packageKey(props.id)),
  );

  if (loaded.status === 'loading') return <Loading label={t('loading')} />;
  if (loaded.status === 'error') return <ErrorBar message={t('loadFailed', { message: loaded.message })} retryLabel={t('retry')} onRetry={loaded.reload} />;
  if (loaded.data.kind === 'notForYou') {
    return (
      <Card className={styles.card} role="alert">
        <Title2 as="h1">{t('packageNotForYou')}</Title2>
        <Text>{t('packageNotForYouDetail')}</Text>
      </Card>
    );
  }
  const { accessPackage, requirements } = loaded.data;
  return (
    <div className={styles.section}>
      <Card className={styles.card}>
        <Title2 as="h1">{accessPackage.displayName}</Title2>
        {accessPackage.description && <Text className={styles.description}>{accessPackage.description}</Text>}
        <Roles accessPackage={accessPackage} />
      </Card>
      {requirements.length === 0 ? (
        <Card className={styles.card} role="alert">
          <Title3 as="h2">{t('packageCannotRequest')}</Title3>
          <Text>{t('packageCannotRequestDetail')}</Text>
        </Card>
      ) : (
        <RequestForm accessPackage={accessPackage} requirements={requirements[0]} />
      )}
    </div>
  );
}

function Roles(props: { accessPackage: AccessPackage }) {
  const t = useStrings(myAccessStrings);
  const styles = useStyles();
  const scopes = props.accessPackage.resourceRoleScopes ?? [];
  if (scopes.length === 0) return null;
  return (
    <>
      <Title3 as="h2">{t('whatYouGet')}</Title3>
      <ul className={styles.roles}>
        {scopes.map((s) => (
          <li key={s.id}>
            <Text>
              {t('roleOn', {
                role: s.role?.displayName ?? '',
                resource: s.role?.originSystem === 'SharePointOnline' ? t('siteResource') : t('groupResource'),
              })}
            </Text>
          </li>
        ))}
      </ul>
    </>
  );
}

/** What the policy says about approval and how long access lasts. */
function policySummary(requirements: Requirements, t: (key: MyAccessKey, params?: Record<string, string | number>) => string, locale: ReturnType<typeof useLocale>): string[] {
  const lines = [requirements.isApprovalRequiredForAdd ? t('approvalRequired') : t('noApproval')];
  const expiration = requirements.schedule?.expiration;
  const duration = expiration?.duration ? /^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$/.exec(expiration.duration) : null;
  if (expiration?.type === 'afterDuration' && duration?.[1]) lines.push(t('expiresAfterDays', { days: Number(duration[1]) }));
  else if (expiration?.type === 'afterDuration' && duration?.[2]) lines.push(t('expiresAfterHours', { hours: Number(duration[2]) }));
  else if (expiration?.type === 'afterDateTime' && expiration.endDateTime) lines.push(t('expiresOn', { date: formatDate(expiration.endDateTime, locale) }));
  else if (expiration?.type === 'noExpiration') lines.push(t('noExpiry'));
  return lines;
}

function RequestForm(props: { accessPackage: AccessPackage; requirements: Requirements }) {
  const { graph } = useApp();
  const locale = useLocale();
  const t = useStrings(myAccessStrings);
  const styles = useStyles();
  const { requirements } = props;
  const questions = useMemo(() => orderedQuestions(requirements), [requirements]);
  const [form, setForm] = useState<RequestFormState>(emptyForm);
  const [problems, setProblems] = useState<FormProblems>({});
  const [sending, setSending] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  const [done, setDone] = useState(false);

  const problemText = (field: string) => (problems[field] ? t(`problem_${problems[field]}` as MyAccessKey) : undefined);
  const setAnswer = (id: string, value: string | string[]) => setForm((f) => ({ ...f, answers: { ...f.answers, [id]: value } }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setRefusal(undefined);
    const found = validateRequestForm(requirements, form, localToday());
    setProblems(found);
    if (Object.keys(found).length > 0) {
      // Move focus to the first field that needs attention, for keyboard and screen reader users.
      const first = Object.keys(found)[0];
      document.getElementById(`field-${first}`)?.focus();
      return;
    }
    setSending(true);
    try {
      await graph.api(`${em}/assignmentRequests`).post(requestBody(props.accessPackage.id, requirements, form));
      setDone(true);
    } catch (error) {
      setRefusal(t('requestFailed', { message: graphErrorMessage(error, t('networkError')) }));
    } finally {
      setSending(false);
    }
  };

  if (done) {
    return (
      <Card className={styles.card}>
        <Notice intent="success">{t('submitted')}</Notice>
        <Text>{t('submittedDetail')}</Text>
        <Link href={routeHash({ page: 'my-access', section: 'requests' })}>{t('viewRequests')}</Link>
      </Card>
    );
  }

  return (
    <Card className={styles.card}>
      <Title3 as="h2">{t('requestTitle')}</Title3>
      <ul className={styles.roles} aria-label={t('policy')}>
        {policySummary(requirements, t, locale).map((line) => (
          <li key={line}>
            <Text>{line}</Text>
          </li>
        ))}
      </ul>
      <form className={styles.form} onSubmit={(e) => void submit(e)} noValidate aria-label={t('requestTitle')}>
        {questions.map((q) => (
          <QuestionField key={q.id} question={q} language={locale.language} value={form.answers[q.id]} problem={problemText(`question:${q.id}`)} onChange={(v) => setAnswer(q.id, v)} chooseOne={t('chooseOne')} />
        ))}
        <Field
          label={requirements.isRequestorJustificationRequired ? t('justificationRequired') : t('justificationOptional')}
          hint={t('justification')}
          required={!!requirements.isRequestorJustificationRequired}
          validationMessage={problemText('justification')}
        >
          <Textarea id="field-justification" value={form.justification} onChange={(_, d) => setForm((f) => ({ ...f, justification: d.value }))} resize="vertical" />
        </Field>
        {requirements.allowCustomAssignmentSchedule && (
          <div className={styles.dates}>
            <Field label={t('startDate')} validationMessage={problemText('startDate')}>
              <Input id="field-startDate" type="date" value={form.startDate} onChange={(_, d) => setForm((f) => ({ ...f, startDate: d.value }))} />
            </Field>
            <Field label={t('endDate')} validationMessage={problemText('endDate')}>
              <Input id="field-endDate" type="date" value={form.endDate} onChange={(_, d) => setForm((f) => ({ ...f, endDate: d.value }))} />
            </Field>
          </div>
        )}
        {Object.keys(problems).length > 0 && <ErrorBar message={t('fixProblems')} />}
        {refusal && <ErrorBar message={refusal} />}
        <div className={styles.actions}>
          <Button appearance="primary" type="submit" disabled={sending}>
            {sending ? t('submitting') : t('submit')}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function QuestionField(props: { question: Question; language: Language; value: string | string[] | undefined; problem?: string; onChange: (value: string | string[]) => void; chooseOne: string }) {
  const { question, language } = props;
  const label = localized(question.text, question.localizations, language);
  const id = `field-question:${question.id}`;
  if (isChoiceQuestion(question)) {
    // Choices (radio buttons, checkboxes, a dropdown) load only for a policy that asks them.
    return (
      <Suspense fallback={<Field label={label} required={!!question.isRequired} />}>
        <ChoiceField {...props} label={label} id={id} />
      </Suspense>
    );
  }
  const text = typeof props.value === 'string' ? props.value : '';
  return (
    <Field label={label} required={!!question.isRequired} validationMessage={props.problem}>
      {question.isSingleLineQuestion ? (
        <Input id={id} value={text} onChange={(_, d) => props.onChange(d.value)} />
      ) : (
        <Textarea id={id} value={text} onChange={(_, d) => props.onChange(d.value)} resize="vertical" />
      )}
    </Field>
  );
}
