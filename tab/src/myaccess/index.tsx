import type { MyAccessSection } from '../app/route';
import { Access } from './Access';
import { Approvals } from './Approvals';
import { Catalog } from './Catalog';
import { MyAccessFrame, PackageFrame } from './Frame';
import { PackagePage } from './PackagePage';
import { Requests } from './Requests';
import { Reviews } from './Reviews';

/** The personal tab "My access" (DESIGN §9), one section per hash route. */
export function MyAccessPage(props: { section: MyAccessSection }) {
  return (
    <MyAccessFrame section={props.section}>
      {props.section === 'catalog' && <Catalog />}
      {props.section === 'requests' && <Requests />}
      {props.section === 'access' && <Access />}
      {props.section === 'approvals' && <Approvals />}
      {props.section === 'reviews' && <Reviews />}
    </MyAccessFrame>
  );
}

/** The package page at its direct link `/#/access-packages/{id}`, hidden packages included. */
export function AccessPackagePage(props: { id: string }) {
  return (
    <PackageFrame>
      <PackagePage id={props.id} />
    </PackageFrame>
  );
}
