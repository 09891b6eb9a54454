import type { Client } from '@microsoft/microsoft-graph-client';
import { Button, Combobox, Field, makeStyles, MessageBar, MessageBarBody, Option, Spinner, Tag, TagGroup, Text, tokens } from '@fluentui/react-components';
import { ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { useApp, useStrings } from '../app/context';
import { graphErrorMessage } from '../app/graph';
import type { PickedPerson } from './policyWizard';
import { isKey, strings } from './strings';

/** The Extranet tab's translator. */
export function useT() {
  return useStrings(strings);
}

/** A Graph enum value in words (`request_pendingApproval` → "Waiting for approval"); a value we do not know yet stays as Graph names it. */
export function enumText(t: ReturnType<typeof useT>, prefix: string, value: string): string {
  const key = `${prefix}${value}`;
  return isKey(key) ? t(key) : value;
}

export type Load<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; data: T };

/**
 * Loads with the Graph client and reloads on demand; the message of a failure is Graph's own
 * (or a generic one when the network failed), never a raw body.
 */
export function useLoad<T>(load: (graph: Client) => Promise<T>, deps: readonly unknown[]): [Load<T>, () => void] {
  const { graph } = useApp();
  const t = useT();
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  const [version, setVersion] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let active = true;
    setResult((previous) => (previous.state === 'ready' ? previous : { state: 'loading' }));
    loadRef.current(graph).then(
      (data) => active && setResult({ state: 'ready', data }),
      (error: unknown) => active && setResult({ state: 'error', message: graphErrorMessage(error, t('networkError')) }),
    );
    return () => {
      active = false;
    };
    // `load` is read through a ref: callers pass a new closure each render, and `deps` say when to load again.
  }, [graph, version, ...deps]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return [result, reload];
}

/** Runs a change against Graph: busy flag, Graph's message on refusal, and a callback when done. */
export function useAction() {
  const { graph } = useApp();
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(
    async (action: (graph: Client) => Promise<unknown>, onDone?: () => void): Promise<boolean> => {
      setBusy(true);
      setError(undefined);
      try {
        await action(graph);
        onDone?.();
        return true;
      } catch (e) {
        setError(graphErrorMessage(e, t('networkError')));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [graph, t],
  );
  return { busy, error, run, clearError: () => setError(undefined) };
}

const useStyles = makeStyles({
  center: { display: 'flex', justifyContent: 'center', padding: '24px' },
  empty: { color: tokens.colorNeutralForeground3, padding: '12px 0' },
  picker: { display: 'flex', flexDirection: 'column', gap: '8px' },
});

export function Loading(props: { label?: string }) {
  const t = useT();
  const styles = useStyles();
  return (
    <div className={styles.center}>
      <Spinner label={props.label ?? t('loading')} />
    </div>
  );
}

export function ErrorBar(props: { message: string; onRetry?: () => void }) {
  const t = useT();
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        {props.message}
        {props.onRetry && (
          <>
            {' '}
            <Button appearance="transparent" size="small" onClick={props.onRetry}>
              {t('retry')}
            </Button>
          </>
        )}
      </MessageBarBody>
    </MessageBar>
  );
}

export function Empty(props: { children: ReactNode }) {
  const styles = useStyles();
  return <Text className={styles.empty} block>{props.children}</Text>;
}

/** A loaded value, or its loading / error state. */
export function Loaded<T>(props: { load: Load<T>; onRetry: () => void; children: (data: T) => ReactNode }) {
  if (props.load.state === 'loading') return <Loading />;
  if (props.load.state === 'error') return <ErrorBar message={props.load.message} onRetry={props.onRetry} />;
  return <>{props.children(props.load.data)}</>;
}

interface DirectoryUser {
  id: string;
  displayName?: string | null;
  mail?: string | null;
  userPrincipalName?: string | null;
}

/** OData string literal: single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A people picker over `/users`: type a name or address, pick from the matches. `userType`
 * narrows to members (internal sponsors, approvers) or guests (external sponsors).
 */
export function PeoplePicker(props: {
  label: string;
  value: PickedPerson[];
  onChange: (people: PickedPerson[]) => void;
  userType?: 'Member' | 'Guest';
  multiple?: boolean;
  validationMessage?: string;
  required?: boolean;
}) {
  const { graph } = useApp();
  const t = useT();
  const styles = useStyles();
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState<DirectoryUser[]>([]);
  const [searching, setSearching] = useState(false);
  const [failure, setFailure] = useState<string>();
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const q = query.trim();
    if (q.length < 2) {
      setMatches([]);
      return;
    }
    let active = true;
    setSearching(true);
    const timer = setTimeout(() => {
      const term = odataString(q);
      const match = `(startswith(displayName,${term}) or startswith(mail,${term}) or startswith(userPrincipalName,${term}))`;
      const filter = props.userType ? `${match} and userType eq '${props.userType}'` : match;
      graph
        .api('/users')
        .filter(filter)
        .select('id,displayName,mail,userPrincipalName')
        .top(10)
        .get()
        .then(
          (page: { value: DirectoryUser[] }) => {
            if (!active) return;
            setMatches(page.value);
            setFailure(undefined);
          },
          (e: unknown) => active && setFailure(graphErrorMessage(e, t('networkError'))),
        )
        .finally(() => active && setSearching(false));
    }, 200);
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [graph, query, props.userType, t]);
  const chosen = new Set(props.value.map((p) => p.id));
  const pick = (id: string | undefined) => {
    const user = matches.find((m) => m.id === id);
    if (!user || chosen.has(user.id)) return;
    const person = { id: user.id, displayName: user.displayName ?? user.mail ?? user.userPrincipalName ?? '' };
    props.onChange(props.multiple === false ? [person] : [...props.value, person]);
    setQuery('');
  };
  return (
    <div className={styles.picker}>
      <Field label={props.label} required={props.required} validationMessage={failure ?? props.validationMessage} hint={t('peopleHint')}>
        <Combobox
          freeform
          value={query}
          placeholder={t('peoplePlaceholder')}
          open={open && query.trim().length >= 2}
          onOpenChange={(_, data) => setOpen(data.open)}
          onChange={(e) => {
            setQuery((e.target as HTMLInputElement).value);
            setOpen(true);
          }}
          onOptionSelect={(_, data) => {
            pick(data.optionValue);
            setOpen(false);
          }}
        >
          {searching && matches.length === 0 && (
            <Option disabled value="" text={t('searching')}>
              {t('searching')}
            </Option>
          )}
          {!searching && query.trim().length >= 2 && matches.length === 0 && (
            <Option disabled value="" text={t('noPeopleFound')}>
              {t('noPeopleFound')}
            </Option>
          )}
          {matches.map((m) => (
            <Option key={m.id} value={m.id} text={m.displayName ?? ''}>
              {`${m.displayName ?? ''} · ${m.mail ?? m.userPrincipalName ?? ''}`}
            </Option>
          ))}
        </Combobox>
      </Field>
      {props.value.length > 0 && (
        <TagGroup aria-label={props.label} onDismiss={(_, data) => props.onChange(props.value.filter((p) => p.id !== data.value))}>
          {props.value.map((p) => (
            <Tag key={p.id} value={p.id} dismissible dismissIcon={{ 'aria-label': t('removePerson', { name: p.displayName }) }}>
              {p.displayName}
            </Tag>
          ))}
        </TagGroup>
      )}
    </div>
  );
}

/** Follows `@odata.nextLink` up to `maxPages` pages: small admin lists (organizations, catalogs). */
export async function allPages<T>(graph: Client, first: Promise<{ value: T[]; '@odata.nextLink'?: string }>, maxPages = 20): Promise<T[]> {
  let page = await first;
  const items = [...page.value];
  for (let i = 1; i < maxPages && page['@odata.nextLink']; i++) {
    page = await graph.api(page['@odata.nextLink']).get();
    items.push(...page.value);
  }
  return items;
}
