import { Card, makeStyles, Text, tokens } from '@fluentui/react-components';
import { useLocale } from '../app/context';
import { formatDate } from '../app/i18n';
import { enumText, useT } from './ui';

interface Subject {
  '@odata.type': string;
  description?: string | null;
}

/** The parts of an `accessPackageAssignmentPolicy` the summary shows. */
export interface Policy {
  id: string;
  displayName: string;
  description?: string | null;
  allowedTargetScope: string;
  specificAllowedTargets?: Subject[];
  expiration?: { type: string; duration?: string | null; endDateTime?: string | null } | null;
  requestorSettings?: { enableTargetsToSelfUpdateAccess?: boolean } | null;
  requestApprovalSettings?: {
    isApprovalRequiredForAdd?: boolean;
    isRequestorJustificationRequired?: boolean;
    stages?: Array<{ primaryApprovers?: Subject[]; fallbackPrimaryApprovers?: Subject[]; escalationApprovers?: Subject[]; isEscalationEnabled?: boolean }>;
  } | null;
  reviewSettings?: { isEnabled?: boolean; schedule?: { recurrence?: { pattern?: { type?: string; interval?: number } } | null } | null } | null;
  questions?: unknown[];
}

const useStyles = makeStyles({
  card: { padding: '12px 16px', display: 'flex', flexDirection: 'column', gap: '4px', marginBottom: '8px' },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: '16px', rowGap: '4px', margin: 0 },
  term: { color: tokens.colorNeutralForeground3 },
  value: { margin: 0 },
});

type T = ReturnType<typeof useT>;

function subjectText(subject: Subject, t: T): string {
  const kind = subject['@odata.type'].replace('#microsoft.graph.', '');
  switch (kind) {
    case 'externalSponsors':
      return t('approver_externalSponsors');
    case 'internalSponsors':
      return t('approver_internalSponsors');
    case 'requestorManager':
      return t('approver_requestorManager');
    case 'targetUserSponsors':
      return t('approver_targetUserSponsors');
    default:
      return subject.description ?? t('approver_singleUser');
  }
}

/** ISO 8601 durations of days or hours in words; other forms are rare in policies made here. */
export function durationText(duration: string | null | undefined, t: T): string {
  const days = /^P(\d+)D$/.exec(duration ?? '');
  if (days) return t('days', { n: Number(days[1]) });
  const hours = /^PT(\d+)H$/.exec(duration ?? '');
  if (hours) return t('hours', { n: Number(hours[1]) });
  return duration ?? '';
}

function reviewText(policy: Policy, t: T): string {
  const review = policy.reviewSettings;
  if (!review?.isEnabled) return t('noReviews');
  const pattern = review.schedule?.recurrence?.pattern;
  if (pattern?.type === 'weekly') return t('freq_weekly');
  if (pattern?.type === 'absoluteYearly' || pattern?.type === 'relativeYearly') return t('freq_annually');
  if (pattern?.interval === 3) return t('freq_quarterly');
  if (pattern?.interval === 6) return t('freq_semiAnnually');
  return t('freq_monthly');
}

/** A policy in words: who may request, who approves, how long access lasts, reviews. */
export function PolicySummary(props: { policy: Policy }) {
  const t = useT();
  const locale = useLocale();
  const styles = useStyles();
  const { policy } = props;
  const approval = policy.requestApprovalSettings;
  const who =
    policy.allowedTargetScope === 'specificConnectedOrganizationUsers'
      ? t('whoSpecificOrgsValue', { names: (policy.specificAllowedTargets ?? []).map((s) => s.description ?? '').filter(Boolean).join(', ') })
      : enumText(t, 'scope_', policy.allowedTargetScope);
  const stages = approval?.isApprovalRequiredForAdd
    ? (approval.stages ?? [])
        .map((s, i) =>
          t('stageSummary', {
            n: i + 1,
            approvers: (s.primaryApprovers ?? []).map((a) => subjectText(a, t)).join(', '),
            fallback: (s.fallbackPrimaryApprovers ?? []).map((a) => subjectText(a, t)).join(', ') || t('none'),
          }),
        )
        .join(' ')
    : t('noApproval');
  const expiration = policy.expiration;
  const expires =
    !expiration || expiration.type === 'noExpiration' || expiration.type === 'notSpecified'
      ? t('neverExpires')
      : expiration.type === 'afterDateTime'
        ? t('expiresOn', { date: formatDate(expiration.endDateTime, locale) })
        : t('expiresAfter', { duration: durationText(expiration.duration, t) });
  const facts: Array<[string, string]> = [
    [t('whoMayRequest'), who],
    [t('approval'), stages],
    [t('justification'), approval?.isRequestorJustificationRequired ? t('yes') : t('no')],
    [t('questions'), String(policy.questions?.length ?? 0)],
    [t('expiration'), expires],
    [t('extension'), policy.requestorSettings?.enableTargetsToSelfUpdateAccess ? t('yes') : t('no')],
    [t('accessReviews'), reviewText(policy, t)],
  ];
  return (
    <Card className={styles.card}>
      <Text as="h4" weight="semibold">
        {policy.displayName}
      </Text>
      {policy.description && <Text>{policy.description}</Text>}
      <dl className={styles.facts}>
        {facts.map(([term, value]) => (
          <div key={term} style={{ display: 'contents' }}>
            <dt className={styles.term}>{term}</dt>
            <dd className={styles.value}>{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
