import type { Kysely, Transaction } from 'kysely';
import type { Principal } from './auth/principal';
import type { Database } from './store/schema';
import type { Dialect } from './store/db';

/** Time is injected so tests and jobs can move it instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What every command receives: who acts, on which database, at what time. */
export interface CommandContext {
  db: Kysely<Database>;
  dialect: Dialect;
  principal: Principal;
  clock: Clock;
  /** Correlates the audit records and logs of one request. */
  requestId: string;
  /** Base for links we hand out (direct links to packages). */
  publicUrl: string;
}

export type Tx = Transaction<Database>;

/** Runs `work` in one transaction; everything it writes lands together or not at all. */
export function inTransaction<T>(ctx: CommandContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute(work);
}

/** A new object id, in Graph's GUID form. */
export { randomUUID as newId } from 'node:crypto';
