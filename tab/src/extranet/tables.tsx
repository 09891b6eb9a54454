import type { Client } from '@microsoft/microsoft-graph-client';
import { Button, makeStyles, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { ReactNode, useState } from 'react';
import { ErrorBar, Loaded, useAction, useLoad, useT } from './ui';

export interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

const useStyles = makeStyles({
  wrap: { overflowX: 'auto' },
  more: { marginTop: '8px' },
});

/**
 * A Graph collection as a table, one page at a time with "Load more" following `@odata.nextLink`;
 * loading, empty and error states included.
 */
export function PagedTable<T>(props: {
  label: string;
  columns: string[];
  load: (graph: Client) => Promise<Page<T>>;
  deps: readonly unknown[];
  row: (item: T, reload: () => void) => ReactNode[];
  rowKey: (item: T) => string;
  empty: ReactNode;
}) {
  const t = useT();
  const styles = useStyles();
  const [more, setMore] = useState<{ items: T[]; next?: string }>({ items: [] });
  const [load, reload] = useLoad(async (graph) => {
    const page = await props.load(graph);
    setMore({ items: [], next: page['@odata.nextLink'] });
    return page.value;
  }, props.deps);
  const loadMore = useAction();
  return (
    <Loaded load={load} onRetry={reload}>
      {(first) => {
        const items = [...first, ...more.items];
        if (items.length === 0) return <>{props.empty}</>;
        return (
          <div className={styles.wrap}>
            <Table aria-label={props.label} size="small">
              <TableHeader>
                <TableRow>
                  {props.columns.map((c) => (
                    <TableHeaderCell key={c}>{c}</TableHeaderCell>
                  ))}
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((item) => (
                  <TableRow key={props.rowKey(item)}>
                    {props.row(item, reload).map((cell, i) => (
                      <TableCell key={i}>{cell}</TableCell>
                    ))}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            {more.next && (
              <Button
                className={styles.more}
                disabled={loadMore.busy}
                onClick={() =>
                  void loadMore.run(async (graph) => {
                    const page: Page<T> = await graph.api(more.next as string).get();
                    setMore((m) => ({ items: [...m.items, ...page.value], next: page['@odata.nextLink'] }));
                  })
                }
              >
                {t('loadMore')}
              </Button>
            )}
            {loadMore.error && <ErrorBar message={loadMore.error} />}
          </div>
        );
      }}
    </Loaded>
  );
}
