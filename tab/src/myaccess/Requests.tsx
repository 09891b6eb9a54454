import { Badge, Button, Card, CardHeader, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Text } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { useApp, useLocale, useStrings } from '../app/context';
import { em, graphErrorMessage, Page } from '../app/graph';
import { formatDate } from '../app/i18n';
import { Empty, ErrorBar, Loading, Notice, useLoad } from '../app/ui';
import { useListStyles } from './listStyles';
import type { AssignmentRequest } from './model';
import { isCancellable, requestState } from './status';
import { MyAccessKey, myAccessStrings } from './strings';


/** How often an open request is re-read, so its status moves on screen. */
const refreshMs = 4000;

/** My requests (`assignmentRequests/filterByCurrentUser(on='target')`): status as it moves, cancel. */
export function Requests() {
  const { graph } = useApp();
  const locale = useLocale();
  const t = useStrings(myAccessStrings);
  const styles = useListStyles();
  const requests = useLoad(
    async () =>
      ((await graph
        .api(`${em}/assignmentRequests/filterByCurrentUser(on='target')`)
        .select(['id', 'requestType', 'state', 'status', 'createdDateTime', 'completedDateTime', 'justification'])
        .expand('accessPackage($select=id,displayName)')
        .orderby('createdDateTime desc')
        .top(50)
        .get()) as Page<AssignmentRequest>).value,
    [graph],
    t('networkError'),
  );
  const [confirm, setConfirm] = useState<AssignmentRequest>();
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();
  const open = requests.data?.some((r) => !requestState(r.state).final) ?? false;
  const { reload } = requests;

  // While a request is still moving, re-read the list now and then.
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [open, reload]);

  const cancel = async (request: AssignmentRequest) => {
    setConfirm(undefined);
    try {
      await graph.api(`${em}/assignmentRequests/${request.id}/cancel`).post({});
      setNotice({ ok: true, text: t('cancelled') });
    } catch (error) {
      setNotice({ ok: false, text: t('actionFailed', { message: graphErrorMessage(error, t('networkError')) }) });
    }
    reload();
  };

  return (
    <section className={styles.section} aria-labelledby="requests-heading">
      <h2 id="requests-heading" className="visually-hidden">
        {t('navRequests')}
      </h2>
      <Text>{t('requestsIntro')}</Text>
      {notice && (notice.ok ? <Notice intent="success">{notice.text}</Notice> : <ErrorBar message={notice.text} />)}
      {requests.status === 'error' && <ErrorBar message={t('loadFailed', { message: requests.message })} retryLabel={t('retry')} onRetry={reload} />}
      {requests.status === 'loading' && !requests.data && <Loading label={t('loading')} />}
      {requests.data && requests.data.length === 0 && <Empty>{t('requestsEmpty')}</Empty>}
      {requests.data && requests.data.length > 0 && (
        <ul className={styles.list} aria-label={t('navRequests')} data-testid="request-list">
          {requests.data.map((r) => {
            const state = requestState(r.state);
            return (
              <li key={r.id}>
                <Card size="small">
                  <CardHeader
                    header={<Text weight="semibold">{r.accessPackage?.displayName ?? ''}</Text>}
                    description={
                      <div className={styles.row}>
                        <Badge appearance="tint" color={state.color} data-testid="request-state">
                          {t(state.key)}
                        </Badge>
                        <Text size={200} className={styles.meta}>
                          {t(`requestType_${r.requestType}` as MyAccessKey)} · {t('requested', { date: formatDate(r.createdDateTime, locale, true) })}
                        </Text>
                      </div>
                    }
                    action={
                      isCancellable(r.state) ? (
                        <Button size="small" className={styles.nowrap} onClick={() => setConfirm(r)}>
                          {t('cancel')}
                        </Button>
                      ) : undefined
                    }
                  />
                </Card>
              </li>
            );
          })}
        </ul>
      )}
      <Dialog open={!!confirm} onOpenChange={(_, d) => !d.open && setConfirm(undefined)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{t('cancelConfirm', { name: confirm?.accessPackage?.displayName ?? '' })}</DialogTitle>
            <DialogContent />
            <DialogActions>
              <Button appearance="primary" onClick={() => confirm && void cancel(confirm)}>
                {t('cancel')}
              </Button>
              <Button onClick={() => setConfirm(undefined)}>{t('cancelKeep')}</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </section>
  );
}
