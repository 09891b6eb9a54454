/**
 * Hash routes of the tabs. The manifest points at `/#/my-access`, `/#/extranet` and
 * `/#/extranet/configure`; direct links are `/#/access-packages/{id}`. Hash routing keeps the
 * server's SPA fallback trivial and lets Teams reload a tab at the exact page.
 */
export type MyAccessSection = 'catalog' | 'requests' | 'access' | 'approvals' | 'reviews';

export type Route =
  | { page: 'my-access'; section: MyAccessSection }
  | { page: 'access-package'; id: string }
  | { page: 'extranet'; path: string }
  | { page: 'extranet-configure' }
  | { page: 'not-found' };

const sections: readonly MyAccessSection[] = ['catalog', 'requests', 'access', 'approvals', 'reviews'];

/** Parses `location.hash` (with or without the leading `#`); an empty hash is "My access". */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0].replace(/\/+$/, '');
  if (path === '' || path === '/') return { page: 'my-access', section: 'catalog' };
  const parts = path.replace(/^\//, '').split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === 'my-access') {
    const section = (parts[1] ?? 'catalog') as MyAccessSection;
    return sections.includes(section) ? { page: 'my-access', section } : { page: 'not-found' };
  }
  if (parts[0] === 'access-packages' && parts.length === 2 && /^[A-Za-z0-9-]{1,64}$/.test(parts[1])) {
    return { page: 'access-package', id: parts[1] };
  }
  if (parts[0] === 'extranet') {
    if (parts[1] === 'configure' && parts.length === 2) return { page: 'extranet-configure' };
    return { page: 'extranet', path: parts.slice(1).join('/') };
  }
  return { page: 'not-found' };
}

/** The hash of a route, for links (`href`) and `location.hash` assignments. */
export function routeHash(route: Route): string {
  switch (route.page) {
    case 'my-access':
      return route.section === 'catalog' ? '#/my-access' : `#/my-access/${route.section}`;
    case 'access-package':
      return `#/access-packages/${encodeURIComponent(route.id)}`;
    case 'extranet':
      return route.path ? `#/extranet/${route.path}` : '#/extranet';
    case 'extranet-configure':
      return '#/extranet/configure';
    case 'not-found':
      return '#/my-access';
  }
}
