/**
 * The team tab "Extranet" and its configuration page. PLACEHOLDER: the extranet branch replaces
 * this folder (`tab/src/extranet/**`); App.tsx imports only these two named exports, lazily.
 */
export function ExtranetPage(props: { path: string }) {
  return <main data-path={props.path}>Extranet</main>;
}

export function ExtranetConfigPage() {
  return <main>Extranet configuration</main>;
}
