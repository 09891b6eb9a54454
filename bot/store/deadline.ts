import { AsyncLocalStorage } from 'node:async_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RawBuilder, type RootOperationNode, type UnknownRow } from 'kysely';
import { QueryTimeoutError } from '../domain/errors';

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
}

const budgets = new AsyncLocalStorage<ReadBudget>();

/** Runs `work` (a read) with a deadline `timeoutMs` from now. */
export function withReadDeadline<T>(options: { timeoutMs: number; inQueryGuard: boolean }, work: () => Promise<T>): Promise<T> {
  return budgets.run({ until: Date.now() + options.timeoutMs, timeoutMs: options.timeoutMs, inQueryGuard: options.inQueryGuard }, work);
}

/** Throws `QueryTimeoutError` when the current read's deadline has passed. */
export function checkReadDeadline(): void {
  const budget = budgets.getStore();
  if (budget && Date.now() > budget.until) throw new QueryTimeoutError(budget.timeoutMs);
}

/**
 * The condition to put into the loops of an expensive SQLite query (correlated subqueries): true,
 * but it aborts the statement once the read's deadline has passed. Null outside a read or on
 * PostgreSQL, where `statement_timeout` does this. The deadline is a bound parameter, so the SQL text
 * (and its cached prepared statement) stays the same.
 */
export function deadlineGuard(): RawBuilder<unknown> | null {
  const budget = budgets.getStore();
  if (!budget?.inQueryGuard) return null;
  return sql`${sql.raw(deadlineFunction)}(${budget.until}) = 1`;
}

const deadlineFunction = 'portier_deadline';

/** Registers `portier_deadline(untilMs)` on a SQLite connection (see `deadlineGuard`). */
export function registerDeadlineFunction(connection: BetterSqlite3.Database): void {
  // Not deterministic: SQLite must call it for every row, never fold it into a constant.
  connection.function(deadlineFunction, { deterministic: false, varargs: false }, (until: unknown) => {
    if (typeof until === 'number' && Date.now() > until) throw new QueryTimeoutError(budgets.getStore()?.timeoutMs ?? defaultReadTimeoutMs);
    return 1;
  });
}

/** A Kysely plugin: no statement of a read starts after its deadline. */
export const readDeadlinePlugin: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    checkReadDeadline();
    return args.node;
  },
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  },
};

/** PostgreSQL's error when `statement_timeout` cancels a statement (SQLSTATE 57014, query_canceled). */
export function isStatementTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '57014';
}
