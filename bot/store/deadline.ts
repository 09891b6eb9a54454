import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RawBuilder, type RootOperationNode, type UnknownRow } from 'kysely';
import { QueryTimeoutError } from '../domain/errors';
import type { Database } from './schema';

/**
 * A read's deadline. Every read of the embedded Graph runs with one (see `serveGraph`), so no single
 * request can keep the database — and, on SQLite, the only thread — busy for long:
 * - PostgreSQL reads go through a pool whose sessions carry `statement_timeout`, and no statement
 *   starts after the deadline;
 * - SQLite (better-sqlite3 runs queries on the event loop and has no interrupt) gets the deadline
 *   inside the query: filters put `portier_deadline(<ms>)` in every correlated subquery, and that
 *   function throws once the deadline has passed, which aborts the statement from within.
 */

/** How long one read may take, by default. */
export const defaultReadTimeoutMs = 1000;

interface ReadBudget {
  /** Epoch milliseconds after which no statement may start and SQLite statements abort. */
  until: number;
  timeoutMs: number;
  /** SQLite: compile the in-query guard into filters. */
  inQueryGuard: boolean;
  /** The longest one guarded SQLite statement may run (`maxBlockingMs`). */
  blockingMs: number;
}

/**
 * A read's deadline travels with its Kysely instance, as a plugin (kept by transactions too), not in
 * an AsyncLocalStorage: on Node 20 that turns on promise hooks for the whole process, which cost
 * about 4–5% of all CPU under load.
 */
class ReadBudgetPlugin implements KyselyPlugin {
  constructor(readonly budget: ReadBudget) {}

  /** Throws `QueryTimeoutError` when the deadline has passed. */
  check(): void {
    if (Date.now() > this.budget.until) throw new QueryTimeoutError(this.budget.timeoutMs);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.check();
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** Anything that runs queries: a Kysely instance or a transaction. */
interface HasExecutor {
  getExecutor(): { readonly plugins: readonly KyselyPlugin[] };
}

/** `db` for one read, with a deadline `timeoutMs` from now: no statement of it starts after that. */
export function withReadDeadline<D extends Kysely<Database>>(db: D, options: { timeoutMs: number; inQueryGuard: boolean; blockingMs?: number }): D {
  const { timeoutMs, inQueryGuard, blockingMs = maxBlockingMs } = options;
  return db.withPlugin(new ReadBudgetPlugin({ until: Date.now() + timeoutMs, timeoutMs, inQueryGuard, blockingMs })) as D;
}

function budgetPlugin(db: HasExecutor): ReadBudgetPlugin | undefined {
  for (const plugin of db.getExecutor().plugins) if (plugin instanceof ReadBudgetPlugin) return plugin;
  return undefined;
}

/**
 * For statements run without Kysely's plugins (bot/store/prepared.ts): throws `QueryTimeoutError`
 * when `db`'s read deadline has passed. True when `db` carries no plugin but the deadline.
 */
export function checkReadDeadlineOnly(db: HasExecutor): boolean {
  const { plugins } = db.getExecutor();
  if (plugins.length !== 1 || !(plugins[0] instanceof ReadBudgetPlugin)) return false;
  plugins[0].check();
  return true;
}

/**
 * The condition to put into the loops of an expensive SQLite query (correlated subqueries) run on
 * `db`: true, but it aborts the statement once the read's deadline has passed. Null outside a read or
 * on PostgreSQL, where `statement_timeout` does this. The deadline is a bound parameter, so the SQL
 * text (and its cached prepared statement) stays the same.
 */
export function deadlineGuard(db: HasExecutor): RawBuilder<unknown> | null {
  const budget = budgetPlugin(db)?.budget;
  if (!budget?.inQueryGuard) return null;
  // One SQLite statement blocks the event loop while it runs: besides the read's deadline, none may
  // run longer than `maxBlockingMs`, so other requests wait at most that long.
  return sql`${sql.raw(deadlineFunction)}(${Math.min(budget.until, Date.now() + budget.blockingMs)}, ${budget.timeoutMs}) = 1`;
}

/** The longest one guarded SQLite statement may hold the event loop (ms). */
export const maxBlockingMs = 250;

const deadlineFunction = 'portier_deadline';

/** Registers `portier_deadline(untilMs, timeoutMs)` on a SQLite connection (see `deadlineGuard`). */
export function registerDeadlineFunction(connection: BetterSqlite3.Database): void {
  // Not deterministic: SQLite must call it for every row, never fold it into a constant.
  connection.function(deadlineFunction, { deterministic: false, varargs: false }, (until: unknown, timeoutMs: unknown) => {
    if (typeof until === 'number' && Date.now() > until) throw new QueryTimeoutError(typeof timeoutMs === 'number' ? timeoutMs : defaultReadTimeoutMs);
    return 1;
  });
}

/** PostgreSQL's error when `statement_timeout` cancels a statement (SQLSTATE 57014, query_canceled). */
export function isStatementTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '57014';
}
