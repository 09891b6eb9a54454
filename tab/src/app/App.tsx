import type { Client } from '@microsoft/microsoft-graph-client';
import { Button, Card, Field, Input, Link, makeStyles, MessageBar, MessageBarBody, Spinner, Text, Title2, tokens } from '@fluentui/react-components';
import { FormEvent, lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { AccessPackagePage, MyAccessPage } from '../myaccess';
import { devSignIn, PublicConfig, Session } from './auth';
import { boot, type Boot, ready } from './boot';
import { AppContext, AppContextValue, LocaleContext, useStrings } from './context';
import type { EarlyLoads } from './earlyLoads';
import type { HostInfo } from './host';
import { Locale, pickLocale } from './i18n';
import { routeHash } from './route';
import { appStrings } from './strings';
import { ThemeRoot, useThemeName } from './ThemeRoot';
import { useRoute } from './useRoute';

// The team tab is loaded only when opened: the personal tab's first page does not pay for it.
const ExtranetPage = lazy(() => import('../extranet').then((m) => ({ default: m.ExtranetPage })));
const ExtranetConfigPage = lazy(() => import('../extranet').then((m) => ({ default: m.ExtranetConfigPage })));

function localeOf(host: HostInfo | undefined): Locale {
  return pickLocale(host?.kind === 'teams' ? host.context.locale : undefined, navigator.languages?.length ? navigator.languages : [navigator.language]);
}

/**
 * The whole tab: detect the host, sign in, then render the page of the hash route. `booting` is a
 * `boot()` already under way, `booted` its result when it came before the first render.
 */
export function App(props: { booting?: Promise<Boot>; booted?: Boot }) {
  const [state, setBoot] = useState<Boot>(props.booted ?? { state: 'starting' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let active = true;
    ((attempt === 0 && props.booting) || boot()).then(
      (result) => active && setBoot(result),
      () => active && setBoot({ state: 'failed' }),
    );
    return () => {
      active = false;
    };
  }, [attempt, props.booting]);
  const host = state.state === 'signIn' || state.state === 'ready' ? state.host : undefined;
  const locale = useMemo(() => localeOf(host), [host]);
  const theme = useThemeName(host);
  return (
    <LocaleContext.Provider value={locale}>
      <ThemeRoot name={theme} lang={locale.tag}>
        {state.state === 'starting' && <Starting />}
        {state.state === 'failed' && <StartFailed onRetry={() => setAttempt((n) => n + 1)} />}
        {state.state === 'signIn' && <SignIn config={state.config} entraSignIn={state.entraSignIn} onSignedIn={(session) => setBoot(ready(state.host, state.config, session))} />}
        {state.state === 'ready' && <Ready host={state.host} config={state.config} session={state.session} graph={state.graph} early={state.early} locale={locale} />}
      </ThemeRoot>
    </LocaleContext.Provider>
  );
}

function Ready(props: { host: HostInfo; config: PublicConfig; session: Session; graph: Client; early: EarlyLoads; locale: Locale }) {
  const value: AppContextValue = useMemo(
    () => ({ host: props.host, config: props.config, session: props.session, graph: props.graph, early: props.early, locale: props.locale }),
    [props.host, props.config, props.session, props.graph, props.early, props.locale],
  );
  const route = useRoute();
  return (
    <AppContext.Provider value={value}>
      <Suspense fallback={<Starting />}>
        {route.page === 'my-access' && <MyAccessPage section={route.section} />}
        {route.page === 'access-package' && <AccessPackagePage id={route.id} />}
        {route.page === 'extranet' && <ExtranetPage path={route.path} />}
        {route.page === 'extranet-configure' && <ExtranetConfigPage />}
        {route.page === 'not-found' && <NotFound />}
      </Suspense>
    </AppContext.Provider>
  );
}

const useStyles = makeStyles({
  center: { display: 'flex', justifyContent: 'center', alignItems: 'flex-start', padding: '48px 16px' },
  card: { width: '100%', maxWidth: '480px', padding: '24px', display: 'flex', flexDirection: 'column', gap: '16px' },
  accounts: { display: 'flex', flexDirection: 'column', gap: '8px', listStyleType: 'none', margin: 0, padding: 0 },
  org: { color: tokens.colorNeutralForeground3 },
  account: { justifyContent: 'flex-start', width: '100%' },
  other: { display: 'flex', gap: '8px', alignItems: 'flex-end' },
});

function Starting() {
  const t = useStrings(appStrings);
  const styles = useStyles();
  return (
    <main className={styles.center}>
      <Spinner label={t('loading')} />
    </main>
  );
}

function StartFailed(props: { onRetry: () => void }) {
  const t = useStrings(appStrings);
  const styles = useStyles();
  return (
    <main className={styles.center}>
      <MessageBar intent="error">
        <MessageBarBody>
          {t('startFailed')}{' '}
          <Button appearance="transparent" onClick={props.onRetry}>
            {t('retry')}
          </Button>
        </MessageBarBody>
      </MessageBar>
    </main>
  );
}

function NotFound() {
  const t = useStrings(appStrings);
  const styles = useStyles();
  return (
    <main className={styles.center}>
      <Card className={styles.card}>
        <Text>{t('notFound')}</Text>
        <Link href={routeHash({ page: 'my-access', section: 'catalog' })}>{t('goHome')}</Link>
      </Card>
    </main>
  );
}

/** Sign-in outside Teams: the demo accounts (dev mode) or Microsoft's sign-in (entra mode). */
function SignIn(props: { config: PublicConfig; entraSignIn?: () => Promise<void>; onSignedIn: (session: Session) => void }) {
  const t = useStrings(appStrings);
  const styles = useStyles();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [other, setOther] = useState('');
  const signIn = async (upn: string) => {
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await devSignIn(upn));
    } catch (e) {
      setError(t('signInFailed', { message: e instanceof Error ? e.message : t('networkError') }));
      setBusy(false);
    }
  };
  const submitOther = (event: FormEvent) => {
    event.preventDefault();
    if (other.trim()) void signIn(other.trim());
  };
  return (
    <main className={styles.center}>
      <Card className={styles.card}>
        <Title2 as="h1">{t('signInTitle')}</Title2>
        <Text>{t('signInIntro')}</Text>
        {error && (
          <MessageBar intent="error" role="alert">
            <MessageBarBody>{error}</MessageBarBody>
          </MessageBar>
        )}
        {props.config.authMode === 'entra' ? (
          <Button appearance="primary" disabled={busy} onClick={() => props.entraSignIn && void props.entraSignIn()}>
            {t('signInEntra')}
          </Button>
        ) : (
          <>
            <Text size={200}>{t('signInDevNote')}</Text>
            <ul className={styles.accounts} aria-label={t('signInTitle')}>
              {(props.config.devAccounts ?? []).map((account) => (
                <li key={account.upn}>
                  <Button className={styles.account} disabled={busy} onClick={() => void signIn(account.upn)}>
                    {account.displayName} <span className={styles.org}>&nbsp;· {account.organization} · {account.upn}</span>
                  </Button>
                </li>
              ))}
            </ul>
            <form className={styles.other} onSubmit={submitOther}>
              <Field label={t('signInOtherLabel')} style={{ flexGrow: 1 }}>
                <Input type="email" value={other} onChange={(_, d) => setOther(d.value)} />
              </Field>
              <Button type="submit" disabled={busy || !other.trim()}>
                {t('signInButton')}
              </Button>
            </form>
          </>
        )}
      </Card>
    </main>
  );
}
