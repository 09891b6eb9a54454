import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, PostgresIntrospector, SqliteDialect, sql } from 'kysely';
import type { DatabaseIntrospector, DatabaseMetadataOptions, SchemaMetadata, TableMetadata } from 'kysely';
import { Pool, type PoolClient } from 'pg';
import { backstopCheckpointFrames, type Checkpointer, defaultWalLimitBytes, startCheckpointer } from './checkpoint';
import { defaultReadTimeoutMs, registerDeadlineFunction } from './deadline';
import { migrateToLatest } from './migrations';
import { enableGroupCommit } from './groupCommit';
import { runDirectlyOnSqlite, statementName } from './prepared';
import type { Database } from './schema';

export type Dialect = 'sqlite' | 'postgres';

/** An open database: Kysely over better-sqlite3 (WAL) or pg. */
export interface Store {
  db: Kysely<Database>;
  /**
   * For the reads of a request (`serveGraph`): no statement starts after the read's deadline; on
   * PostgreSQL its own pool, whose sessions carry `statement_timeout`, on SQLite the same connection
   * (filters carry the deadline inside the query, see `deadline.ts`).
   */
  readDb: Kysely<Database>;
  /** The time budget of one read (ms). */
  readTimeoutMs: number;
  dialect: Dialect;
  /** Name of the newest migration applied. */
  migration: string;
  close(): Promise<void>;
}

/** PostgreSQL: connections of the pool for writes and the job runner, unless the caller says otherwise (`DATABASE_POOL_SIZE`). */
export const defaultPoolSize = 20;

/**
 * Opens `url` (`sqlite:<file>` or `postgres://…`) and migrates it to the latest schema.
 * A PostgreSQL URL may carry `?schema=<name>`: the schema is created if needed and used as search
 * path, which lets tests and benchmarks share one database without seeing each other.
 */
export async function openStore(url: string, options: { readTimeoutMs?: number; poolSize?: number } = {}): Promise<Store> {
  const readTimeoutMs = options.readTimeoutMs ?? defaultReadTimeoutMs;
  const { db, readDb, dialect, schema, checkpointer } = url.startsWith('sqlite:') ? openSqlite(url.slice('sqlite:'.length)) : await openPostgres(url, readTimeoutMs, options.poolSize ?? defaultPoolSize);
  const close = async () => {
    if (readDb !== db) await readDb.destroy();
    await checkpointer?.stop();
    await db.destroy();
  };
  try {
    const migration = await migrateToLatest(db, { schema, dialect });
    return { db, readDb, readTimeoutMs, dialect, migration, close };
  } catch (error) {
    await close();
    throw error;
  }
}

interface Opened {
  db: Kysely<Database>;
  readDb: Kysely<Database>;
  dialect: Dialect;
  schema?: string;
  checkpointer?: Checkpointer;
}

function openSqlite(file: string): Opened {
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const connection = new BetterSqlite3(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  // 64 MB of page cache (the default is 2 MB): large sweeps and indexes stay in memory.
  connection.pragma('cache_size = -65536');
  connection.pragma('temp_store = MEMORY');
  // Checkpoints run in a worker thread, not inside whichever commit fills the WAL (see checkpoint.ts).
  let checkpointer: Checkpointer | undefined;
  if (file !== ':memory:') {
    connection.pragma(`wal_autocheckpoint = ${backstopCheckpointFrames}`);
    connection.pragma(`journal_size_limit = ${defaultWalLimitBytes}`);
    checkpointer = startCheckpointer(resolve(file));
  }
  tuneForKysely(connection);
  registerDeadlineFunction(connection);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  enableGroupCommit(db, () => connection.inTransaction);
  runDirectlyOnSqlite(db, connection);
  return { db, readDb: db, dialect: 'sqlite', checkpointer };
}

async function openPostgres(url: string, readTimeoutMs: number, poolSize: number): Promise<Opened> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`DATABASE_URL: schema "${schema}" must be a lower-case SQL identifier`);
  }
  if (schema) {
    const setup = new Pool({ connectionString: parsed.toString(), max: 1 });
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } catch (error) {
      // `IF NOT EXISTS` is not atomic: when several processes start on one new schema, all may see it
      // missing and all but one fail on pg_namespace's unique index (23505) or as a duplicate (42P06).
      // The schema exists then, which is all this step wants.
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') throw error;
    } finally {
      await setup.end();
    }
  }
  const pool = new Pool({
    connectionString: parsed.toString(),
    // Each request's transaction holds a connection for all its round trips, and the job runner's lanes hold
    // some more (`runnerLanes`): with 10, the scale-out bench's requests queued for connections while PostgreSQL
    // still had CPU to spare (one instance: submits 249 → 302/s at 20).
    max: poolSize,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  pool.on('connect', prepareNamedStatements);
  const db = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool }) });
  await sql`select 1`.execute(db);
  // Reads get their own, smaller pool: its sessions stop any statement after the read budget, and
  // runaway reads cannot take the connections the writes and the job runner need. Connections open lazily.
  const readPool = new Pool({
    connectionString: parsed.toString(),
    max: 5,
    options: [schema ? `-c search_path="${schema}"` : '', `-c statement_timeout=${Math.max(1, Math.ceil(readTimeoutMs))}`].filter(Boolean).join(' '),
  });
  readPool.on('connect', prepareNamedStatements);
  const readDb = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool: readPool }) });
  return { db, readDb, dialect: 'postgres', schema: schema ?? undefined };
}

/**
 * A pool's new connection runs the statements compiled by `store/prepared.ts` as named statements: pg
 * prepares each once on that connection (Parse) and afterwards only binds and executes it. Kysely calls
 * `query(text, values)`; every other statement passes through unchanged.
 *
 * A table changed under a prepared statement (another instance migrated the schema: `select *` gains a
 * column) makes PostgreSQL refuse it ("cached plan must not change result type", 0A000) on every later
 * execution on that connection. The statement that meets this fails, and the connection then prepares its
 * statements afresh under new names (the old ones are left; a schema change is rare).
 */
function prepareNamedStatements(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  let generation = 0;
  (client as { query: unknown }).query = (text: unknown, ...rest: unknown[]) => {
    const name = typeof text === 'string' && rest.length === 1 && Array.isArray(rest[0]) ? statementName(text) : undefined;
    if (!name) return query(text, ...rest);
    const asked = generation;
    return query({ name: asked === 0 ? name : `${name}_${asked}`, text, values: rest[0] }).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === '0A000' && generation === asked) generation++;
      throw error;
    });
  };
}

/**
 * Two adjustments to how Kysely uses the connection:
 * - transactions start with `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes
 *   fails with SQLITE_BUSY when another process wrote in between, and migrations would run twice
 *   when several processes start on one new file; taking the write lock up front makes the others
 *   wait (busy_timeout) and then see what the first one did;
 * - statements are reused: Kysely prepares every query anew, and preparing is a measurable share of
 *   a small query. The most recent ones are kept by SQL text (bounded, since `in (…)` lists of
 *   different lengths make distinct texts).
 */
function tuneForKysely(connection: BetterSqlite3.Database, limit = 500): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, BetterSqlite3.Statement>();
  connection.prepare = ((text: string) => {
    const source = /^\s*begin\s*$/i.test(text) ? 'begin immediate' : text;
    const cached = cache.get(source);
    // Evicted in insertion order: the hot statements are prepared early and re-prepared rarely, and a
    // hit stays one lookup (re-inserting to keep LRU order hashed long SQL texts twice more).
    if (cached) return cached;
    const statement = prepare(source);
    cache.set(source, statement);
    if (cache.size > limit) cache.delete(cache.keys().next().value as string);
    return statement;
  }) as typeof connection.prepare;
}

/**
 * Kysely's migrator asks the introspector whether its tables exist, and PostgreSQL's introspector
 * reads every column of every table in every schema, calling functions by schema name: slow with many
 * schemas in one database, and it fails with "schema … does not exist" when another schema is
 * dropped meanwhile (tests and tenants share one database). Ours looks at the current schema only.
 */
class CurrentSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  private readonly fallback: PostgresIntrospector;
  constructor(private readonly db: Kysely<any>) {
    this.fallback = new PostgresIntrospector(db);
  }

  getSchemas(): Promise<SchemaMetadata[]> {
    return this.fallback.getSchemas();
  }

  async getTables(_options?: DatabaseMetadataOptions): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; isView: boolean }>`
      select table_name as name, table_schema as schema, table_type = 'VIEW' as "isView"
        from information_schema.tables where table_schema = current_schema()`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.isView, columns: [] }));
  }

  async getMetadata(options?: DatabaseMetadataOptions) {
    return { tables: await this.getTables(options) };
  }
}
