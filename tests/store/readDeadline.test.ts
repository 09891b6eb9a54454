import { sql } from 'kysely';
import { QueryTimeoutError } from '../../bot/domain/errors';
import { listCollection, unrestricted } from '../../bot/graph/odata/engine';
import { entity } from '../../bot/graph/odata/model';
import { openStore, Store } from '../../bot/store/db';
import { withReadDeadline } from '../../bot/store/deadline';
import { bulkDirectory } from '../helpers/bulkDirectory';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * The read deadline itself (store/deadline.ts), independent of timing: a read whose budget is spent
 * is stopped inside the statement on SQLite (the guard in the filter's subqueries) and by
 * `statement_timeout` on PostgreSQL, and no later statement of it starts.
 */
describe('the read deadline', () => {
  let store: Store;
  let url: string;
  beforeAll(async () => {
    url = testDatabaseUrl();
    store = await openStore(url, { readTimeoutMs: 50 });
    await bulkDirectory(store.db, { users: 300, groups: 10, membershipsPerUser: 3 });
  });
  afterAll(async () => {
    await store.close();
    await dropTestDatabase(url);
  });

  const query = (db = store.readDb) =>
    listCollection(db, { entity: entity('user'), options: { filter: "memberOf/any(g: g/displayName eq 'nobody')" }, visibility: unrestricted, context: 'users', requestUrl: new URL('http://localhost/graph/v1.0/users') });

  it('answers a read within its budget', async () => {
    const page = await query(withReadDeadline(store.readDb, { timeoutMs: 60_000, inQueryGuard: store.dialect === 'sqlite' }));
    expect(page.value).toEqual([]);
  });

  it('stops a statement whose read budget is already spent', async () => {
    if (store.dialect === 'sqlite') {
      // The statement starts in time, but may not block at all: the guard in the subquery throws on the first row it sees.
      await expect(query(withReadDeadline(store.readDb, { timeoutMs: 60_000, inQueryGuard: true, blockingMs: -1 }))).rejects.toBeInstanceOf(QueryTimeoutError);
      await expect(query(withReadDeadline(store.readDb, { timeoutMs: 60_000, inQueryGuard: false, blockingMs: -1 }))).resolves.toMatchObject({ value: [] });
    } else {
      // The read pool's sessions carry statement_timeout (50 ms here).
      await expect(sql`select pg_sleep(5)`.execute(store.readDb)).rejects.toMatchObject({ code: '57014' });
    }
  });

  it('starts no statement after the deadline', async () => {
    await expect(sql`select 1`.execute(withReadDeadline(store.readDb, { timeoutMs: -1, inQueryGuard: false }))).rejects.toBeInstanceOf(QueryTimeoutError);
  });

  it('leaves writes and background work without a deadline', async () => {
    await expect(sql`select 1 as one`.execute(store.db)).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });
});
