import { PostgresAdapter, sql } from 'kysely';
import type { Kysely } from 'kysely';
import { newId, type Tx } from '../context';
import type { Dialect } from '../store/db';
import { prepared, preparedPerCount } from '../store/prepared';
import type { Database, TimersTable } from '../store/schema';

/**
 * Timers: work that falls due at a moment (automatic denial, escalation, reminders, expiry, review
 * ends, guest lifecycle). A timer is written in the transaction of the change that needs it, and is
 * identified by its kind and subject: scheduling the same kind for the same subject again moves it.
 */
export interface TimerSpec {
  kind: string;
  subjectId: string;
  dueAt: Date;
  payload?: Record<string, unknown>;
}

/** Schedules (or moves) the timer of `kind` for `subjectId`, inside the caller's transaction. */
export async function scheduleTimer(tx: Tx | Kysely<Database>, spec: TimerSpec, now: Date): Promise<void> {
  await upsertTimer.run(tx, timerRow(spec, now));
}

/** A new timer's row: due at `spec.dueAt`, never tried, not leased. */
function timerRow(spec: TimerSpec, now: Date): TimersTable {
  return {
    id: newId(),
    kind: spec.kind,
    subjectId: spec.subjectId,
    dueAt: spec.dueAt.toISOString(),
    payload: JSON.stringify(spec.payload ?? {}),
    attempts: 0,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    createdDateTime: now.toISOString(),
  };
}

const upsertTimer = prepared((db, p: TimersTable) =>
  db
    .insertInto('timers')
    .values({ id: p.id, kind: p.kind, subjectId: p.subjectId, dueAt: p.dueAt, payload: p.payload, attempts: p.attempts, leaseOwner: p.leaseOwner, leaseUntil: p.leaseUntil, lastError: p.lastError, createdDateTime: p.createdDateTime })
    .onConflict((oc) => oc.columns(['kind', 'subjectId']).doUpdateSet({ id: p.id, dueAt: p.dueAt, payload: p.payload, attempts: 0, leaseOwner: null, leaseUntil: null, lastError: null })),
);

/**
 * Schedules (or moves) many timers in one statement, like `scheduleTimer` does for one: a stage's
 * deadlines, or an expiry sweep ending the last assignment of thousands of guests in one
 * transaction. The specs' (kind, subject) pairs must differ (PostgreSQL refuses one upsert touching
 * a row twice). A few timers take a statement compiled once per count; many are chunked.
 */
export async function scheduleTimers(tx: Tx | Kysely<Database>, specs: readonly TimerSpec[], now: Date): Promise<void> {
  if (specs.length === 0) return;
  const rows = specs.map((spec) => timerRow(spec, now));
  if (rows.length === 1) return upsertTimer.run(tx, rows[0]).then(() => undefined);
  if (rows.length <= maxPreparedTimers) {
    const params: Record<string, string | number | null> = {};
    rows.forEach((row, r) => {
      for (const [key, value] of Object.entries(row)) params[`${r}_${key}`] = value;
    });
    await upsertTimersOf(rows.length).run(tx, params);
    return;
  }
  for (let i = 0; i < rows.length; i += 500) await upsertMany(tx, rows.slice(i, i + 500)).execute();
}

const maxPreparedTimers = 4;
const upsertTimersOf = preparedPerCount(maxPreparedTimers, (count) => (db, p: Record<string, string | number | null>) => upsertMany(db, Array.from({ length: count }, (_, r) => timerColumns(p, `${r}_`))));

/** The columns of a timer row from a parameter record whose keys carry `prefix`. */
function timerColumns(p: Record<string, string | number | null>, prefix: string): TimersTable {
  const value = (key: keyof TimersTable) => p[`${prefix}${key}`];
  return {
    id: value('id') as string,
    kind: value('kind') as string,
    subjectId: value('subjectId') as string,
    dueAt: value('dueAt') as string,
    payload: value('payload') as string,
    attempts: value('attempts') as number,
    leaseOwner: value('leaseOwner') as string | null,
    leaseUntil: value('leaseUntil') as string | null,
    lastError: value('lastError') as string | null,
    createdDateTime: value('createdDateTime') as string,
  };
}

function upsertMany(db: Tx | Kysely<Database>, rows: readonly TimersTable[]) {
  return db
    .insertInto('timers')
    .values([...rows])
    .onConflict((oc) =>
      oc.columns(['kind', 'subjectId']).doUpdateSet((eb) => ({
        id: eb.ref('excluded.id'),
        dueAt: eb.ref('excluded.dueAt'),
        payload: eb.ref('excluded.payload'),
        attempts: 0,
        leaseOwner: null,
        leaseUntil: null,
        lastError: null,
      })),
    );
}

/** Cancels the timer of `kind` for `subjectId` (nothing happens when there is none); see `cancelTimers`. */
export function cancelTimer(tx: Tx | Kysely<Database>, kind: string, subjectId: string): Promise<void> {
  return cancelTimers(tx, [kind], [subjectId]);
}

/**
 * Cancels every timer of one of `kinds` for one of `subjectIds`, except one whose handler is running
 * right now (its row is locked by the handler's transaction, see `completeTimer`): that one is left
 * to it. Waiting for it could deadlock when the handler waits for a row this transaction holds — a
 * request's timers are canceled while its row is locked, and their handlers lock that row first
 * (`lockRequest`), re-read it, and find nothing to do.
 */
export async function cancelTimers(tx: Tx | Kysely<Database>, kinds: readonly string[], subjectIds: readonly string[]): Promise<void> {
  if (kinds.length === 0 || subjectIds.length === 0) return;
  if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) {
    // SQLite has one writer at a time: nothing else holds a timer row now.
    await tx.deleteFrom('timers').where('kind', 'in', kinds).where('subjectId', 'in', subjectIds).execute();
    return;
  }
  await sql`
    delete from ${sql.table('timers')} where ${sql.ref('id')} in (
      select ${sql.ref('id')} from ${sql.table('timers')}
       where ${sql.ref('kind')} in (${sql.join(kinds)}) and ${sql.ref('subjectId')} in (${sql.join(subjectIds)})
       for update skip locked)`.execute(tx);
}

/**
 * Claims up to `limit` due timers for `owner` until `now + leaseMs`: one UPDATE, so two instances
 * never claim the same timer (PostgreSQL skips rows another claim has locked; SQLite runs one
 * writer at a time). A timer whose lease ran out (its owner died) is due again.
 */
export async function claimDueTimers(db: Kysely<Database>, dialect: Dialect, options: { owner: string; now: Date; leaseMs: number; limit: number }): Promise<TimersTable[]> {
  const now = options.now.toISOString();
  const until = new Date(options.now.getTime() + options.leaseMs).toISOString();
  const skipLocked = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const { rows } = await sql<TimersTable>`
    update ${sql.table('timers')}
       set ${sql.ref('leaseOwner')} = ${options.owner}, ${sql.ref('leaseUntil')} = ${until}, ${sql.ref('attempts')} = ${sql.ref('attempts')} + 1
     where ${sql.ref('id')} in (
       select ${sql.ref('id')} from ${sql.table('timers')}
        where ${sql.ref('dueAt')} <= ${now} and (${sql.ref('leaseUntil')} is null or ${sql.ref('leaseUntil')} <= ${now})
        order by ${sql.ref('dueAt')}, ${sql.ref('id')}
        limit ${options.limit} ${skipLocked})
    returning *`.execute(db);
  // UPDATE … RETURNING gives the rows in no particular order: run them in the order they fall due.
  return rows.sort((a, b) => compare(a.dueAt, b.dueAt) || compare(a.id, b.id));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Removes a claimed timer inside the transaction that does its work, but only while the claim is
 * still ours: if the lease ran out and another instance claimed it, this returns false and the
 * caller must roll back, so the work happens once.
 */
export async function completeTimer(tx: Tx, timer: Pick<TimersTable, 'id' | 'leaseOwner' | 'leaseUntil'>): Promise<boolean> {
  if (!timer.leaseOwner || !timer.leaseUntil) return false;
  return (await completeTimerQuery.run(tx, { id: timer.id, leaseOwner: timer.leaseOwner, leaseUntil: timer.leaseUntil })) === 1;
}

const completeTimerQuery = prepared((db, p: { id: string; leaseOwner: string; leaseUntil: string }) =>
  db.deleteFrom('timers').where('id', '=', p.id).where('leaseOwner', '=', p.leaseOwner).where('leaseUntil', '=', p.leaseUntil),
);

/** Records a failed run and keeps the timer leased until `retryAt`, when it is due again. */
export async function failTimer(db: Kysely<Database>, timer: Pick<TimersTable, 'id' | 'leaseOwner'>, error: string, retryAt: Date): Promise<void> {
  await db
    .updateTable('timers')
    .set({ lastError: error.slice(0, 2000), leaseUntil: retryAt.toISOString() })
    .where('id', '=', timer.id)
    .where('leaseOwner', '=', timer.leaseOwner ?? '')
    .execute();
}
