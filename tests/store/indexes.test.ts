import { sql } from 'kysely';
import { openStore, type Store } from '../../bot/store/db';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * Lookups that every request or every deletion makes find their rows by index. Every foreign key's column
 * leads an index: deleting a row (a guest the lifecycle removes, a group) makes the database look for the rows
 * that refer to it, to cascade or refuse, and without such an index that is a scan of the referring table per
 * deleted row (of every user for `managerId`, of every sponsorship and site membership per deleted guest).
 * Checked on the migrated schema of the database the suite runs on (SQLite, or PostgreSQL with
 * PORTIER_TEST_DATABASE_URL); the query plans on SQLite only (PostgreSQL's planner decides by table statistics,
 * which a new schema lacks).
 */
describe('indexes', () => {
  let url: string;
  let store: Store;
  beforeAll(async () => {
    url = testDatabaseUrl();
    store = await openStore(url);
  });
  afterAll(async () => {
    await store.close();
    await dropTestDatabase(url);
  });

  it('every foreign key has an index led by its column', async () => {
    const keys = store.dialect === 'sqlite' ? await sqliteForeignKeys(store) : await postgresForeignKeys(store);
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !k.indexed).map((k) => `${k.table}.${k.column}`)).toEqual([]);
  });

  const sqliteOnly = process.env.PORTIER_TEST_DATABASE_URL ? it.skip : it;
  const planOf = async (statement: string) => (await sql.raw<{ detail: string }>(`explain query plan ${statement}`).execute(store.db)).rows.map((r) => r.detail);

  sqliteOnly('deleting a user searches every table that refers to users, scanning none (SQLite)', async () => {
    const plan = await planOf(`delete from "users" where "id" = 'x'`);
    expect(plan.filter((step) => /^SEARCH/.test(step)).length).toBeGreaterThanOrEqual(7);
    expect(plan.filter((step) => /^SCAN/.test(step))).toEqual([]);
  });

  sqliteOnly("a conversation the bot lost takes its cards by index, not by a scan of every card (SQLite)", async () => {
    expect(await planOf(`delete from "teams_cards" where "conversationId" = 'x'`)).toEqual([expect.stringMatching(/^SEARCH teams_cards USING .*INDEX teams_cards_conversation \(conversationId=\?\)/)]);
  });

  sqliteOnly("a caller's roles, read with every authenticated request, are found by principal (SQLite)", async () => {
    const query = store.db
      .selectFrom('users as u')
      .leftJoin('role_assignments as r', 'r.principalId', 'u.id')
      .selectAll('u')
      .select(['r.provider', 'r.roleDefinitionId', 'r.appScopeId'])
      .where('u.id', '=', 'x')
      .compile();
    expect(await planOf(query.sql.replace('?', "'x'"))).toEqual([expect.stringMatching(/^SEARCH u /), expect.stringMatching(/^SEARCH r USING .*INDEX role_assignments_principal \(principalId=\?\)/)]);
  });
});

interface ForeignKey {
  table: string;
  column: string;
  indexed: boolean;
}

async function sqliteForeignKeys(store: Store): Promise<ForeignKey[]> {
  const tables = (await sql<{ name: string }>`select "name" from "sqlite_master" where "type" = 'table' and "name" not like 'sqlite_%'`.execute(store.db)).rows.map((r) => r.name);
  const keys: ForeignKey[] = [];
  for (const table of tables) {
    const foreign = (await sql.raw<{ from: string; seq: number }>(`pragma foreign_key_list("${table}")`).execute(store.db)).rows;
    const leading = new Set<string>();
    for (const index of (await sql.raw<{ name: string }>(`pragma index_list("${table}")`).execute(store.db)).rows) {
      const columns = (await sql.raw<{ name: string; seqno: number }>(`pragma index_info("${index.name}")`).execute(store.db)).rows.sort((a, b) => a.seqno - b.seqno);
      if (columns[0]) leading.add(columns[0].name);
    }
    for (const key of foreign) if (key.seq === 0) keys.push({ table, column: key.from, indexed: leading.has(key.from) });
  }
  return keys;
}

async function postgresForeignKeys(store: Store): Promise<ForeignKey[]> {
  // The first column of each foreign key of this schema, and whether some index of its table starts with it.
  const rows = await sql<{ table: string; column: string; indexed: boolean }>`
    select c.conrelid::regclass::text as "table", a.attname as "column",
           exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]) as "indexed"
    from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.contype = 'f' and c.connamespace = current_schema()::regnamespace`.execute(store.db);
  return rows.rows;
}
