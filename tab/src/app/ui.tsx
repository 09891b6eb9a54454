import { Button, makeStyles, MessageBar, MessageBarActions, MessageBarBody, Spinner, Text, tokens } from '@fluentui/react-components';
import { DependencyList, ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { graphErrorMessage } from './graph';

/**
 * Small pieces every page uses: loading data with loading/error states, and the three states'
 * looks. Messages shown are Graph's own (written for people) or a plain sentence, never a body.
 */
export type Loadable<T> = { status: 'loading'; data?: T } | { status: 'ok'; data: T } | { status: 'error'; message: string; data?: T };

/**
 * Runs `load` on mount and when `deps` change; `reload()` runs it again keeping the old data on screen.
 * `answered` gives the data when it is already there on mount (an early load that has come): then
 * the first render shows it and mounting loads nothing.
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList, fallbackMessage: string, answered?: () => { value: T } | undefined): Loadable<T> & { reload: () => void } {
  const [state, setState] = useState<Loadable<T>>(() => {
    const early = answered?.();
    return early ? { status: 'ok', data: early.value } : { status: 'loading' };
  });
  const [attempt, setAttempt] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // The deps the first render's data is for: no load for them until they change or a reload
  // (React's strict mode mounts twice in development; the second mount loads nothing either).
  const answeredFor = useRef<DependencyList | undefined>(state.status === 'ok' ? deps : undefined);
  useEffect(() => {
    if (answeredFor.current) {
      if (attempt === 0 && answeredFor.current.length === deps.length && answeredFor.current.every((d, i) => Object.is(d, deps[i]))) return;
      answeredFor.current = undefined;
    }
    let active = true;
    setState((s) => ({ status: 'loading', data: s.data }));
    loadRef.current().then(
      (data) => active && setState({ status: 'ok', data }),
      (error: unknown) => active && setState((s) => ({ status: 'error', message: graphErrorMessage(error, fallbackMessage), data: s.data })),
    );
    return () => {
      active = false;
    };
    // `deps` are the caller's: `load` is read through a ref so a new closure each render does not reload.
  }, [...deps, attempt]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...state, reload };
}

const useStyles = makeStyles({
  state: { padding: '24px 0', display: 'flex', justifyContent: 'center' },
  empty: { padding: '32px 16px', textAlign: 'center', color: tokens.colorNeutralForeground2 },
});

export function Loading(props: { label: string }) {
  const styles = useStyles();
  return (
    <div className={styles.state} role="status">
      <Spinner size="small" label={props.label} />
    </div>
  );
}

export function ErrorBar(props: { message: string; retryLabel?: string; onRetry?: () => void }) {
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>{props.message}</MessageBarBody>
      {props.onRetry && (
        <MessageBarActions>
          <Button size="small" onClick={props.onRetry}>
            {props.retryLabel}
          </Button>
        </MessageBarActions>
      )}
    </MessageBar>
  );
}

export function Notice(props: { intent: 'success' | 'info' | 'warning'; children: ReactNode }) {
  return (
    <MessageBar intent={props.intent} role="status">
      <MessageBarBody>{props.children}</MessageBarBody>
    </MessageBar>
  );
}

export function Empty(props: { children: ReactNode }) {
  const styles = useStyles();
  return (
    <div className={styles.empty}>
      <Text>{props.children}</Text>
    </div>
  );
}
