import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { type CommandContext, inTransaction, systemPrincipal, systemClock } from '../../bot/context';
import { openStore, type Store } from '../../bot/store/db';
import { groupCommitOf } from '../../bot/store/groupCommit';
import { prepared } from '../../bot/store/prepared';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * Commands' transactions (`inTransaction`): on SQLite those waiting for the connection at once are
 * committed together (bot/store/groupCommit.ts); each must still behave as a transaction of its own.
 * On PostgreSQL the same checks run on plain transactions.
 */
describe('inTransaction (group commit on SQLite)', () => {
  let url: string;
  let store: Store;
  let ctx: CommandContext;

  beforeEach(async () => {
    url = testDatabaseUrl();
    store = await openStore(url);
    await sql`create table test_rows (id text primary key)`.execute(store.db);
    ctx = { db: store.db, dialect: store.dialect, principal: systemPrincipal, clock: systemClock, requestId: 'test', publicUrl: 'http://localhost', subscriptions: {}, wake: () => undefined };
  });
  afterEach(async () => {
    await store.close();
    await dropTestDatabase(url);
  });

  const insert = (id: string) => inTransaction(ctx, async (tx) => {
    await tx.insertInto('test_rows' as never).values({ id } as never).execute();
    return id;
  });
  const rows = async () => (await sql<{ id: string }>`select id from test_rows order by id`.execute(store.db)).rows.map((r) => r.id);

  it('groups the commands that wait at once (SQLite)', () => {
    expect(Boolean(groupCommitOf(store.db))).toBe(store.dialect === 'sqlite');
  });

  it('rolls back only the command that fails; the others land', async () => {
    const results = await Promise.allSettled([
      insert('a'),
      inTransaction(ctx, async (tx) => {
        await tx.insertInto('test_rows' as never).values({ id: 'b' } as never).execute();
        throw new Error('b changes its mind');
      }),
      // A unique-index race lost: refused alone, as its own transaction would be.
      insert('a'),
      insert('c'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('b changes its mind'));
    expect(await rows()).toEqual(['a', 'c']);
  });

  it('answers a command only once its writes are committed', async () => {
    if (store.dialect !== 'sqlite') return; // PostgreSQL's transactions commit one by one; nothing is shared
    const file = url.slice('sqlite:'.length);
    const other = new BetterSqlite3(file, { readonly: true });
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let aDone = false;
      const a = insert('a').then((id) => {
        aDone = true;
        // Answered: another connection sees the row (and 'b''s, committed with it).
        expect(other.prepare('select id from test_rows order by id').all()).toEqual([{ id: 'a' }, { id: 'b' }]);
        return id;
      });
      const b = inTransaction(ctx, async (tx) => {
        await tx.insertInto('test_rows' as never).values({ id: 'b' } as never).execute();
        await held; // the group stays open: 'a' is done but not committed
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(aDone).toBe(false);
      expect(other.prepare('select id from test_rows').all()).toEqual([]);
      release();
      await Promise.all([a, b]);
      expect(await rows()).toEqual(['a', 'b']);
    } finally {
      other.close();
    }
  });

  it('fails every command of the group when SQLite ends the transaction, and writes none of them', async () => {
    if (store.dialect !== 'sqlite') return; // how SQLite reports an I/O error or a full disk: the transaction is gone
    const results = await Promise.allSettled([
      insert('a'),
      inTransaction(ctx, async (tx) => {
        await tx.insertInto('test_rows' as never).values({ id: 'b' } as never).execute();
        await sql`rollback`.execute(tx);
      }),
      insert('c'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(await rows()).toEqual(['c']);
  });

  // On SQLite a compiled statement runs on the connection itself, without Kysely's lock (bot/store/prepared.ts):
  // it must still see what a transaction of its own would, inside and outside the open ones.
  const idsOf = prepared((db, _p: Record<string, never>) => db.selectFrom('test_rows' as never).select('id' as never).orderBy('id' as never));
  const ids = async (db: Parameters<typeof idsOf.all>[0]) => (await idsOf.all(db, {})).map((r) => (r as { id: string }).id);

  it('runs compiled statements in the open transaction of whoever holds the connection, and outside it only after', async () => {
    await insert('a');
    let outside: Promise<string[]> | undefined;
    let inside: string[] | undefined;
    // A command of the group reads its own write; a read outside it, made meanwhile, waits and never sees
    // the write the command then rolls back.
    const failing = inTransaction(ctx, async (tx) => {
      await tx.insertInto('test_rows' as never).values({ id: 'b' } as never).execute();
      inside = await ids(tx);
      outside = ids(store.db);
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('b changes its mind');
    });
    await expect(failing).rejects.toThrow('b changes its mind');
    expect(inside).toEqual(['a', 'b']);
    expect(await outside).toEqual(['a']);
    // The same in a plain Kysely transaction (the job runner's).
    let outsideOfTransaction: Promise<string[]> | undefined;
    let insideOfTransaction: string[] | undefined;
    await expect(
      store.db.transaction().execute(async (tx) => {
        await tx.insertInto('test_rows' as never).values({ id: 'c' } as never).execute();
        insideOfTransaction = await ids(tx);
        outsideOfTransaction = ids(store.db);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('c changes its mind');
      }),
    ).rejects.toThrow('c changes its mind');
    expect(insideOfTransaction).toEqual(['a', 'c']);
    expect(await outsideOfTransaction).toEqual(['a']);
    // With no transaction open, a compiled read sees what is committed.
    await insert('d');
    expect(await ids(store.db)).toEqual(['a', 'd']);
  });
});
