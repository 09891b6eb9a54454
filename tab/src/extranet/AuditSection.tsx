import { makeStyles, Text, tokens } from '@fluentui/react-components';
import { useLocale } from '../app/context';
import { formatDate } from '../app/i18n';
import { PagedTable } from './tables';
import { Empty, useT } from './ui';

interface DirectoryAudit {
  id: string;
  activityDisplayName: string;
  activityDateTime: string;
  result?: string | null;
  resultReason?: string | null;
  initiatedBy?: { user?: { displayName?: string | null; userPrincipalName?: string | null } | null; app?: { displayName?: string | null } | null } | null;
  targetResources?: Array<{ displayName?: string | null }>;
}

const useStyles = makeStyles({
  column: { display: 'flex', flexDirection: 'column', gap: '12px' },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** The entitlement-management audit log (`auditLogs/directoryAudits`), newest first. */
export function AuditSection() {
  const t = useT();
  const styles = useStyles();
  const locale = useLocale();
  return (
    <div className={styles.column}>
      <Text as="h2" size={500} weight="semibold">
        {t('section_audit')}
      </Text>
      <Text className={styles.muted}>{t('auditIntro')}</Text>
      <PagedTable<DirectoryAudit>
        label={t('section_audit')}
        columns={[t('when'), t('activity'), t('by'), t('target'), t('result')]}
        load={(graph) => graph.api('/auditLogs/directoryAudits').filter("category eq 'EntitlementManagement'").orderby('activityDateTime desc').top(25).get()}
        deps={[]}
        rowKey={(a) => a.id}
        empty={<Empty>{t('noAudit')}</Empty>}
        row={(a) => [
          formatDate(a.activityDateTime, locale, true),
          a.activityDisplayName,
          a.initiatedBy?.user?.displayName ?? a.initiatedBy?.app?.displayName ?? '',
          (a.targetResources ?? []).map((r) => r.displayName).filter(Boolean).join(', '),
          a.result === 'success' ? t('resultSuccess') : [t('resultFailure'), a.resultReason].filter(Boolean).join(': '),
        ]}
      />
    </div>
  );
}
