import { makeStyles, Text, tokens } from '@fluentui/react-components';
import { useLocale } from '../app/context';
import { em } from '../app/graph';
import { formatDate } from '../app/i18n';
import { PagedTable } from './tables';
import { Empty, enumText, useT } from './ui';

interface AssignmentRequest {
  id: string;
  requestType: string;
  state: string;
  createdDateTime: string;
  justification?: string | null;
  requestor?: { displayName?: string | null; email?: string | null } | null;
  accessPackage?: { displayName: string } | null;
}

const useStyles = makeStyles({
  column: { display: 'flex', flexDirection: 'column', gap: '12px' },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** Requests of the packages the person manages, newest first, as they move. */
export function RequestsSection() {
  const t = useT();
  const styles = useStyles();
  const locale = useLocale();
  return (
    <div className={styles.column}>
      <Text as="h2" size={500} weight="semibold">
        {t('section_requests')}
      </Text>
      <Text className={styles.muted}>{t('requestsIntro')}</Text>
      <PagedTable<AssignmentRequest>
        label={t('section_requests')}
        columns={[t('requestedOn'), t('requestor'), t('package'), t('requestType'), t('state'), t('justification')]}
        load={(graph) => graph.api(`${em}/assignmentRequests`).expand('requestor,accessPackage($select=id,displayName)').orderby('createdDateTime desc').top(25).get()}
        deps={[]}
        rowKey={(r) => r.id}
        empty={<Empty>{t('noRequests')}</Empty>}
        row={(r) => [
          formatDate(r.createdDateTime, locale, true),
          [r.requestor?.displayName, r.requestor?.email].filter(Boolean).join(' · '),
          r.accessPackage?.displayName ?? '',
          enumText(t, 'type_', r.requestType),
          enumText(t, 'request_', r.state),
          r.justification ?? '',
        ]}
      />
    </div>
  );
}
