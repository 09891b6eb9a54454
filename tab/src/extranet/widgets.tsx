import { Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, DialogTrigger, Field, Input, makeStyles, Textarea } from '@fluentui/react-components';
import { useState } from 'react';
import type { FormProblem, FormProblems } from './forms';
import type { DraftProblem } from './policyWizard';
import { ErrorBar, type useT } from './ui';

type T = ReturnType<typeof useT>;

/** The words of a validation problem, or undefined when the field is fine. */
export function problemText(t: T, problem: FormProblem | DraftProblem | undefined): string | undefined {
  return problem ? t(`problem_${problem}`) : undefined;
}

/** The name (required) and description fields every create form of the Extranet tab starts with. */
export function NameAndDescriptionFields(props: { t: T; problems: FormProblems; displayName: string; description: string; onChange: (patch: { displayName?: string; description?: string }) => void }) {
  const { t, problems } = props;
  return (
    <>
      <Field label={t('name')} required validationMessage={problemText(t, problems.displayName)}>
        <Input value={props.displayName} onChange={(_, d) => props.onChange({ displayName: d.value })} />
      </Field>
      <Field label={t('description')} validationMessage={problemText(t, problems.description)}>
        <Textarea value={props.description} onChange={(_, d) => props.onChange({ description: d.value })} />
      </Field>
    </>
  );
}

const useFooterStyles = makeStyles({
  row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'center' },
});

/** The end of a create form: the server's refusal (if any), the submit button and Cancel. */
export function CreateFormFooter(props: { t: T; error: string | null | undefined; busy: boolean; submit: string; onCancel: () => void }) {
  const styles = useFooterStyles();
  return (
    <>
      {props.error && <ErrorBar message={props.error} />}
      <div className={styles.row}>
        <Button appearance="primary" type="submit" disabled={props.busy}>
          {props.submit}
        </Button>
        <Button onClick={props.onCancel}>{props.t('cancel')}</Button>
      </div>
    </>
  );
}

/** A button that asks before doing something that cannot be undone (delete, revoke). */
export function ConfirmButton(props: { label: string; title: string; body: string; confirm: string; cancel: string; busy?: boolean; onConfirm: () => Promise<unknown> | void }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={(_, data) => setOpen(data.open)}>
      <DialogTrigger disableButtonEnhancement>
        <Button disabled={props.busy}>{props.label}</Button>
      </DialogTrigger>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{props.title}</DialogTitle>
          <DialogContent>{props.body}</DialogContent>
          <DialogActions>
            <DialogTrigger disableButtonEnhancement>
              <Button appearance="secondary">{props.cancel}</Button>
            </DialogTrigger>
            <Button
              appearance="primary"
              onClick={async () => {
                setOpen(false);
                await props.onConfirm();
              }}
            >
              {props.confirm}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

