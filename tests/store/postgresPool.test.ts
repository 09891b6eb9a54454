import { type Kysely, sql } from 'kysely';
import { runnerLanes } from '../../bot/jobs/runner';
import { defaultPoolSize, openStore, type Store } from '../../bot/store/db';
import { prepared, preparedPerCount, statementName } from '../../bot/store/prepared';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * PostgreSQL's pools. The statements compiled once by `store/prepared.ts` run as named statements: each connection
 * of both pools parses them once and afterwards only binds and executes them; every other statement stays unnamed.
 * The pool of writes has `DATABASE_POOL_SIZE` connections, the job runner half of them as lanes (at most 8).
 * PostgreSQL only: SQLite has one connection and keeps its own statement cache on it (`tuneForKysely`).
 */
const postgresOnly = process.env.PORTIER_TEST_DATABASE_URL ? describe : describe.skip;

postgresOnly('named statements on PostgreSQL', () => {
  let url: string;
  let store: Store;
  const userById = prepared((db, p: { id: string }) => db.selectFrom('users').select(['id', 'displayName']).where('id', '=', p.id));
  const ids = ['00000000-0000-4000-8000-000000000a01', '00000000-0000-4000-8000-000000000a02'];

  beforeAll(async () => {
    url = testDatabaseUrl();
    store = await openStore(url);
    await store.db
      .insertInto('users')
      .values(ids.map((id, i) => ({ id, displayName: `Named ${i}`, mail: `named${i}@contoso.test`, mailLower: `named${i}@contoso.test`, userPrincipalName: `named${i}@contoso.test`, userType: 'Member', accountEnabled: 1, createdDateTime: '2026-01-01T00:00:00.000Z' })))
      .execute();
  });
  afterAll(async () => {
    await store?.close();
    await dropTestDatabase(url);
  });

  const preparedOnSession = async (db: Store['db']) =>
    db.transaction().execute(async (tx) => {
      // Two calls with different values on one connection: one Parse, the right row each time.
      const first = await userById.all(tx, { id: ids[0] });
      const second = await userById.all(tx, { id: ids[1] });
      await tx.selectFrom('users').select('userPrincipalName').where('id', '=', ids[0]).execute();
      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(tx);
      return { first, second, rows };
    });

  it.each([
    ['the pool of writes', () => store.db],
    ['the pool of reads', () => store.readDb],
  ])('%s prepares the compiled statements once per connection and leaves the others unnamed', async (_pool, db) => {
    const { first, second, rows } = await preparedOnSession(db());
    expect(first).toEqual([{ id: ids[0], displayName: 'Named 0' }]);
    expect(second).toEqual([{ id: ids[1], displayName: 'Named 1' }]);
    const compiled = rows.filter((r) => /"displayName" from "users" where "id" = \$1/.test(r.statement));
    expect(compiled).toHaveLength(1);
    expect(compiled[0].name).toBe(statementName(compiled[0].statement));
    expect(compiled[0].name).toMatch(/^portier_\d+$/);
    // The statement Kysely built on the spot was not kept.
    expect(rows.some((r) => r.statement.includes('"userPrincipalName"'))).toBe(false);
  });

  it('names only the shapes it keeps: a count beyond the kept ones runs unnamed', async () => {
    const usersIn = preparedPerCount(1, (count) => (db, p: Record<string, string>) =>
      db
        .selectFrom('users')
        .select('mail')
        .where(
          'id',
          'in',
          Array.from({ length: count }, (_, k) => p[k]),
        ),
    );
    const rows = await store.db.transaction().execute(async (tx) => {
      expect(await usersIn(1).all(tx, { 0: ids[0] })).toEqual([{ mail: 'named0@contoso.test' }]);
      expect(await usersIn(2).all(tx, { 0: ids[0], 1: ids[1] })).toHaveLength(2);
      return (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(tx)).rows;
    });
    const mine = rows.filter((r) => r.statement.startsWith('select "mail" from "users"'));
    expect(mine.map((r) => r.statement)).toEqual([expect.stringMatching(/in \(\$1\)$/)]);
  });

  it('a connection whose prepared statement a schema change broke prepares it afresh after one failure', async () => {
    await sql`create table named_probe (id text primary key)`.execute(store.db);
    await sql`insert into named_probe (id) values ('a')`.execute(store.db);
    // A table outside Portier's schema type: `select *` is what a later column changes.
    const probe = prepared((db, p: { id: string }) => (db as unknown as Kysely<{ named_probe: { id: string; extra?: string } }>).selectFrom('named_probe').selectAll().where('id', '=', p.id));
    // The pool hands an idle connection back to the next caller (last in, first out): these sessions run
    // on one connection, which the test checks.
    const onSession = () =>
      store.db.transaction().execute(async (tx) => ({ pid: (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0].pid, rows: await probe.all(tx, { id: 'a' }) }));
    const before = await onSession();
    expect(before.rows).toEqual([{ id: 'a' }]);
    // Another instance migrates (here: a connection of the other pool): the table gains a column.
    await sql`alter table named_probe add column extra text default 'x'`.execute(store.readDb);
    const outcomes: Array<{ pid: number; rows?: unknown[]; code?: string }> = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        outcomes.push(await onSession());
      } catch (error) {
        outcomes.push({ pid: before.pid, code: (error as { code?: string }).code });
      }
    }
    // The connection meets the changed table once, then reads the new row shape.
    expect(outcomes).toEqual([
      { pid: before.pid, code: '0A000' },
      { pid: before.pid, rows: [{ id: 'a', extra: 'x' }] },
    ]);
  });

  it('the pool of writes opens at most its size of connections, and the runner takes half of them as lanes', async () => {
    const distinctSessions = async (db: Store['db'], at: number) => {
      const pids = await Promise.all(
        Array.from({ length: at }, () => db.transaction().execute(async (tx) => (await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(tx)).rows[0].pid)),
      );
      return new Set(pids).size;
    };
    const small = await openStore(url, { poolSize: 3 });
    try {
      expect(await distinctSessions(small.db, 8)).toBeLessThanOrEqual(3);
    } finally {
      await small.close();
    }
    // The default serves more at once than the old fixed 10.
    expect(defaultPoolSize).toBe(20);
    expect(await distinctSessions(store.db, 16)).toBeGreaterThan(10);
    expect([2, 3, 10, 16, 20, 500].map(runnerLanes)).toEqual([1, 1, 5, 8, 8, 8]);
  });
});
