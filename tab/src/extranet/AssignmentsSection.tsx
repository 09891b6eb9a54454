import { makeStyles, Text, tokens } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { useLocale } from '../app/context';
import { em } from '../app/graph';
import { formatDate } from '../app/i18n';
import { useExtranet } from './ExtranetPage';
import { PagedTable } from './tables';
import { ConfirmButton } from './widgets';
import { Empty, enumText, ErrorBar, useAction, useT } from './ui';

interface Assignment {
  id: string;
  state: string;
  target?: { displayName?: string | null; email?: string | null } | null;
  accessPackage?: { displayName: string; catalog?: { id: string } | null } | null;
  schedule?: { expiration?: { endDateTime?: string | null } | null } | null;
}

const useStyles = makeStyles({
  column: { display: 'flex', flexDirection: 'column', gap: '12px' },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** Who has access now, and revoking it (`adminRemove`). */
export function AssignmentsSection() {
  const t = useT();
  const styles = useStyles();
  const locale = useLocale();
  const { caps } = useExtranet();
  const action = useAction();
  // A revocation is a request the engine carries out right after it commits: until the list no longer
  // shows the assignment, its row says so and the list is read again every second (20 s at most).
  const [removing, setRemoving] = useState<ReadonlySet<string>>(new Set());
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (removing.size === 0) return;
    let rounds = 0;
    const timer = setInterval(() => {
      rounds += 1;
      setTick((n) => n + 1);
      if (rounds >= 20) {
        clearInterval(timer);
        setRemoving(new Set());
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [removing]);
  return (
    <div className={styles.column}>
      <Text as="h2" size={500} weight="semibold">
        {t('section_assignments')}
      </Text>
      <Text className={styles.muted}>{t('assignmentsIntro')}</Text>
      {action.error && <ErrorBar message={action.error} />}
      <PagedTable<Assignment>
        label={t('section_assignments')}
        columns={[t('person'), t('package'), t('state'), t('expires'), t('actions')]}
        load={(graph) =>
          graph
            .api(`${em}/assignments`)
            .filter("state eq 'delivered' or state eq 'delivering' or state eq 'partiallyDelivered' or state eq 'deliveryFailed'")
            .expand('target,accessPackage($select=id,displayName;$expand=catalog($select=id))')
            .top(25)
            .get()
        }
        deps={[tick]}
        rowKey={(a) => a.id}
        empty={<Empty>{t('noAssignments')}</Empty>}
        row={(a, reload) => [
          [a.target?.displayName, a.target?.email].filter(Boolean).join(' · '),
          a.accessPackage?.displayName ?? '',
          enumText(t, 'assignment_', a.state),
          a.schedule?.expiration?.endDateTime ? formatDate(a.schedule.expiration.endDateTime, locale) : t('never'),
          removing.has(a.id) ? (
            t('removing')
          ) : a.accessPackage?.catalog && caps.manageAssignments(a.accessPackage.catalog.id) && a.state === 'delivered' ? (
            <ConfirmButton
              label={t('revoke')}
              title={t('revokeTitle', { name: a.target?.displayName ?? '', package: a.accessPackage?.displayName ?? '' })}
              body={t('revokeBody')}
              confirm={t('revoke')}
              cancel={t('cancel')}
              busy={action.busy}
              onConfirm={() =>
                action.run(
                  (graph) => graph.api(`${em}/assignmentRequests`).post({ requestType: 'adminRemove', assignment: { id: a.id } }),
                  () => {
                    setRemoving((ids) => new Set([...ids, a.id]));
                    reload();
                  },
                )
              }
            />
          ) : (
            ''
          ),
        ]}
      />
    </div>
  );
}
