import { Badge, Button, Card, CardHeader, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Text, Textarea } from '@fluentui/react-components';
import { FormEvent, useState } from 'react';
import { useApp, useLocale, useStrings } from '../app/context';
import { em, graphErrorMessage, Page } from '../app/graph';
import { formatDate } from '../app/i18n';
import { Empty, ErrorBar, Loading, Notice, useLoad } from '../app/ui';
import type { Assignment } from './model';
import { useListStyles } from './listStyles';
import { myAccessStrings } from './strings';

type Action = { kind: 'extend' | 'leave'; assignment: Assignment };

/** My access (`assignments/filterByCurrentUser(on='target')`): what I have, until when; extend, leave. */
export function Access() {
  const { graph } = useApp();
  const locale = useLocale();
  const t = useStrings(myAccessStrings);
  const styles = useListStyles();
  const assignments = useLoad(
    async () =>
      ((await graph
        .api(`${em}/assignments/filterByCurrentUser(on='target')`)
        .filter("state eq 'delivered' or state eq 'delivering'")
        .expand('accessPackage($select=id,displayName,description),assignmentPolicy($select=id,requestorSettings)')
        .top(100)
        .get()) as Page<Assignment>).value,
    [graph],
    t('networkError'),
  );
  const [action, setAction] = useState<Action>();
  const [justification, setJustification] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();

  const start = (next: Action) => {
    setAction(next);
    setJustification('');
    setProblem(undefined);
  };

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!action) return;
    if (action.kind === 'extend' && justification.trim() === '') {
      setProblem(t('problem_required'));
      document.getElementById('extend-justification')?.focus();
      return;
    }
    setBusy(true);
    const name = action.assignment.accessPackage?.displayName ?? '';
    try {
      await graph.api(`${em}/assignmentRequests`).post(
        action.kind === 'extend'
          ? { requestType: 'userUpdate', assignment: { id: action.assignment.id }, justification: justification.trim() }
          : { requestType: 'userRemove', assignment: { id: action.assignment.id } },
      );
      setNotice({ ok: true, text: action.kind === 'extend' ? t('extended') : t('left', { name }) });
      setAction(undefined);
      assignments.reload();
    } catch (error) {
      setProblem(t('actionFailed', { message: graphErrorMessage(error, t('networkError')) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={styles.section} aria-labelledby="access-heading">
      <h2 id="access-heading" className="visually-hidden">
        {t('navAccess')}
      </h2>
      <Text>{t('accessIntro')}</Text>
      {notice && (notice.ok ? <Notice intent="success">{notice.text}</Notice> : <ErrorBar message={notice.text} />)}
      {assignments.status === 'error' && <ErrorBar message={t('loadFailed', { message: assignments.message })} retryLabel={t('retry')} onRetry={assignments.reload} />}
      {assignments.status === 'loading' && !assignments.data && <Loading label={t('loading')} />}
      {assignments.data && assignments.data.length === 0 && <Empty>{t('accessEmpty')}</Empty>}
      {assignments.data && assignments.data.length > 0 && (
        <ul className={styles.list} aria-label={t('navAccess')} data-testid="access-list">
          {assignments.data.map((a) => {
            const end = a.schedule?.expiration?.endDateTime;
            const settings = a.assignmentPolicy?.requestorSettings;
            return (
              <li key={a.id}>
                <Card size="small">
                  <CardHeader
                    header={<Text weight="semibold">{a.accessPackage?.displayName ?? ''}</Text>}
                    description={
                      <div className={styles.row}>
                        <Badge appearance="tint" color={a.state === 'delivered' ? 'success' : 'brand'} data-testid="access-state">
                          {a.state === 'delivered' ? t('accessActive') : t('state_delivering')}
                        </Badge>
                        <Text size={200} className={styles.meta}>
                          {end ? t('expires', { date: formatDate(end, locale) }) : t('neverExpires')}
                        </Text>
                      </div>
                    }
                    action={
                      <div className={styles.actions}>
                        {end && settings?.enableTargetsToSelfUpdateAccess !== false && a.state === 'delivered' && (
                          <Button size="small" onClick={() => start({ kind: 'extend', assignment: a })}>
                            {t('extend')}
                          </Button>
                        )}
                        {settings?.enableTargetsToSelfRemoveAccess !== false && (
                          <Button size="small" onClick={() => start({ kind: 'leave', assignment: a })}>
                            {t('leave')}
                          </Button>
                        )}
                      </div>
                    }
                  />
                </Card>
              </li>
            );
          })}
        </ul>
      )}
      <Dialog open={!!action} onOpenChange={(_, d) => !d.open && setAction(undefined)}>
        <DialogSurface>
          <form onSubmit={(e) => void send(e)} noValidate>
            <DialogBody>
              <DialogTitle>
                {action?.kind === 'extend' ? t('extendTitle', { name: action.assignment.accessPackage?.displayName ?? '' }) : t('leaveTitle', { name: action?.assignment.accessPackage?.displayName ?? '' })}
              </DialogTitle>
              <DialogContent>
                {action?.kind === 'extend' ? (
                  <Field label={t('extendJustification')} required validationMessage={problem}>
                    <Textarea id="extend-justification" value={justification} onChange={(_, d) => setJustification(d.value)} />
                  </Field>
                ) : (
                  <>
                    <Text>{t('leaveDetail')}</Text>
                    {problem && <ErrorBar message={problem} />}
                  </>
                )}
              </DialogContent>
              <DialogActions>
                <Button appearance="primary" type="submit" disabled={busy}>
                  {action?.kind === 'extend' ? t('extendSubmit') : t('leaveConfirm')}
                </Button>
                <Button onClick={() => setAction(undefined)}>{t('close')}</Button>
              </DialogActions>
            </DialogBody>
          </form>
        </DialogSurface>
      </Dialog>
    </section>
  );
}
