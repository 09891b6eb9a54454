import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { performance } from 'node:perf_hooks';
import { executeCompiled, holdsConnection } from './prepared';
import type { Database } from './schema';

/**
 * Group commit for SQLite: the commands' transactions that want the one connection at the same time
 * commit together.
 *
 * A commit is most of a command's cost on SQLite (about 0.2 ms of the 1.5 ms a submit costs over its
 * life): it writes every page the transaction changed to the WAL, and a submit changes a page in each
 * of ~28 index B-trees. Under load, commands wait for the connection in a queue anyway; here the ones
 * waiting run in one `BEGIN IMMEDIATE … COMMIT`, each inside its own savepoint, and the commit writes
 * each changed page once for all of them (ids are time-ordered, so their rows land on the same pages).
 *
 * What each caller sees is what a transaction of its own gives:
 * - all or nothing: a command that throws is rolled back to its savepoint, and only it fails; its
 *   unique-index and conditional-write races are settled as before (the others' rows are there);
 * - durable when it returns: `run` resolves only after the group's COMMIT; if the commit fails, or
 *   SQLite rolled the whole transaction back (I/O error, disk full), every command of the group fails
 *   and nothing of it is written;
 * - isolated: nothing outside the group reads through this connection while it is open (other queries
 *   wait for the connection, as they wait for any transaction), and other connections see the group
 *   only once committed.
 * A group takes commands while they keep coming, up to `maxMembers` or `maxMs` (the latency a
 * command can lose waiting for the others' work before its commit), then commits; commands that
 * arrive meanwhile form the next group. When only one command waits, it is a plain transaction plus
 * a savepoint.
 */
export class GroupCommit {
  private readonly queue: Member[] = [];
  private draining = false;

  constructor(
    private readonly db: Kysely<Database>,
    /** Whether the connection is inside a transaction (better-sqlite3's `inTransaction`). */
    private readonly inTransaction: () => boolean,
    private readonly limits: { maxMembers: number; maxMs: number } = { maxMembers: 32, maxMs: 5 },
  ) {}

  /** Runs `work` in a transaction (grouped with others waiting); resolves once it is committed. */
  run<T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Member['work'], resolve: resolve as Member['resolve'], reject });
      if (this.draining) return;
      this.draining = true;
      // The other requests this turn of the event loop has read reach their transactions first and join the
      // group: each request's synchronous SQLite work otherwise runs to its commit before the next one starts.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const attempt = { began: false };
        try {
          await this.db.connection().execute((conn) => this.group(conn, attempt));
        } catch (error) {
          // No connection, or no write lock within the busy timeout: the waiting commands fail, as their own
          // transactions would have. A group that failed after it began has failed its own commands; the
          // ones still waiting form the next group.
          if (!attempt.began) for (const member of this.queue.splice(0)) member.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async group(conn: Kysely<Database>, attempt: { began: boolean }): Promise<void> {
    holdsConnection(conn);
    await executeCompiled(conn, statements.begin);
    attempt.began = true;
    const started = performance.now();
    let current: Member | undefined;
    const done: Array<{ member: Member; result: unknown }> = [];
    // Fails every command of the group that believed its work done: none of it was committed.
    const lose = (error: unknown) => {
      for (const { member } of done.splice(0)) member.reject(error);
    };
    try {
      while (this.queue.length > 0 && done.length < this.limits.maxMembers && (done.length === 0 || performance.now() - started < this.limits.maxMs)) {
        const member = this.queue.shift() as Member;
        current = member;
        await executeCompiled(conn, statements.savepoint);
        const outcome = await member.work(conn as unknown as Transaction<Database>).then(
          (result) => ({ failed: false as const, result }),
          (error: unknown) => ({ failed: true as const, error }),
        );
        if (!this.inTransaction()) {
          // SQLite ended the whole transaction (an I/O error, a full disk): the group so far is gone.
          current = undefined;
          const error = outcome.failed ? outcome.error : new Error('SQLite rolled the transaction back');
          member.reject(error);
          lose(error);
          return;
        }
        if (outcome.failed) {
          current = undefined;
          member.reject(outcome.error);
          await executeCompiled(conn, statements.rollbackToSavepoint);
          await executeCompiled(conn, statements.releaseSavepoint);
          continue;
        }
        await executeCompiled(conn, statements.releaseSavepoint);
        current = undefined;
        done.push({ member, result: outcome.result });
      }
      await executeCompiled(conn, statements.commit);
    } catch (error) {
      if (this.inTransaction()) await executeCompiled(conn, statements.rollback).catch(() => undefined);
      current?.reject(error);
      lose(error);
      throw error;
    }
    for (const { member, result } of done) member.resolve(result);
  }
}

interface Member {
  work: (tx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const statements = {
  begin: CompiledQuery.raw('begin immediate'),
  savepoint: CompiledQuery.raw('savepoint portier_command'),
  releaseSavepoint: CompiledQuery.raw('release portier_command'),
  rollbackToSavepoint: CompiledQuery.raw('rollback to portier_command'),
  commit: CompiledQuery.raw('commit'),
  rollback: CompiledQuery.raw('rollback'),
};

const groups = new WeakMap<Kysely<Database>, GroupCommit>();

/** Commands' transactions on `db` (a SQLite store's) are group-committed from now on. */
export function enableGroupCommit(db: Kysely<Database>, inTransaction: () => boolean): void {
  groups.set(db, new GroupCommit(db, inTransaction));
}

/**
 * Runs `work` in a transaction of its own: group-committed on a SQLite store's connection, a plain
 * transaction elsewhere (PostgreSQL). Resolves once committed.
 */
export function transact<T>(db: Kysely<Database>, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  const group = groups.get(db);
  return group ? group.run(work) : db.transaction().execute(work);
}

/**
 * Runs a write of one statement: with the group commit on a SQLite store's connection (one commit with
 * the other writes of this turn of the event loop instead of a commit of its own), on its own elsewhere
 * (on PostgreSQL a transaction would only add two round trips). Resolves once committed.
 */
export function groupedWrite<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const group = groups.get(db);
  return group ? group.run(work) : work(db);
}

/** The group committer of `db`, when it has one (SQLite's main connection; not a transaction, not PostgreSQL). */
export function groupCommitOf(db: Kysely<Database>): GroupCommit | undefined {
  return groups.get(db);
}
