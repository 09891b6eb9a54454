import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock, Tx } from '../context';
import type { Store } from '../store/db';
import type { OutboxEventsTable, TimersTable } from '../store/schema';
import { DomainError } from '../domain/errors';
import { claimDeliveries, completeDeliveries, completeDelivery, emitEvent, failDelivery, type Subscriptions } from './outbox';
import { claimDueTimers, completeTimer, failTimer } from './timers';

/** Does the work of one due timer inside `tx`; throwing rolls it back and retries later. */
export type TimerHandler = (timer: TimersTable & { data: Record<string, unknown> }, context: { tx: Tx; now: Date }) => Promise<void>;

/**
 * Ends the item of a timer that failed for good (see `JobRunner`), inside `tx`: e.g. a delivery ends
 * `deliveryFailed` with its event instead of staying `delivering`.
 */
export type TimerAbandonHandler = (timer: TimersTable & { data: Record<string, unknown> }, reason: string, context: { tx: Tx; now: Date }) => Promise<void>;

/** Handles one event for one consumer inside `tx`; side effects outside the database must be idempotent by event id. */
export type EventHandler = (event: OutboxEventsTable & { data: Record<string, unknown> }, context: { tx: Tx; now: Date }) => Promise<void>;

export interface JobRunnerOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  timers: Readonly<Record<string, TimerHandler>>;
  consumers: Readonly<Record<string, EventHandler>>;
  /**
   * Work outside the database run after timers and deliveries in each pass (the Teams notice
   * sender): each claims its own rows with leases and returns how many it handled.
   */
  workers?: ReadonlyArray<() => Promise<number>>;
  /** Per timer kind: how its item ends when the timer fails for good. */
  abandon?: Readonly<Record<string, TimerAbandonHandler>>;
  /** Who hears of `timer.failed`. */
  subscriptions?: Subscriptions;
  /** Attempts after which a failing timer is given up (default 20: about a day of back-off). */
  maxTimerAttempts?: number;
  intervalMs: number;
  /** How long a claim holds before another instance may take the work over. */
  leaseMs?: number;
  batchSize?: number;
  maxDeliveryAttempts?: number;
  /**
   * How long one transaction keeps taking claimed items (ms). Default: 5 on SQLite, whose one
   * connection the HTTP requests wait for meanwhile; 50 on PostgreSQL, where it holds row locks.
   */
  batchMs?: number;
  /**
   * The longest a transaction takes items when others waited for the connection before it (ms): a
   * transaction may take as long as the others held the connection, up to this. Default: 5 on SQLite,
   * whose synchronous statements keep the event loop for the whole transaction (a request that arrives
   * meanwhile is not even read; with 20 ms, decided → delivered took 3× as long and the invokes' tails
   * grew); 20 on PostgreSQL, where `batchMs` (50) is the longer.
   */
  maxBatchMs?: number;
  /**
   * PostgreSQL: how many transactions of claimed items run at once, each on its own pool connection
   * (default 4; the server passes `runnerLanes` of its pool size). SQLite has one connection: always 1.
   */
  concurrency?: number;
  /** Identifies this instance in leases; unique per process by default. */
  owner?: string;
}

/**
 * PostgreSQL: how many transactions of claimed items the runner runs at once, for a pool of `poolSize`
 * connections: half of them, at most 8, so requests keep the other half. (Scale-out bench, one instance,
 * pool of 20: 8 lanes processed 206 → 221–236 submits/s and delivered 154 → 173–176/s against 4.)
 */
export function runnerLanes(poolSize: number): number {
  return Math.max(1, Math.min(8, Math.floor(poolSize / 2)));
}

/** Retry delay after the n-th failed attempt: 1 s, 2 s, 4 s … at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(3_600_000, 1000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Runs due timers and delivers outbox events, in every instance at once: claims are leases in the
 * database, and each piece of work completes in the same transaction that removes its claim, so it
 * happens once even when instances race or die half-way (the lease then runs out and another
 * instance takes over).
 */
export class JobRunner {
  private readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private again = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  /** Polls every `intervalMs` until `stop()`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setTimeout(this.tick, this.options.intervalMs);
  }

  private readonly tick = (): void => {
    if (this.stopped || this.running) return;
    this.again = false;
    this.running = this.runOnce()
      // A pass that stopped at its bound with work left goes on at once, not after the interval.
      .then(() => {
        if (this.workLeft) this.again = true;
      })
      .catch((error: unknown) => this.options.log.error({ err: error }, 'job run failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(this.tick, this.again ? 0 : this.options.intervalMs);
      });
  };

  /**
   * Runs a pass as soon as possible (work was just committed that is due now): at once when idle,
   * right after the current pass otherwise. Several wakes in a row coalesce into one pass.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One pass: every due timer and pending delivery this instance can claim. Returns how many ran.
   * Passes of one runner never overlap: a call made while the background pass runs waits for it and
   * then runs its own (tests rely on this to see everything that is due done when it returns).
   */
  runOnce(): Promise<{ timers: number; deliveries: number }> {
    const pass = this.chain.then(() => this.pass());
    this.chain = pass.catch(() => undefined);
    return pass;
  }

  private chain: Promise<unknown> = Promise.resolve();
  /** The last pass stopped at its bound while there was still work. */
  private workLeft = false;

  private async pass(): Promise<{ timers: number; deliveries: number }> {
    let timers = 0;
    let deliveries = 0;
    // Bounded, so a handler that keeps scheduling work due at once cannot hold the loop forever
    // (`workLeft`: the bound was reached while there was still work; the background loop goes on at once).
    this.workLeft = false;
    for (let pass = 0; pass < 20; pass++) {
      const ranTimers = await this.runTimers();
      const ranDeliveries = await this.runDeliveries();
      const ranWorkers = await this.runWorkers();
      timers += ranTimers;
      deliveries += ranDeliveries;
      if (ranTimers === 0 && ranDeliveries === 0 && ranWorkers === 0) return { timers, deliveries };
    }
    this.workLeft = true;
    return { timers, deliveries };
  }

  private async runWorkers(): Promise<number> {
    let ran = 0;
    for (const worker of this.options.workers ?? []) {
      try {
        ran += await worker();
      } catch (error) {
        // A worker records its own failures per item; this is a failure to even claim (database down).
        this.options.log.error({ err: error }, 'job worker failed');
      }
    }
    return ran;
  }

  private async runTimers(): Promise<number> {
    const { store, clock, log } = this.options;
    const claimed = await claimDueTimers(store.db, store.dialect, { owner: this.owner, now: clock.now(), leaseMs: this.options.leaseMs ?? 60_000, limit: this.options.batchSize ?? 50 });
    await this.inBatches(
      claimed,
      (timer) => timer.subjectId,
      {
        // Each claim is removed first, one statement each: the handler may schedule the same kind for
        // the same subject again, or move or cancel another timer of the batch (which then is not run).
        complete: (timer, tx) => completeTimer(tx, timer),
        handle: async (timer, tx) => {
          const handler = this.options.timers[timer.kind];
          if (!handler) throw new Error(`no handler for timer kind '${timer.kind}'`);
          await handler({ ...timer, data: JSON.parse(timer.payload) as Record<string, unknown> }, { tx, now: clock.now() });
        },
      },
      async (timer, error) => {
        if (isPermanentFailure(error) || timer.attempts >= (this.options.maxTimerAttempts ?? 20)) {
          await this.abandonTimer(timer, error);
          return;
        }
        log.warn({ err: error, timer: { id: timer.id, kind: timer.kind, subjectId: timer.subjectId, attempts: timer.attempts } }, 'timer failed; it will be retried');
        await failTimer(store.db, timer, describe(error), new Date(clock.now().getTime() + backoffMs(timer.attempts)));
      },
    );
    return claimed.length;
  }

  /**
   * Gives a failing timer up: removes it, lets its kind end the item failed, and emits `timer.failed`,
   * in one transaction. Should the kind's own ending fail too, the timer is still removed with its event.
   */
  private async abandonTimer(timer: TimersTable, error: unknown): Promise<void> {
    const { store, clock, log } = this.options;
    const reason = describe(error);
    log.error({ err: error, timer: { id: timer.id, kind: timer.kind, subjectId: timer.subjectId, attempts: timer.attempts } }, 'timer failed for good; it is given up');
    const giveUp = (withHandler: boolean) =>
      store.db.transaction().execute(async (tx) => {
        if (!(await completeTimer(tx, timer))) return;
        const now = clock.now();
        const handler = withHandler ? this.options.abandon?.[timer.kind] : undefined;
        if (handler) await handler({ ...timer, data: parsePayload(timer.payload) }, reason, { tx, now });
        await emitEvent(tx, { type: 'timer.failed', subjectId: timer.subjectId, payload: { kind: timer.kind, subjectId: timer.subjectId, error: reason, attempts: timer.attempts } }, { now, subscriptions: this.options.subscriptions ?? {} });
      });
    try {
      await giveUp(true);
    } catch (handlerError) {
      log.error({ err: handlerError, timer: { id: timer.id, kind: timer.kind } }, 'ending the item of a failed timer failed; the timer is given up without it');
      await giveUp(false);
    }
  }

  private async runDeliveries(): Promise<number> {
    const { store, clock, log } = this.options;
    const claimed = await claimDeliveries(store.db, store.dialect, {
      consumers: Object.keys(this.options.consumers),
      owner: this.owner,
      now: clock.now(),
      leaseMs: this.options.leaseMs ?? 60_000,
      limit: this.options.batchSize ?? 50,
    });
    await this.inBatches(
      claimed,
      (delivery) => delivery.event.subjectId,
      {
        complete: (delivery, tx) => completeDelivery(tx, delivery, clock.now()),
        // A consumer never touches delivery rows: the claims of a transaction's deliveries are removed
        // together after their consumers ran, one statement for the batch.
        completeAll: (deliveries, tx) => completeDeliveries(tx, deliveries, clock.now()),
        handle: (delivery, tx) => this.options.consumers[delivery.consumer]({ ...delivery.event, data: JSON.parse(delivery.event.payload) as Record<string, unknown> }, { tx, now: clock.now() }),
      },
      async (delivery, error) => {
        log.warn({ err: error, delivery: { eventId: delivery.eventId, consumer: delivery.consumer, type: delivery.event.type, attempts: delivery.attempts } }, 'event handler failed; it will be retried');
        await failDelivery(store.db, delivery, describe(error), new Date(clock.now().getTime() + backoffMs(delivery.attempts)), this.options.maxDeliveryAttempts ?? 10);
      },
    );
    return claimed.length;
  }

  /**
   * Does claimed work many items to a transaction: a commit costs more than most items (SQLite
   * writes its WAL, PostgreSQL flushes), so one commit serves many. A transaction takes items for at
   * most `batchMs`, then the runner yields to the event loop before the next one: on SQLite the
   * HTTP requests share the one connection, and a request that arrived meanwhile runs between two
   * transactions instead of waiting for the whole batch. On PostgreSQL the items are dealt to up to
   * `concurrency` lanes by subject (a subject's items stay in order in one lane), each lane running
   * its transactions on its own pool connection, so round trips of different items overlap.
   * Should an item fail, the whole transaction is rolled back and its items are redone one
   * transaction each, so only the failing item is retried later. (An item whose lease was lost
   * writes nothing: its first statement is the conditional completion. With `completeAll` the claims
   * of a transaction's items are removed in one statement before it commits; should one of them have
   * been lost, the transaction is rolled back and its items redone one each, claim first.)
   */
  private async inBatches<T>(items: readonly T[], subjectOf: (item: T) => string, work: BatchWork<T>, failed: (item: T, error: unknown) => Promise<void>): Promise<void> {
    if (items.length === 0) return;
    const postgres = this.options.store.dialect === 'postgres';
    const lanes = postgres ? Math.max(1, Math.min(this.options.concurrency ?? 4, items.length)) : 1;
    if (lanes === 1) return this.inLane(items, work, failed);
    const dealt = Array.from({ length: lanes }, () => [] as T[]);
    for (const item of items) dealt[laneOf(subjectOf(item), lanes)].push(item);
    await Promise.all(dealt.filter((lane) => lane.length > 0).map((lane) => this.inLane(lane, work, failed)));
  }

  /** One lane of `inBatches`: its items in order, as many to a transaction as `batchMs` allows. */
  private async inLane<T>(items: readonly T[], work: BatchWork<T>, failed: (item: T, error: unknown) => Promise<void>): Promise<void> {
    const { store } = this.options;
    const batchMs = this.options.batchMs ?? (store.dialect === 'postgres' ? 50 : 5);
    const maxBatchMs = Math.max(batchMs, this.options.maxBatchMs ?? (store.dialect === 'postgres' ? 20 : 5));
    let next = 0;
    while (next < items.length) {
      if (next > 0) await yieldToEventLoop();
      const first = next;
      const asked = performance.now();
      try {
        await store.db.transaction().execute(async (tx) => {
          // As long as others held the connection since our last transaction, but at least `batchMs` and
          // at most `maxBatchMs`: under load the runner gets about half the connection's time and keeps
          // up with the requests that make its work, and no request waits for it longer than the cap.
          // (SQLite's defaults make both 5 ms: a fixed budget, since a transaction there holds the event loop.)
          const started = performance.now();
          const budget = Math.min(maxBatchMs, Math.max(batchMs, started - asked));
          const handled: T[] = [];
          while (next < items.length && (next === first || performance.now() - started < budget)) {
            try {
              if (work.completeAll) {
                await work.handle(items[next], tx);
                handled.push(items[next]);
              } else {
                await doItem(work, items[next], tx);
              }
            } catch (error) {
              if (!(error instanceof LeaseLostError)) throw new BatchItemFailed(next, error);
            }
            next++;
          }
          if (work.completeAll && handled.length > 0 && !(await work.completeAll(handled, tx))) throw new LeaseLostError();
        });
      } catch (error) {
        // The batch was rolled back: the items before the failing one are redone one transaction each,
        // the failing one is recorded as failed (retried after its back-off); a failed commit redoes all.
        // A deadlock or serialization failure is no fault of the item it hit (another transaction
        // took the rows first): that item is redone too.
        const itemFailed = error instanceof BatchItemFailed ? error : undefined;
        const failing = itemFailed && !isTransientConflict(itemFailed.cause) ? itemFailed.index : -1;
        const redo = items.slice(first, itemFailed ? itemFailed.index + (failing >= 0 ? 0 : 1) : next);
        for (const item of redo) {
          await yieldToEventLoop();
          try {
            await store.db.transaction().execute((tx) => doItem(work, item, tx));
          } catch (itemError) {
            if (!(itemError instanceof LeaseLostError)) await failed(item, itemError);
          }
        }
        if (itemFailed) {
          if (failing >= 0) await failed(items[failing], itemFailed.cause);
          next = itemFailed.index + 1;
        }
      }
    }
  }
}

/** The work on claimed items of one kind, for `inBatches`. */
interface BatchWork<T> {
  /** Removes the claim of one item inside `tx`; false when its lease was lost (it is then skipped). */
  complete: (item: T, tx: Tx) => Promise<boolean>;
  /**
   * Removes the claims of many handled items in one statement, when `handle` never touches the claims
   * of other items; false when any of them was lost.
   */
  completeAll?: (items: T[], tx: Tx) => Promise<boolean>;
  /** Does the item's work inside `tx`; throwing rolls it back and the item is retried later. */
  handle: (item: T, tx: Tx) => Promise<void>;
}

/** One item on its own: its claim removed first, then its work. */
async function doItem<T>(work: BatchWork<T>, item: T, tx: Tx): Promise<void> {
  if (!(await work.complete(item, tx))) throw new LeaseLostError();
  await work.handle(item, tx);
}

/** Lets I/O callbacks waiting in the event loop (HTTP requests) run before the next transaction. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The lane of a subject: the same subject always in the same lane (FNV-1a of its id). */
function laneOf(subject: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < subject.length; i++) hash = Math.imul(hash ^ subject.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

/** PostgreSQL's deadlock_detected and serialization_failure: retrying the same work may pass at once. */
function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** An item of a batch failed: the batch is rolled back and redone without it. */
class BatchItemFailed extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super('a batch item failed');
  }
}

/** Another instance took the work over after our lease ran out; it does the work, we roll back. */
class LeaseLostError extends Error {}

/**
 * Errors that retrying cannot fix: arithmetic out of range (a date beyond year 275760), malformed
 * stored JSON, a rule of the domain. Anything else (a busy or lost database, a directory that does not
 * answer) may pass and is retried with back-off.
 */
function isPermanentFailure(error: unknown): boolean {
  return error instanceof RangeError || error instanceof SyntaxError || error instanceof DomainError;
}

function parsePayload(payload: string): Record<string, unknown> {
  try {
    return JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
