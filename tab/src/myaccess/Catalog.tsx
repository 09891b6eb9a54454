import { Button, Card, CardHeader, makeStyles, SearchBox, Text, tokens } from '@fluentui/react-components';
import { useEffect, useRef, useState } from 'react';
import { useApp, useLocale, useStrings } from '../app/context';
import { graphErrorMessage, nextLinkPath, Page } from '../app/graph';
import { formatNumber } from '../app/i18n';
import { routeHash } from '../app/route';
import { Empty, ErrorBar, Loading } from '../app/ui';
import { catalogFirstPage, catalogKey } from './loads';
import type { AccessPackage } from './model';
import { myAccessStrings } from './strings';

const useStyles = makeStyles({
  toolbar: { display: 'flex', gap: '12px', alignItems: 'center', flexWrap: 'wrap' },
  search: { flexGrow: 1, maxWidth: '420px' },
  list: { listStyleType: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '8px' },
  description: { color: tokens.colorNeutralForeground2 },
  count: { color: tokens.colorNeutralForeground3 },
  link: { color: 'inherit', textDecorationLine: 'none', ':hover': { textDecorationLine: 'underline' }, ':focus-visible': { outlineStyle: 'solid' } },
});

/**
 * Packages I may request (`filterByCurrentUser(on='allowedRequestor')`), one page of 25 at a time
 * with `$select` and `$count`, searched by name on the server, more pages by `@odata.nextLink`.
 */
export function Catalog() {
  const { graph, config, early } = useApp();
  const locale = useLocale();
  const t = useStrings(myAccessStrings);
  const styles = useStyles();
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  // The first page, asked for at sign-in, is often there before the catalog renders: then the
  // first render shows it, and mounting loads nothing.
  const [answered] = useState(() => early.takeAnswered<Page<AccessPackage>>(catalogKey(''))?.value);
  const [items, setItems] = useState<AccessPackage[]>(answered?.value ?? []);
  const [count, setCount] = useState<number | undefined>(answered?.['@odata.count']);
  const [next, setNext] = useState<string | undefined>(answered?.['@odata.nextLink']);
  const [status, setStatus] = useState<'loading' | 'ok' | 'error' | 'more'>(answered ? 'ok' : 'loading');
  const [error, setError] = useState('');
  const [attempt, setAttempt] = useState(0);
  const showsAnswered = useRef(!!answered);

  // Typing settles for a moment before the server is asked.
  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), 250);
    return () => clearTimeout(timer);
  }, [query]);

  useEffect(() => {
    // Until the search changes or a retry: the first page is on screen already.
    if (showsAnswered.current && search === '' && attempt === 0) return;
    showsAnswered.current = false;
    let active = true;
    setStatus('loading');
    // The first page may have been asked for at sign-in already (a retry asks again).
    const first = (attempt === 0 && early.take<Page<AccessPackage>>(catalogKey(search))) || catalogFirstPage(graph, search);
    first.then(
      (page: Page<AccessPackage>) => {
        if (!active) return;
        setItems(page.value);
        setCount(page['@odata.count']);
        setNext(page['@odata.nextLink']);
        setStatus('ok');
      },
      (e: unknown) => {
        if (!active) return;
        setError(graphErrorMessage(e, t('networkError')));
        setStatus('error');
      },
    );
    return () => {
      active = false;
    };
  }, [graph, early, search, attempt, t]);

  const loadMore = async () => {
    if (!next) return;
    setStatus('more');
    try {
      const page = (await graph.api(nextLinkPath(next, config.graphBaseUrl)).get()) as Page<AccessPackage>;
      setItems((current) => [...current, ...page.value]);
      setNext(page['@odata.nextLink']);
      setStatus('ok');
    } catch (e) {
      setError(graphErrorMessage(e, t('networkError')));
      setStatus('error');
    }
  };

  return (
    <section aria-labelledby="catalog-heading" style={{ display: 'flex', flexDirection: 'column', gap: '12px' }}>
      <h2 id="catalog-heading" className="visually-hidden">
        {t('navCatalog')}
      </h2>
      <Text>{t('catalogIntro')}</Text>
      <div className={styles.toolbar} role="search">
        <SearchBox className={styles.search} aria-label={t('search')} placeholder={t('searchPlaceholder')} value={query} onChange={(_, d) => setQuery(d.value)} />
        {count !== undefined && status !== 'loading' && (
          <Text className={styles.count} aria-live="polite">
            {t('catalogCount', { count: formatNumber(count, locale) })}
          </Text>
        )}
      </div>
      {status === 'error' && <ErrorBar message={t('loadFailed', { message: error })} retryLabel={t('retry')} onRetry={() => setAttempt((n) => n + 1)} />}
      {status === 'loading' && <Loading label={t('loading')} />}
      {status !== 'loading' && status !== 'error' && items.length === 0 && <Empty>{search ? t('catalogNoMatch', { query: search }) : t('catalogEmpty')}</Empty>}
      {status !== 'loading' && items.length > 0 && (
        <ul className={styles.list} aria-label={t('navCatalog')} data-testid="package-list">
          {items.map((p) => (
            <li key={p.id}>
              <Card size="small">
                <CardHeader
                  header={
                    <a className={styles.link} href={routeHash({ page: 'access-package', id: p.id })}>
                      <Text weight="semibold">{p.displayName}</Text>
                    </a>
                  }
                  description={p.description ? <Text className={styles.description}>{p.description}</Text> : undefined}
                />
              </Card>
            </li>
          ))}
        </ul>
      )}
      {next && status !== 'loading' && (
        <Button onClick={() => void loadMore()} disabled={status === 'more'}>
          {status === 'more' ? t('loading') : t('loadMore')}
        </Button>
      )}
    </section>
  );
}
