import { Badge, Button, Card, Field, Input, makeStyles, Radio, RadioGroup, Text, Title3 } from '@fluentui/react-components';
import { FormEvent, useState } from 'react';
import { useApp, useLocale, useStrings } from '../app/context';
import { graphErrorMessage, Page } from '../app/graph';
import { formatDate } from '../app/i18n';
import { Empty, ErrorBar, Loading, Notice, useLoad } from '../app/ui';
import type { ReviewDecision, ReviewDefinition, ReviewInstance } from './model';
import { useListStyles } from './listStyles';
import { MyAccessKey, myAccessStrings } from './strings';

const definitions = '/identityGovernance/accessReviews/definitions';

const useStyles = makeStyles({
  card: { padding: '12px 16px', display: 'flex', flexDirection: 'column', gap: '8px' },
  form: { display: 'flex', gap: '12px', alignItems: 'flex-end', flexWrap: 'wrap' },
});

interface Review {
  definition: ReviewDefinition;
  instance: ReviewInstance;
  decisions: ReviewDecision[];
}

/**
 * My reviews: the review definitions I review (`filterByCurrentUser(on='reviewer')`), their running
 * instances, and my decision items; each one decided on its own (`PATCH …/decisions/{id}`).
 */
export function Reviews() {
  const { graph } = useApp();
  const locale = useLocale();
  const t = useStrings(myAccessStrings);
  const list = useListStyles();
  const reviews = useLoad<Review[]>(
    async () => {
      const defs = ((await graph.api(`${definitions}/filterByCurrentUser(on='reviewer')`).select(['id', 'displayName', 'settings']).top(50).get()) as Page<ReviewDefinition>).value;
      const perDefinition = await Promise.all(
        defs.map(async (definition) => {
          const instances = ((await graph.api(`${definitions}/${definition.id}/instances/filterByCurrentUser(on='reviewer')`).filter("status eq 'InProgress'").get()) as Page<ReviewInstance>).value;
          return Promise.all(
            instances.map(async (instance) => {
              const decisions = ((await graph.api(`${definitions}/${definition.id}/instances/${instance.id}/decisions/filterByCurrentUser(on='reviewer')`).top(100).get()) as Page<ReviewDecision>).value;
              return { definition, instance, decisions };
            }),
          );
        }),
      );
      return perDefinition.flat().filter((r) => r.decisions.length > 0);
    },
    [graph],
    t('networkError'),
  );

  return (
    <section className={list.section} aria-labelledby="reviews-heading">
      <h2 id="reviews-heading" className="visually-hidden">
        {t('navReviews')}
      </h2>
      <Text>{t('reviewsIntro')}</Text>
      {reviews.status === 'error' && <ErrorBar message={t('loadFailed', { message: reviews.message })} retryLabel={t('retry')} onRetry={reviews.reload} />}
      {reviews.status === 'loading' && !reviews.data && <Loading label={t('loading')} />}
      {reviews.data && reviews.data.length === 0 && <Empty>{t('reviewsEmpty')}</Empty>}
      {reviews.data?.map((review) => (
        <section key={review.instance.id} aria-label={review.definition.displayName ?? ''} className={list.section}>
          <Title3 as="h3">{review.definition.displayName}</Title3>
          <Text size={200} className={list.meta}>
            {t('reviewEnds', { date: formatDate(review.instance.endDateTime, locale) })}
          </Text>
          <ul className={list.list}>
            {review.decisions.map((d) => (
              <li key={d.id}>
                <DecisionItem review={review} decision={d} />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}

function DecisionItem(props: { review: Review; decision: ReviewDecision }) {
  const { graph } = useApp();
  const t = useStrings(myAccessStrings);
  const styles = useStyles();
  const list = useListStyles();
  const { review, decision } = props;
  const [choice, setChoice] = useState(decision.decision === 'NotReviewed' ? '' : decision.decision);
  const [justification, setJustification] = useState(decision.justification ?? '');
  const [problem, setProblem] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  const name = decision.principal?.displayName ?? decision.principal?.userPrincipalName ?? '';
  const needsReason = (choice === 'Approve' && !!review.definition.settings?.justificationRequiredOnApproval) || choice === 'Deny';

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(undefined);
    if (!choice) return setProblem(t('problem_required'));
    if (needsReason && !justification.trim()) return setProblem(t('problem_required'));
    setProblem(undefined);
    setBusy(true);
    try {
      await graph
        .api(`${definitions}/${review.definition.id}/instances/${review.instance.id}/decisions/${decision.id}`)
        .patch({ decision: choice, justification: justification.trim() || undefined });
      setSaved(t('reviewSaved'));
    } catch (error) {
      setProblem(t('actionFailed', { message: graphErrorMessage(error, t('networkError')) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card className={styles.card}>
      <div className={list.row}>
        <Text weight="semibold">{name}</Text>
        <Text size={200} className={list.meta}>
          {decision.resource?.displayName ?? ''}
        </Text>
        {decision.recommendation && decision.recommendation !== 'NotAvailable' && (
          <Badge appearance="outline">{t('recommendation', { value: t(`decision_${decision.recommendation}` as MyAccessKey) })}</Badge>
        )}
      </div>
      <form className={styles.form} onSubmit={(e) => void save(e)} noValidate>
        <Field label={t('reviewChoose', { name })} validationMessage={problem}>
          <RadioGroup layout="horizontal" value={choice} onChange={(_, d) => setChoice(d.value)}>
            <Radio value="Approve" label={t('decision_Approve')} />
            <Radio value="Deny" label={t('decision_Deny')} />
            <Radio value="DontKnow" label={t('decision_DontKnow')} />
          </RadioGroup>
        </Field>
        <Field label={t('reviewJustification')} required={needsReason}>
          <Input value={justification} onChange={(_, d) => setJustification(d.value)} />
        </Field>
        <Button type="submit" disabled={busy}>
          {t('reviewSave')}
        </Button>
      </form>
      {saved && <Notice intent="success">{saved}</Notice>}
    </Card>
  );
}
