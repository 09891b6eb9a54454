import type { MyAccessSection } from '../app/route';

export function MyAccessPage(props: { section: MyAccessSection }) {
  return <main>My access: {props.section}</main>;
}

export function AccessPackagePage(props: { id: string }) {
  return <main>Package {props.id}</main>;
}
