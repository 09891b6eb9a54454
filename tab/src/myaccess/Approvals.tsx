import { Button, Card, Checkbox, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, makeStyles, Text, Textarea, tokens } from '@fluentui/react-components';
import { FormEvent, useMemo, useState } from 'react';
import { useApp, useLocale, useStrings } from '../app/context';
import { em, graphErrorMessage, Page } from '../app/graph';
import { formatDate } from '../app/i18n';
import { Empty, ErrorBar, Loading, Notice, useLoad } from '../app/ui';
import type { Approval, ApprovalStage, AssignmentRequest } from './model';
import { localized } from './requestForm';
import { useListStyles } from './listStyles';
import { myAccessStrings } from './strings';

const useStyles = makeStyles({
  card: { padding: '12px 16px', display: 'flex', flexDirection: 'row', gap: '12px', alignItems: 'flex-start' },
  body: { display: 'flex', flexDirection: 'column', gap: '4px', flexGrow: 1, minWidth: 0 },
  toolbar: { display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap' },
  answers: { margin: 0, paddingLeft: '18px', color: tokens.colorNeutralForeground2 },
});

interface Pending {
  approval: Approval;
  stage: ApprovalStage;
  request?: AssignmentRequest;
}

type Decision = 'Approve' | 'Deny';

/** The stage an approver decides now: in progress and assigned to them. */
export function currentStage(approval: Approval): ApprovalStage | undefined {
  return approval.stages.find((s) => s.status === 'InProgress' && s.reviewResult === 'NotReviewed' && s.assignedToMe !== false);
}

/**
 * Approvals (`accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`): each with its
 * request (who, which package, answers, justification); approve or deny one or several at once,
 * with a justification, by PATCHing each one's current stage.
 */
export function Approvals() {
  const { graph } = useApp();
  const locale = useLocale();
  const t = useStrings(myAccessStrings);
  const styles = useStyles();
  const list = useListStyles();
  const pending = useLoad<Pending[]>(
    async () => {
      const approvals = ((await graph.api(`${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`).get()) as Page<Approval>).value;
      const open = approvals.flatMap((approval) => {
        const stage = currentStage(approval);
        return stage ? [{ approval, stage }] : [];
      });
      // An approval's id is its request's id: read the requests for who asked what.
      return Promise.all(
        open.map(async (p) => {
          const request = (await graph
            .api(`${em}/assignmentRequests/${p.approval.id}`)
            .expand('accessPackage($select=id,displayName),requestor')
            .get()
            .catch(() => undefined)) as AssignmentRequest | undefined;
          return { ...p, request };
        }),
      );
    },
    [graph],
    t('networkError'),
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [deciding, setDeciding] = useState<{ decision: Decision; ids: string[] }>();
  const [justification, setJustification] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();
  const items = useMemo(() => pending.data ?? [], [pending.data]);
  const allSelected = items.length > 0 && items.every((p) => selected.has(p.approval.id));

  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const open = (decision: Decision, ids: string[]) => {
    setDeciding({ decision, ids });
    setJustification('');
    setProblem(undefined);
  };

  const decide = async (event: FormEvent) => {
    event.preventDefault();
    if (!deciding) return;
    if (deciding.decision === 'Deny' && justification.trim() === '') {
      setProblem(t('problem_required'));
      document.getElementById('decision-justification')?.focus();
      return;
    }
    setBusy(true);
    const targets = items.filter((p) => deciding.ids.includes(p.approval.id));
    const results = await Promise.allSettled(
      targets.map((p) =>
        graph.api(`${em}/accessPackageAssignmentApprovals/${p.approval.id}/stages/${p.stage.id}`).patch({ reviewResult: deciding.decision, justification: justification.trim() || undefined }),
      ),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const ok = results.length - failures.length;
    setNotice(
      failures.length === 0
        ? { ok: true, text: t('decided', { count: ok }) }
        : { ok: false, text: t('decideFailed', { count: failures.length, message: graphErrorMessage(failures[0].reason, t('networkError')) }) },
    );
    setBusy(false);
    setDeciding(undefined);
    setSelected(new Set());
    pending.reload();
  };

  return (
    <section className={list.section} aria-labelledby="approvals-heading">
      <h2 id="approvals-heading" className="visually-hidden">
        {t('navApprovals')}
      </h2>
      <Text>{t('approvalsIntro')}</Text>
      {notice && (notice.ok ? <Notice intent="success">{notice.text}</Notice> : <ErrorBar message={notice.text} />)}
      {pending.status === 'error' && <ErrorBar message={t('loadFailed', { message: pending.message })} retryLabel={t('retry')} onRetry={pending.reload} />}
      {pending.status === 'loading' && !pending.data && <Loading label={t('loading')} />}
      {pending.data && items.length === 0 && <Empty>{t('approvalsEmpty')}</Empty>}
      {items.length > 0 && (
        <>
          <div className={styles.toolbar}>
            <Checkbox label={t('selectAll')} checked={allSelected ? true : selected.size > 0 ? 'mixed' : false} onChange={(_, d) => setSelected(d.checked ? new Set(items.map((p) => p.approval.id)) : new Set())} />
            <Text aria-live="polite">{t('selectedCount', { count: selected.size })}</Text>
            <Button appearance="primary" disabled={selected.size === 0} onClick={() => open('Approve', [...selected])}>
              {t('approveSelected')}
            </Button>
            <Button disabled={selected.size === 0} onClick={() => open('Deny', [...selected])}>
              {t('denySelected')}
            </Button>
          </div>
          <ul className={list.list} aria-label={t('navApprovals')} data-testid="approval-list">
            {items.map((p) => {
              const who = p.request?.requestor?.displayName ?? p.request?.requestor?.email ?? '';
              const what = p.request?.accessPackage?.displayName ?? '';
              return (
                <li key={p.approval.id}>
                  <Card className={styles.card}>
                    <Checkbox aria-label={t('selectRequest', { name: who, package: what })} checked={selected.has(p.approval.id)} onChange={(_, d) => toggle(p.approval.id, !!d.checked)} />
                    <div className={styles.body}>
                      <Text weight="semibold">{what}</Text>
                      <Text size={200} className={list.meta}>
                        {t('requestedBy', { name: who })} · {p.request?.requestor?.email ?? ''} · {formatDate(p.request?.createdDateTime, locale, true)} · {t('stage', { n: p.approval.stages.indexOf(p.stage) + 1 })}
                      </Text>
                      {p.request?.justification && <Text size={200}>{t('theirJustification', { text: p.request.justification })}</Text>}
                      {(p.request?.answers ?? []).length > 0 && (
                        <ul className={styles.answers} aria-label={t('answers')}>
                          {(p.request?.answers ?? []).map((a, i) => (
                            <li key={i}>
                              <Text size={200}>
                                {a.answeredQuestion ? localized(a.answeredQuestion.text, a.answeredQuestion.localizations, locale.language) : ''}: {a.displayValue ?? a.value ?? ''}
                              </Text>
                            </li>
                          ))}
                        </ul>
                      )}
                    </div>
                    <div className={styles.toolbar}>
                      <Button size="small" appearance="primary" onClick={() => open('Approve', [p.approval.id])} aria-label={`${t('approve')}: ${who}, ${what}`}>
                        {t('approve')}
                      </Button>
                      <Button size="small" onClick={() => open('Deny', [p.approval.id])} aria-label={`${t('deny')}: ${who}, ${what}`}>
                        {t('deny')}
                      </Button>
                    </div>
                  </Card>
                </li>
              );
            })}
          </ul>
        </>
      )}
      <Dialog open={!!deciding} onOpenChange={(_, d) => !d.open && setDeciding(undefined)}>
        <DialogSurface>
          <form onSubmit={(e) => void decide(e)} noValidate>
            <DialogBody>
              <DialogTitle>{deciding?.decision === 'Deny' ? t('decideTitleDeny', { count: deciding.ids.length }) : t('decideTitleApprove', { count: deciding?.ids.length ?? 0 })}</DialogTitle>
              <DialogContent>
                <Field label={t('decisionJustification')} hint={t('decisionJustificationHint')} required={deciding?.decision === 'Deny'} validationMessage={problem}>
                  <Textarea id="decision-justification" value={justification} onChange={(_, d) => setJustification(d.value)} />
                </Field>
              </DialogContent>
              <DialogActions>
                <Button appearance="primary" type="submit" disabled={busy}>
                  {deciding?.decision === 'Deny' ? t('deny') : t('approve')}
                </Button>
                <Button onClick={() => setDeciding(undefined)}>{t('close')}</Button>
              </DialogActions>
            </DialogBody>
          </form>
        </DialogSurface>
      </Dialog>
    </section>
  );
}
