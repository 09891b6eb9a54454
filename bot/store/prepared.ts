import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, CompiledQuery, DialectAdapter, Insertable, Kysely, QueryExecutor, QueryResult } from 'kysely';
import { checkReadDeadlineOnly } from './deadline';
import type { Database } from './schema';

/**
 * Queries built and compiled once, executed many times with new parameters.
 *
 * Kysely builds an operation tree and compiles it to SQL on every call: about 15 µs a query, more
 * than SQLite itself takes for the small statements of the request path. For the statements that run
 * on every request, `prepared` builds the query once per dialect with placeholder values, keeps the
 * compiled SQL, and afterwards only puts the call's values into the parameter list. The query is
 * still written with Kysely (typed, both dialects); the one rule: a parameter may only be used as a
 * value (compared, inserted, set), never to choose the query's shape — the shape is the first call's.
 *
 * A database with plugins is served without the cache, since plugins act on the tree of every call
 * — except the read deadline of `readDb` (every Graph GET), which only checks the clock before a
 * statement starts and does exactly that here, so reads use the cache too.
 */

/** The compiled form of one query for one dialect: its SQL, and where each parameter comes from. */
interface Compiled {
  compiled: CompiledQuery;
  /** Per position in the parameter list: the name of the call's parameter, or undefined for a constant of the query. */
  slots: ReadonlyArray<string | undefined>;
}

const marker = '\u0000portier:param:';

/** Placeholder values standing for the parameters while the query is built once. */
function placeholders<P extends object>(): P {
  return new Proxy({} as P, {
    get: (_target, key) => (typeof key === 'string' ? `${marker}${key}` : undefined),
  });
}

/** Compiles `query` with placeholders; `kept`: the result is kept and reused, so PostgreSQL may prepare it by name. */
function compileOnce(query: Compilable<unknown>, kept = true): Compiled {
  const compiled = query.compile();
  if (compiled.sql.includes(marker)) throw new Error('prepared: a parameter was used in the SQL text, not as a value');
  if (kept) nameStatement(compiled.sql);
  const slots = compiled.parameters.map((value) => (typeof value === 'string' && value.startsWith(marker) ? value.slice(marker.length) : undefined));
  if (compiled.parameters.some((value, i) => slots[i] === undefined && typeof value === 'string' && value.includes(marker))) {
    throw new Error('prepared: a parameter was combined with other text; pass it as a value of its own');
  }
  return { compiled, slots };
}

type Db = Kysely<Database>;

/**
 * On PostgreSQL the statements compiled here are also prepared once per connection (named statements,
 * `statementName`): the server then parses and analyzes each of them once per session instead of on every
 * call, and the client sends its text once. Parsing and planning are a large share of the server's work
 * for the small statements of the request path and the job runner, and PostgreSQL's CPU is what limits a
 * busy instance. Only these texts are named: they are few (one per query, row count and dialect) and
 * fixed, so every connection's prepared statements stay bounded; everything else runs unnamed, as before.
 */
const statementNames = new Map<string, string>();
const maxNamedStatements = 2_000;

function nameStatement(text: string): void {
  if (!statementNames.has(text) && statementNames.size < maxNamedStatements) statementNames.set(text, `portier_${statementNames.size + 1}`);
}

/** The name under which PostgreSQL connections prepare this statement, when it is one of this module's. */
export function statementName(text: string): string | undefined {
  return statementNames.get(text);
}

/**
 * On SQLite a compiled statement runs on the connection itself, not through Kysely's executor: the
 * executor takes the connection through a mutex and a chain of promises per statement (a few µs and
 * ~1 KB of garbage each, a share of the request path as large as SQLite's own for the small statements),
 * and better-sqlite3 runs synchronously anyway. This is what Kysely's SQLite driver does with the
 * connection, minus the lock, which matters only for isolation, and is kept:
 * - the caller holds the connection (a Kysely transaction, or a group commit's member, whose executor
 *   the group marked): its statements belong in the open transaction;
 * - nobody does and no transaction is open: the statement sees only committed rows, as it would after
 *   waiting for the lock (a group that took the connection but has not begun is not yet writing);
 * - otherwise (another flow's transaction is open) it waits for the connection through Kysely.
 */
const sqliteConnections = new WeakMap<DialectAdapter, BetterSqlite3.Database>();
const heldExecutors = new WeakSet<QueryExecutor>();

/** Statements compiled by this module run directly on `connection`, the one connection of SQLite store `db`. */
export function runDirectlyOnSqlite(db: Db, connection: BetterSqlite3.Database): void {
  sqliteConnections.set(db.getExecutor().adapter, connection);
}

/** `db` is bound to the connection its caller holds (a group commit's own), for the statements compiled here. */
export function holdsConnection(db: Db): void {
  heldExecutors.add(db.getExecutor());
}

/** Runs a compiled statement on `db`: directly on a SQLite connection when that is safe (see above), else through Kysely. */
export async function executeCompiled<O>(db: Db, query: CompiledQuery<O>): Promise<QueryResult<O>> {
  return executeDirectly<O>(db, query, query.parameters) ?? db.executeQuery(query);
}

function executeDirectly<O>(db: Db, query: CompiledQuery, parameters: readonly unknown[]): QueryResult<O> | undefined {
  const executor = db.getExecutor();
  const connection = sqliteConnections.get(executor.adapter);
  if (!connection || (connection.inTransaction && !db.isTransaction && !heldExecutors.has(executor))) return undefined;
  const statement = connection.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(parameters) as O[] };
  const { changes } = statement.run(parameters);
  return { rows: [], numAffectedRows: BigInt(changes) };
}

/** A query compiled once per dialect; see the module comment. */
export interface PreparedQuery<P, O> {
  /** Every row. */
  all(db: Db, params: P): Promise<O[]>;
  /** The first row, or undefined. */
  first(db: Db, params: P): Promise<O | undefined>;
  /** For writes: how many rows were inserted, updated or deleted. */
  run(db: Db, params: P): Promise<number>;
}

/**
 * `build` makes the query from `params`, whose values it may only use as values. It runs once per
 * dialect (SQL differs between SQLite and PostgreSQL), with placeholders standing for the values.
 * `kept: false` (a one-off shape of `preparedPerCount`): the statement is not named on PostgreSQL.
 */
export function prepared<P extends object, O>(build: (db: Db, params: P) => Compilable<O>, kept = true): PreparedQuery<P, O> {
  const byAdapter = new WeakMap<DialectAdapter, Compiled>();
  const execute = async (db: Db, params: P): Promise<QueryResult<O>> => {
    const executor = db.getExecutor();
    const { plugins } = executor;
    // A read's deadline is checked here, since the compiled statement bypasses Kysely's plugins.
    if (!checkReadDeadlineOnly(db) && plugins.length > 0) return db.executeQuery(build(db, params).compile());
    let entry = byAdapter.get(executor.adapter);
    if (!entry) {
      entry = compileOnce(build(db, placeholders<P>()), kept);
      byAdapter.set(executor.adapter, entry);
    }
    const values = params as Record<string, unknown>;
    const { compiled, slots } = entry;
    const parameters = slots.map((name, i) => (name === undefined ? compiled.parameters[i] : values[name]));
    return executeDirectly<O>(db, compiled, parameters) ?? executor.executeQuery<O>({ ...(compiled as CompiledQuery<O>), parameters });
  };
  return {
    all: async (db, params) => (await execute(db, params)).rows,
    first: async (db, params) => (await execute(db, params)).rows[0],
    run: async (db, params) => Number((await execute(db, params)).numAffectedRows ?? 0n),
  };
}

/**
 * A query whose shape depends on a count (rows inserted, ids listed), as `prepared` per count: compiled
 * once for each count up to `max` (the common small ones), and for larger counts on every call.
 */
export function preparedPerCount<P extends object, O>(max: number, build: (count: number) => (db: Db, params: P) => Compilable<O>): (count: number) => PreparedQuery<P, O> {
  const byCount = new Map<number, PreparedQuery<P, O>>();
  return (count) => {
    let query = byCount.get(count);
    if (!query) {
      // Larger counts are compiled on every call: not named, or one-off texts would fill the named set.
      query = prepared(build(count), count <= max);
      if (count <= max) byCount.set(count, query);
    }
    return query;
  };
}

/**
 * Inserts rows into `table` with an INSERT compiled once per table, column list, row count and
 * dialect: the audit records, events, deliveries and notifications every request writes. Rows must
 * all have the same keys. `onConflictDoNothing` adds `on conflict do nothing` (on those columns).
 */
export async function insertRows<T extends keyof Database & string>(db: Db, table: T, rows: ReadonlyArray<Insertable<Database[T]>>, options: { onConflictDoNothing?: ReadonlyArray<keyof Database[T] & string> } = {}): Promise<number> {
  if (rows.length === 0) return 0;
  const conflict = options.onConflictDoNothing;
  const insertOf = (values: readonly object[]) => {
    const insert = db.insertInto(table).values(values as never);
    return conflict ? insert.onConflict((oc) => (conflict.length > 0 ? oc.columns(conflict as never) : oc).doNothing()) : insert;
  };
  const executor = db.getExecutor();
  // Large batches vary in size: compiled each time, as Kysely does, rather than kept; so is a database with plugins.
  if (rows.length > maxPreparedRows || (!checkReadDeadlineOnly(db) && executor.plugins.length > 0)) {
    return Number((await insertOf(rows).executeTakeFirst()).numInsertedOrUpdatedRows ?? 0n);
  }
  // An undefined value leaves the column out (its default), as in Kysely.
  const first = rows[0] as Record<string, unknown>;
  const columns = Object.keys(first).filter((c) => first[c] !== undefined);
  const key = `${table}|${rows.length}|${conflict?.join(',') ?? '-'}|${columns.join(',')}`;
  let entry = inserts.get(key);
  if (!entry) {
    entry = { byAdapter: new WeakMap() };
    inserts.set(key, entry);
  }
  let compiled = entry.byAdapter.get(executor.adapter);
  if (!compiled) {
    // Built once with placeholders named by row and column; afterwards each parameter is taken from its row
    // and column by position (no names, no object of parameters per call).
    const { compiled: query, slots } = compileOnce(insertOf(Array.from({ length: rows.length }, (_, r) => Object.fromEntries(columns.map((c, k) => [c, `${marker}${r * columns.length + k}`])))));
    compiled = { compiled: query, positions: slots.map((slot) => (slot === undefined ? -1 : Number(slot))) };
    entry.byAdapter.set(executor.adapter, compiled);
  }
  const { compiled: query, positions } = compiled;
  const width = columns.length;
  const parameters = new Array<unknown>(positions.length);
  for (let i = 0; i < positions.length; i++) {
    const at = positions[i];
    parameters[i] = at < 0 ? query.parameters[i] : ((rows[(at / width) | 0] as Record<string, unknown>)[columns[at % width]] ?? null);
  }
  const result = executeDirectly(db, query, parameters) ?? (await executor.executeQuery({ ...query, parameters }));
  return Number(result.numAffectedRows ?? 0n);
}

const maxPreparedRows = 8;
/** Per table, row count, conflict columns and column list: the compiled INSERT per dialect, each parameter's row and column. */
const inserts = new Map<string, { byAdapter: WeakMap<DialectAdapter, { compiled: CompiledQuery; positions: number[] }> }>();
