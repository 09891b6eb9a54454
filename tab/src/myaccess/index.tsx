import { lazy, Suspense, useEffect, useState } from 'react';
import { useStrings } from '../app/context';
import type { MyAccessSection, Route } from '../app/route';
import { Loading } from '../app/ui';
import { Catalog } from './Catalog';
import { MyAccessFrame, PackageFrame } from './Frame';
import { myAccessStrings } from './strings';

// The catalog is the first page and comes with the app's code; the other sections (dialogs,
// pickers, radio groups) load when opened, so the first page parses less.
const Requests = lazy(() => import('./Requests').then((m) => ({ default: m.Requests })));
const Access = lazy(() => import('./Access').then((m) => ({ default: m.Access })));
const Approvals = lazy(() => import('./Approvals').then((m) => ({ default: m.Approvals })));
const Reviews = lazy(() => import('./Reviews').then((m) => ({ default: m.Reviews })));
// The package page is often the first page (a direct link; index.html preloads its code then): its
// code is kept once loaded so the page renders without suspending (see `AccessPackagePage`).
type PackagePageModule = typeof import('./PackagePage');
let packagePageModule: PackagePageModule | undefined;
let packagePageLoading: Promise<PackagePageModule> | undefined;
/** Loads the package page's code (once; again after a failure). */
function packagePageCode(): Promise<PackagePageModule> {
  packagePageLoading ??= import('./PackagePage').then(
    (m) => (packagePageModule = m),
    (error: unknown) => {
      packagePageLoading = undefined;
      throw error;
    },
  );
  return packagePageLoading;
}
const LazyPackagePage = lazy(() => packagePageCode().then((m) => ({ default: m.PackagePage })));

/** The code of the first page beyond the app's own (the package page's), so it renders without waiting; never rejects. */
export function firstPageCode(route: Route): Promise<void> {
  return route.page === 'access-package' ? packagePageCode().then(
    () => undefined,
    () => undefined,
  ) : Promise.resolve();
}

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

/**
 * The package page at its direct link `/#/access-packages/{id}`, hidden packages included. It waits
 * for its code in state rather than in a Suspense boundary: React holds back the content of a
 * boundary whose fallback was just shown for up to 300 ms, which a first page should not pay. If the
 * code cannot load, the lazy component loads it again and reports the failure as before.
 */
export function AccessPackagePage(props: { id: string }) {
  const [code, setCode] = useState<PackagePageModule | 'failed' | undefined>(packagePageModule);
  useEffect(() => {
    if (code) return;
    let current = true;
    packagePageCode().then(
      (m) => current && setCode(m),
      () => current && setCode('failed'),
    );
    return () => {
      current = false;
    };
  }, [code]);
  return (
    <PackageFrame>
      {code === undefined ? (
        <SectionLoading />
      ) : code === 'failed' ? (
        <Suspense fallback={<SectionLoading />}>
          <LazyPackagePage id={props.id} />
        </Suspense>
      ) : (
        <code.PackagePage id={props.id} />
      )}
    </PackageFrame>
  );
}
