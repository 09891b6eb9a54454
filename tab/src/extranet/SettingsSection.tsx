import type { Client } from '@microsoft/microsoft-graph-client';
import { Button, Field, Input, makeStyles, MessageBar, MessageBarBody, Radio, RadioGroup, Text, tokens } from '@fluentui/react-components';
import { FormEvent, useEffect, useState } from 'react';
import { em } from '../app/graph';
import { useExtranet } from './ExtranetPage';
import { durationDays, FormProblems, SettingsDraft, validateSettings } from './forms';
import { problemText } from './widgets';
import { ErrorBar, Loaded, useAction, useLoad, useT } from './ui';

interface Settings {
  externalUserLifecycleAction: SettingsDraft['action'];
  durationUntilExternalUserDeletedAfterBlocked?: string | null;
}

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '12px', maxWidth: '640px' },
  muted: { color: tokens.colorNeutralForeground3 },
  small: { maxWidth: '160px' },
});

function loadSettings(graph: Client): Promise<Settings> {
  return graph.api(`${em}/settings`).get();
}

/** The external user lifecycle (DESIGN §1 step 12): what happens to governed guests whose last access ends. */
export function SettingsSection() {
  const t = useT();
  const styles = useStyles();
  const [load, reload] = useLoad(loadSettings, []);
  return (
    <div className={styles.form}>
      <Text as="h2" size={500} weight="semibold">
        {t('section_settings')}
      </Text>
      <Text className={styles.muted}>{t('settingsIntro')}</Text>
      <Loaded load={load} onRetry={reload}>
        {(settings) => <SettingsForm settings={settings} onSaved={reload} />}
      </Loaded>
    </div>
  );
}

function SettingsForm(props: { settings: Settings; onSaved: () => void }) {
  const t = useT();
  const styles = useStyles();
  const { caps } = useExtranet();
  const initial = (): SettingsDraft => ({
    action: props.settings.externalUserLifecycleAction,
    deleteAfterDays: String(durationDays(props.settings.durationUntilExternalUserDeletedAfterBlocked) ?? 30),
  });
  const [draft, setDraft] = useState<SettingsDraft>(initial);
  const [problems, setProblems] = useState<FormProblems>({});
  const [saved, setSaved] = useState(false);
  const action = useAction();
  // Saved settings come back from Graph as a new object: start the form again from them.
  useEffect(() => setDraft(initial()), [props.settings]);
  const readOnly = !caps.writeSettings;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateSettings(draft);
    setProblems(found);
    setSaved(false);
    if (Object.keys(found).length) return;
    void action.run(
      (graph) =>
        graph.api(`${em}/settings`).patch({
          externalUserLifecycleAction: draft.action,
          ...(draft.action === 'blockSignInAndDelete' ? { durationUntilExternalUserDeletedAfterBlocked: `P${Number(draft.deleteAfterDays)}D` } : {}),
        }),
      () => {
        setSaved(true);
        props.onSaved();
      },
    );
  };
  return (
    <form className={styles.form} onSubmit={submit} noValidate aria-label={t('section_settings')}>
      <Field label={t('lifecycleAction')} hint={readOnly ? t('settingsReadOnly') : undefined}>
        <RadioGroup value={draft.action} disabled={readOnly} onChange={(_, d) => setDraft({ ...draft, action: d.value as SettingsDraft['action'] })}>
          <Radio value="none" label={t('lifecycle_none')} />
          <Radio value="blockSignIn" label={t('lifecycle_blockSignIn')} />
          <Radio value="blockSignInAndDelete" label={t('lifecycle_blockSignInAndDelete')} />
        </RadioGroup>
      </Field>
      {draft.action === 'blockSignInAndDelete' && (
        <Field label={t('deleteAfterDays')} required validationMessage={problemText(t, problems.deleteAfterDays)} className={styles.small}>
          <Input inputMode="numeric" readOnly={readOnly} value={draft.deleteAfterDays} onChange={(_, d) => setDraft({ ...draft, deleteAfterDays: d.value })} />
        </Field>
      )}
      {action.error && <ErrorBar message={action.error} />}
      {saved && (
        <MessageBar intent="success">
          <MessageBarBody>{t('settingsSaved')}</MessageBarBody>
        </MessageBar>
      )}
      {!readOnly && (
        <div>
          <Button appearance="primary" type="submit" disabled={action.busy}>
            {t('save')}
          </Button>
        </div>
      )}
    </form>
  );
}
