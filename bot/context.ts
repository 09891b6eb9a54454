import type { Kysely, Transaction } from 'kysely';
import type { Principal } from './auth/principal';
import type { Database } from './store/schema';
import type { Dialect } from './store/db';
import type { Subscriptions } from './jobs/outbox';

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
  /** Which consumer takes which event type (see bot/events): events are written with their deliveries. */
  subscriptions: Subscriptions;
  /** Asks the job runner for a pass right after the commit (work due now: processing, delivery). */
  wake: () => void;
}

/** The principal of work Portier does by itself (timers, processing): audited as "Entitlement Management". */
export const systemPrincipal: Principal = {
  userId: null,
  userType: 'System',
  displayName: 'Entitlement Management',
  userPrincipalName: 'entitlement-management',
  mail: null,
  tenantId: '',
  homeObjectId: '',
  directoryRoleIds: [],
  entitlementRoles: [],
};

/** What background work needs to build its command context. */
export interface EngineDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  publicUrl: string;
  subscriptions: Subscriptions;
  wake: () => void;
}

/** A command context acting as the system, for timers and event handlers (`db` may be their transaction). */
export function systemContext(deps: EngineDeps, requestId: string = randomUUID(), db: Kysely<Database> = deps.db): CommandContext {
  return { db, dialect: deps.dialect, principal: systemPrincipal, clock: deps.clock, requestId, publicUrl: deps.publicUrl, subscriptions: deps.subscriptions, wake: deps.wake };
}

export type Tx = Transaction<Database>;

/** Runs `work` in one transaction; everything it writes lands together or not at all. */
export function inTransaction<T>(ctx: CommandContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute(work);
}

/** A new object id, in Graph's GUID form. */
export { randomUUID as newId } from 'node:crypto';
import { randomUUID } from 'node:crypto';
