import type { Client } from '@microsoft/microsoft-graph-client';
import type { EarlyLoads } from '../app/earlyLoads';
import type { Route } from '../app/route';
import { catalogFirstPage, catalogKey, packageKey, packagePageData } from './loads';

/**
 * The personal tab's first page's Graph calls, started at sign-in before React and the pages' code
 * are there (`app/boot.ts`): the catalog's first page, or the package page's two calls. Nothing
 * here imports a component: the tab's start (`main.tsx`) stays small. The pages' code is
 * preloaded by index.html (the package page's too, on its direct link).
 */
export function startFirstLoads(early: EarlyLoads, graph: Client, route: Route): Promise<void> {
  const done = (load: Promise<unknown>) => load.then(
    () => undefined,
    () => undefined,
  );
  if (route.page === 'my-access' && route.section === 'catalog') return done(early.start(catalogKey(''), () => catalogFirstPage(graph, '')));
  if (route.page === 'access-package') return done(early.start(packageKey(route.id), () => packagePageData(graph, route.id)));
  return Promise.resolve();
}
