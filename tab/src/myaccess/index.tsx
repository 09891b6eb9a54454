import { lazy, Suspense } from 'react';
import { useStrings } from '../app/context';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { EarlyLoads } from '../app/earlyLoads';
import type { MyAccessSection, Route } from '../app/route';
import { Loading } from '../app/ui';
import { Catalog } from './Catalog';
import { MyAccessFrame, PackageFrame } from './Frame';
import { catalogFirstPage, catalogKey, packageKey, packagePageData } from './loads';
import { myAccessStrings } from './strings';

// The catalog is the first page and comes with the main bundle; the other sections (dialogs,
// pickers, radio groups) load when opened, so the first page parses less.
const Requests = lazy(() => import('./Requests').then((m) => ({ default: m.Requests })));
const Access = lazy(() => import('./Access').then((m) => ({ default: m.Access })));
const Approvals = lazy(() => import('./Approvals').then((m) => ({ default: m.Approvals })));
const Reviews = lazy(() => import('./Reviews').then((m) => ({ default: m.Reviews })));
const packagePageCode = () => import('./PackagePage');
const PackagePage = lazy(() => packagePageCode().then((m) => ({ default: m.PackagePage })));

function SectionLoading() {
  const t = useStrings(myAccessStrings);
  return <Loading label={t('loading')} />;
}

/** The personal tab "My access" (DESIGN §9), one section per hash route. */
export function MyAccessPage(props: { section: MyAccessSection }) {
  return (
    <MyAccessFrame section={props.section}>
      <Suspense fallback={<SectionLoading />}>
        {props.section === 'catalog' && <Catalog />}
        {props.section === 'requests' && <Requests />}
        {props.section === 'access' && <Access />}
        {props.section === 'approvals' && <Approvals />}
        {props.section === 'reviews' && <Reviews />}
      </Suspense>
    </MyAccessFrame>
  );
}

/** The package page at its direct link `/#/access-packages/{id}`, hidden packages included. */
export function AccessPackagePage(props: { id: string }) {
  return (
    <PackageFrame>
      <Suspense fallback={<SectionLoading />}>
        <PackagePage id={props.id} />
      </Suspense>
    </PackageFrame>
  );
}

/**
 * What the first page of the personal tab needs, started at sign-in beside the first render: the
 * catalog's first page, or the package page's Graph calls and its code.
 */
export function startFirstLoads(early: EarlyLoads, graph: Client, route: Route): void {
  if (route.page === 'my-access' && route.section === 'catalog') early.start(catalogKey(''), () => catalogFirstPage(graph, ''));
  if (route.page === 'access-package') {
    early.start(packageKey(route.id), () => packagePageData(graph, route.id));
    void packagePageCode().catch(() => undefined);
  }
}
