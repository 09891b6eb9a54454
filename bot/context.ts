import type { Kysely, Transaction } from 'kysely';
import type { Principal } from './auth/principal';
import type { Database } from './store/schema';
import type { Dialect } from './store/db';
import type { Subscriptions } from './jobs/outbox';
import { transact } from './store/groupCommit';

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
  // SQLite: committed together with the other commands waiting for the connection (store/groupCommit.ts).
  return transact(ctx.db, work);
}

import { randomFillSync, randomUUID } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;
/** The millisecond of the last id made, and the counter within it (see `newId`). */
let lastMs = 0;
let sequence = 0;

/**
 * A new object id in Graph's GUID form: a UUID version 7 (RFC 9562), whose first 48 bits are the
 * time in milliseconds. Ids made one after the other sort together, so rows of append-mostly tables
 * (audit, outbox, timers, requests) land at the end of their B-tree instead of on a random page —
 * several times fewer pages written when thousands are inserted at once (an expiry sweep).
 *
 * Within this process they also sort in the order they were made, in the same millisecond too (RFC 9562
 * §6.2, method 1: the 12 bits after the version count up from a random start; past 4,095 the time moves on a
 * millisecond, and it never goes back with the clock). What is ordered by (time, id) — an event's deliveries,
 * a person's notices — then keeps the order it was written in: "approved" before "you now have access".
 */
export function newId(): `${string}-${string}-${string}-${string}-${string}` {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // A random start below the middle: the counter has room to go up, and ids stay hard to guess.
    sequence = ((bytes[6] << 8) | bytes[7]) & 0x7ff;
  } else if (++sequence > 0xfff) {
    lastMs++;
    sequence = 0;
  }
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (sequence >>> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
