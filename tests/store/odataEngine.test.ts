import { ValidationError } from '../../bot/domain/errors';
import { getEntity, listCollection, unrestricted } from '../../bot/graph/odata/engine';
import { entity } from '../../bot/graph/odata/model';
import type { RawQueryOptions } from '../../bot/graph/odata/parse';
import { openStore, Store } from '../../bot/store/db';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/** The OData engine against a real database: every option becomes SQL, on SQLite and PostgreSQL alike. */
describe(listCollection.name, () => {
  let store: Store;
  const url = testDatabaseUrl();
  const t = (i: number) => new Date(Date.UTC(2025, 0, 1 + i)).toISOString();

  beforeAll(async () => {
    store = await openStore(url);
    const db = store.db;
    await db
      .insertInto('catalogs')
      .values(['A', 'B'].map((n, i) => ({ id: `cat-${n}`, displayName: `Catalog ${n}`, description: null, catalogType: 'userManaged', state: i === 0 ? 'published' : 'unpublished', isExternallyVisible: 1 - i, createdDateTime: t(i), modifiedDateTime: t(i) })))
      .execute();
    await db
      .insertInto('access_packages')
      .values(
        Array.from({ length: 25 }, (_, i) => ({
          id: `pkg-${String(i).padStart(2, '0')}`,
          catalogId: i % 2 === 0 ? 'cat-A' : 'cat-B',
          displayName: i === 7 ? "Falcon O'Hare 100%" : `Package ${String(i).padStart(2, '0')}`,
          description: i % 5 === 0 ? null : `Description ${i}`,
          isHidden: i % 3 === 0 ? 1 : 0,
          createdDateTime: t(i),
          modifiedDateTime: t(i),
        })),
      )
      .execute();
    await db.insertInto('resources').values({ id: 'res-1', catalogId: 'cat-A', displayName: 'Project Falcon', description: null, originId: 'g1', originSystem: 'AadGroup', attributes: '[]', createdDateTime: t(0), modifiedDateTime: t(0) }).execute();
    await db
      .insertInto('resource_roles')
      .values([
        { id: 'role-m', resourceId: 'res-1', catalogId: 'cat-A', displayName: 'Member', description: null, originId: 'Member_g1', originSystem: 'AadGroup' },
        { id: 'role-o', resourceId: 'res-1', catalogId: 'cat-A', displayName: 'Owner', description: null, originId: 'Owner_g1', originSystem: 'AadGroup' },
      ])
      .execute();
    await db.insertInto('resource_scopes').values({ id: 'scope-1', resourceId: 'res-1', catalogId: 'cat-A', displayName: 'Root', description: null, originId: 'g1', originSystem: 'AadGroup', isRootScope: 1 }).execute();
    await db
      .insertInto('resource_role_scopes')
      .values([
        { id: 'rrs-1', accessPackageId: 'pkg-00', roleId: 'role-m', scopeId: 'scope-1', createdDateTime: t(0) },
        { id: 'rrs-2', accessPackageId: 'pkg-02', roleId: 'role-o', scopeId: 'scope-1', createdDateTime: t(0) },
      ])
      .execute();
  });
  afterAll(async () => {
    await store.close();
    await dropTestDatabase(url);
  });

  async function list(options: RawQueryOptions) {
    return listCollection(store.db, { entity: entity('accessPackage'), options, visibility: unrestricted, context: 'ctx', requestUrl: new URL('http://x/graph/v1.0/p?$top=5') });
  }
  const ids = (page: { value: Array<Record<string, unknown>> }) => page.value.map((v) => v.id);

  it('filters by a navigation id, by text functions (case-insensitively, escaping wildcards) and by Booleans', async () => {
    expect(ids(await list({ filter: "catalog/id eq 'cat-B'", top: '3' }))).toEqual(['pkg-01', 'pkg-03', 'pkg-05']);
    expect(ids(await list({ filter: "contains(displayName,'o''hare 100%')" }))).toEqual(['pkg-07']);
    expect(ids(await list({ filter: "contains(displayName,'0%')" }))).toEqual(['pkg-07']);
    expect(ids(await list({ filter: "startswith(displayName,'package 1') and isHidden" }))).toEqual(['pkg-12', 'pkg-15', 'pkg-18']);
    expect(ids(await list({ filter: "not (isHidden eq true) and catalog/id eq 'cat-A' and createdDateTime lt 2025-01-06T00:00:00Z" }))).toEqual(['pkg-02', 'pkg-04']);
  });

  it('compares with null, uses in, and follows a navigation to another property', async () => {
    expect(ids(await list({ filter: 'description eq null and createdDateTime le 2025-01-11T00:00:00Z' }))).toEqual(['pkg-00', 'pkg-05', 'pkg-10']);
    expect(ids(await list({ filter: "id in ('pkg-03','pkg-04','nope')" }))).toEqual(['pkg-03', 'pkg-04']);
    expect((await list({ filter: "catalog/state eq 'unpublished'", count: 'true', top: '1' }))['@odata.count']).toBe(12);
    expect((await list({ filter: "description ne 'Description 1'", count: 'true', top: '0' }))['@odata.count']).toBe(24);
  });

  it('looks into collections with any() and all()', async () => {
    expect(ids(await list({ filter: "resourceRoleScopes/any(r: r/role/displayName eq 'Owner')" }))).toEqual(['pkg-02']);
    expect(ids(await list({ filter: 'resourceRoleScopes/any()' }))).toEqual(['pkg-00', 'pkg-02']);
    expect((await list({ filter: "resourceRoleScopes/all(r: r/role/displayName eq 'Member')", count: 'true', top: '0' }))['@odata.count']).toBe(24);
  });

  it('orders, selects, counts and pages with a nextLink that reaches every row once', async () => {
    const first = await list({ orderby: 'displayName desc', select: 'displayName', top: '10', count: 'true' });
    expect(first['@odata.count']).toBe(25);
    expect(first.value[0]).toEqual({ id: 'pkg-24', displayName: 'Package 24' });
    const seen: unknown[] = [];
    let link: string | undefined = first['@odata.nextLink'];
    seen.push(...ids(first));
    while (link) {
      const url = new URL(link);
      const page = await list({ orderby: 'displayName desc', select: 'displayName', top: url.searchParams.get('$top') ?? undefined, skiptoken: url.searchParams.get('$skiptoken') ?? undefined });
      seen.push(...ids(page));
      link = page['@odata.nextLink'];
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('answers $top=0 with the count alone and no nextLink', async () => {
    const page = await list({ top: '0', count: 'true' });
    expect(page).toEqual({ '@odata.context': 'ctx', '@odata.count': 25, value: [] });
  });

  it('expands nested navigations in a few queries', async () => {
    const page = await list({ filter: "id eq 'pkg-00'", expand: 'resourceRoleScopes($expand=role($select=displayName),scope),catalog($select=displayName)' });
    expect(page.value[0]).toMatchObject({
      id: 'pkg-00',
      isHidden: true,
      catalog: { id: 'cat-A', displayName: 'Catalog A' },
      resourceRoleScopes: [{ id: 'rrs-1', role: { id: 'role-m', displayName: 'Member' }, scope: { id: 'scope-1', isRootScope: true, originSystem: 'AadGroup' } }],
    });
    expect(page.value[0].catalog).not.toHaveProperty('state');
    const one = await getEntity(store.db, entity('accessPackageCatalog'), 'cat-A', { expand: 'accessPackages($filter=isHidden;$top=2)' }, unrestricted);
    expect((one?.accessPackages as unknown[]).length).toBe(2);
  });

  it.each([
    [{ filter: "colour eq 'red'" }, "'colour'"],
    [{ filter: "resourceRoleScopes/role/id eq 'x'" }, 'any('],
    [{ filter: "isHidden eq 'yes'" }, 'Boolean'],
    [{ filter: 'createdDateTime gt 2025-13-45T00:00:00Z' }, 'date-time'],
    [{ select: 'secret' }, "'secret'"],
    [{ expand: 'owners' }, "'owners'"],
    [{ orderby: 'catalogId' }, "'catalogId'"],
    [{ top: '-1' }, '$top'],
    [{ top: '5000' }, '$top'],
    [{ skiptoken: 'garbage' }, '$skiptoken'],
    [{ count: 'maybe' }, '$count'],
  ])('refuses %j before running any SQL', async (options, mention) => {
    const error = await list(options as RawQueryOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(mention);
  });
});
