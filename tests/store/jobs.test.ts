import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import pino from 'pino';
import type { Clock } from '../../bot/context';
import { emitEvent } from '../../bot/jobs/outbox';
import { backoffMs, EventHandler, JobRunner, TimerHandler } from '../../bot/jobs/runner';
import { cancelTimer, claimDueTimers, completeTimer, scheduleTimer } from '../../bot/jobs/timers';
import { openStore, Store } from '../../bot/store/db';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/** A clock the test moves. */
class TestClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

const silent = pino({ level: 'silent' });
const start = new Date('2030-01-01T00:00:00.000Z');

describe(JobRunner.name, () => {
  let url: string;
  let store: Store;
  let clock: TestClock;

  beforeEach(async () => {
    url = testDatabaseUrl();
    store = await openStore(url);
    clock = new TestClock(start);
    // A side effect in the database that would show a second run: the primary key refuses it.
    await sql`create table test_marks (id text primary key, at text not null)`.execute(store.db);
  });
  afterEach(async () => {
    await store.close();
    await dropTestDatabase(url);
  });

  const mark: TimerHandler = async (timer, { tx, now }) => {
    await sql`insert into test_marks (id, at) values (${timer.subjectId}, ${now.toISOString()})`.execute(tx);
  };
  const marks = async (s: Store = store) => (await sql<{ id: string }>`select id from test_marks order by id`.execute(s.db)).rows.map((r) => r.id);
  const runner = (options: Partial<ConstructorParameters<typeof JobRunner>[0]> = {}) =>
    new JobRunner({ store, clock, log: silent, timers: { mark }, consumers: {}, intervalMs: 1000, ...options });

  it('fires a timer once when it falls due, not before', async () => {
    await scheduleTimer(store.db, { kind: 'mark', subjectId: 'a', dueAt: new Date(start.getTime() + 60_000) }, clock.now());
    const jobs = runner();
    expect(await jobs.runOnce()).toEqual({ timers: 0, deliveries: 0 });
    clock.advance(60_000);
    expect(await jobs.runOnce()).toEqual({ timers: 1, deliveries: 0 });
    expect(await jobs.runOnce()).toEqual({ timers: 0, deliveries: 0 });
    expect(await marks()).toEqual(['a']);
    expect(await store.db.selectFrom('timers').selectAll().execute()).toEqual([]);
  });

  it('moves a timer when it is scheduled again, and forgets a cancelled one', async () => {
    await scheduleTimer(store.db, { kind: 'mark', subjectId: 'moved', dueAt: new Date(start.getTime() + 1000) }, clock.now());
    await scheduleTimer(store.db, { kind: 'mark', subjectId: 'moved', dueAt: new Date(start.getTime() + 5000) }, clock.now());
    await scheduleTimer(store.db, { kind: 'mark', subjectId: 'cancelled', dueAt: new Date(start.getTime() + 1000) }, clock.now());
    await cancelTimer(store.db, 'mark', 'cancelled');
    clock.advance(2000);
    expect((await runner().runOnce()).timers).toBe(0);
    clock.advance(3000);
    expect((await runner().runOnce()).timers).toBe(1);
    expect(await marks()).toEqual(['moved']);
  });

  it('rolls back a failed run, records why, and retries after a back-off', async () => {
    let failures = 1;
    const flaky: TimerHandler = async (timer, context) => {
      await mark(timer, context);
      if (failures-- > 0) throw new Error('directory unavailable');
    };
    await scheduleTimer(store.db, { kind: 'flaky', subjectId: 'f', dueAt: start }, clock.now());
    const jobs = runner({ timers: { flaky } });
    await jobs.runOnce();
    expect(await marks()).toEqual([]);
    const [timer] = await store.db.selectFrom('timers').selectAll().execute();
    expect(timer).toMatchObject({ attempts: 1, lastError: 'Error: directory unavailable' });
    clock.advance(backoffMs(1) - 1);
    expect((await jobs.runOnce()).timers).toBe(0);
    clock.advance(1);
    expect((await jobs.runOnce()).timers).toBe(1);
    expect(await marks()).toEqual(['f']);
  });

  it('lets a handler schedule the same timer again (recurring work)', async () => {
    const recurring: TimerHandler = async (timer, context) => {
      await sql`insert into test_marks (id, at) values (${`${timer.subjectId}-${context.now.toISOString()}`}, ${context.now.toISOString()})`.execute(context.tx);
      await scheduleTimer(context.tx, { kind: 'recurring', subjectId: timer.subjectId, dueAt: new Date(context.now.getTime() + 1000) }, context.now);
    };
    await scheduleTimer(store.db, { kind: 'recurring', subjectId: 'r', dueAt: start }, clock.now());
    const jobs = runner({ timers: { recurring } });
    await jobs.runOnce();
    clock.advance(1000);
    await jobs.runOnce();
    expect(await marks()).toHaveLength(2);
    expect(await store.db.selectFrom('timers').select(['subjectId', 'dueAt']).execute()).toEqual([{ subjectId: 'r', dueAt: new Date(start.getTime() + 2000).toISOString() }]);
  });

  it('runs each of 100 due timers exactly once when instances race', async () => {
    for (let i = 0; i < 100; i++) await scheduleTimer(store.db, { kind: 'mark', subjectId: `t${String(i).padStart(3, '0')}`, dueAt: start }, clock.now());
    // On PostgreSQL the instances have their own connections; SQLite has one writer per file, so they share it.
    const postgres = store.dialect === 'postgres';
    const others = postgres ? await Promise.all([openStore(url), openStore(url)]) : [store, store];
    try {
      const instances = [store, ...others].map((s, i) => runner({ store: s, owner: `instance-${i}`, batchSize: 7 }));
      const results = await Promise.all(instances.map((r) => r.runOnce()));
      expect(results.reduce((n, r) => n + r.timers, 0)).toBe(100);
      expect(await marks()).toHaveLength(100);
      expect(await store.db.selectFrom('timers').selectAll().execute()).toEqual([]);
    } finally {
      if (postgres) await Promise.all(others.map((s) => s.close()));
    }
  });

  it('takes over the work of an instance that died, and the dead claim cannot complete it', async () => {
    await scheduleTimer(store.db, { kind: 'mark', subjectId: 'orphan', dueAt: start }, clock.now());
    const [dead] = await claimDueTimers(store.db, store.dialect, { owner: 'dead', now: clock.now(), leaseMs: 60_000, limit: 10 });
    expect(dead.leaseOwner).toBe('dead');
    expect((await runner().runOnce()).timers).toBe(0);
    clock.advance(60_001);
    expect((await runner().runOnce()).timers).toBe(1);
    expect(await marks()).toEqual(['orphan']);
    expect(await store.db.transaction().execute((tx) => completeTimer(tx, dead))).toBe(false);
  });

  it('answers a request that arrives while a large batch is pending before the batch is done (the runner yields between short transactions)', async () => {
    const count = 300;
    for (let i = 0; i < count; i++) await scheduleTimer(store.db, { kind: 'busy', subjectId: `b${String(i).padStart(3, '0')}`, dueAt: start }, clock.now());
    let done = 0;
    const busy: TimerHandler = async (timer, context) => {
      await mark(timer, context);
      done++;
      // Each item takes at least 0.5 ms, so the whole batch (≥ 150 ms) spans several of the longest
      // transactions the runner may take (20 ms): the request has turns to arrive in, even on a busy machine.
      const until = performance.now() + 0.5;
      while (performance.now() < until);
    };
    // A real HTTP server in this process that reads the same database (on SQLite: the same connection).
    const server = createServer((_req, res) => {
      sql<{ n: number }>`select count(*) as n from test_marks`.execute(store.db).then(({ rows }) => res.end(JSON.stringify({ done, marked: Number(rows[0].n) })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answered = fetch(`http://127.0.0.1:${port}/`).then((res) => res.json() as Promise<{ done: number; marked: number }>);
      const pass = runner({ timers: { busy }, batchSize: count }).runOnce();
      const seen = await answered;
      expect((await pass).timers).toBe(count);
      expect(seen.done).toBeLessThan(count);
      // It read only committed work.
      expect(seen.marked).toBeLessThanOrEqual(seen.done);
      expect(await marks()).toHaveLength(count);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does each of 200 deliveries once when two instances process them on several connections at once, subjects contending', async () => {
    // Ten subjects, each with a counter row every one of its events increments: transactions of one
    // instance's lanes and of the other instance wait for each other's rows (and may deadlock).
    await sql`create table test_counters (subject text primary key, n integer not null)`.execute(store.db);
    for (let s = 0; s < 10; s++) await sql`insert into test_counters (subject, n) values (${`s${s}`}, 0)`.execute(store.db);
    const subscriptions = { counter: ['counted'] };
    await store.db.transaction().execute(async (tx) => {
      for (let i = 0; i < 200; i++) await emitEvent(tx, { type: 'counted', subjectId: `s${i % 10}`, payload: { i } }, { now: clock.now(), subscriptions });
    });
    const count: EventHandler = async (event, { tx }) => {
      await sql`update test_counters set n = n + 1 where subject = ${event.subjectId}`.execute(tx);
      await sql`insert into test_marks (id, at) values (${event.id}, ${event.createdDateTime})`.execute(tx);
    };
    const postgres = store.dialect === 'postgres';
    const other = postgres ? await openStore(url) : store;
    try {
      const instances = [store, other].map((s, i) => runner({ store: s, owner: `instance-${i}`, consumers: { counter: count }, batchSize: 40, concurrency: 4 }));
      let handled = 0;
      // A delivery whose transaction lost a deadlock twice waits for its back-off: move the clock on.
      for (let round = 0; round < 10 && handled < 200; round++) {
        handled += (await Promise.all(instances.map((r) => r.runOnce()))).reduce((n, r) => n + r.deliveries, 0);
        clock.advance(3_600_000);
      }
      expect(await marks()).toHaveLength(200);
      const counters = await sql<{ n: number }>`select n from test_counters order by subject`.execute(store.db);
      expect(counters.rows.map((r) => Number(r.n))).toEqual(Array.from({ length: 10 }, () => 20));
      expect(await store.db.selectFrom('outbox_deliveries').select('state').where('state', '<>', 'done').execute()).toEqual([]);
    } finally {
      if (postgres) await other.close();
    }
  });

  describe('the outbox', () => {
    const subscriptions = { notifier: ['requestSubmitted', 'requestDenied'], provisioner: ['requestSubmitted'] } as const;
    const recordAs =
      (consumer: string): EventHandler =>
      async (event, { tx }) => {
        await sql`insert into test_marks (id, at) values (${`${consumer}:${event.type}:${String(event.data.n)}`}, ${event.createdDateTime})`.execute(tx);
      };

    it('writes events only with the change that emits them', async () => {
      await store.db
        .transaction()
        .execute(async (tx) => {
          await emitEvent(tx, { type: 'requestSubmitted', subjectId: 'req-1', payload: { n: 1 } }, { now: clock.now(), subscriptions });
          throw new Error('the change failed');
        })
        .catch(() => undefined);
      expect(await store.db.selectFrom('outbox_events').selectAll().execute()).toEqual([]);
      expect(await store.db.selectFrom('outbox_deliveries').selectAll().execute()).toEqual([]);
    });

    it('hands each event to each subscribed consumer once', async () => {
      const ids = await store.db.transaction().execute(async (tx) => [
        await emitEvent(tx, { type: 'requestSubmitted', subjectId: 'req-1', payload: { n: 1 } }, { now: clock.now(), subscriptions }),
        await emitEvent(tx, { type: 'requestDenied', subjectId: 'req-1', payload: { n: 2 } }, { now: clock.now(), subscriptions }),
        await emitEvent(tx, { type: 'nobodyListens', subjectId: 'req-1', payload: { n: 3 } }, { now: clock.now(), subscriptions }),
      ]);
      // The event and one pending delivery per subscribed consumer (on PostgreSQL written in one statement).
      const at = clock.now().toISOString();
      expect(await store.db.selectFrom('outbox_events').selectAll().orderBy('id').execute()).toEqual([
        { id: ids[0], type: 'requestSubmitted', subjectId: 'req-1', payload: '{"n":1}', createdDateTime: at },
        { id: ids[1], type: 'requestDenied', subjectId: 'req-1', payload: '{"n":2}', createdDateTime: at },
        { id: ids[2], type: 'nobodyListens', subjectId: 'req-1', payload: '{"n":3}', createdDateTime: at },
      ]);
      const pending = { state: 'pending', availableAt: at, attempts: 0, leaseOwner: null, leaseUntil: null, lastError: null, handledDateTime: null };
      expect(await store.db.selectFrom('outbox_deliveries').selectAll().orderBy('eventId').orderBy('consumer').execute()).toEqual([
        { eventId: ids[0], consumer: 'notifier', ...pending },
        { eventId: ids[0], consumer: 'provisioner', ...pending },
        { eventId: ids[1], consumer: 'notifier', ...pending },
      ]);
      const jobs = runner({ consumers: { notifier: recordAs('notifier'), provisioner: recordAs('provisioner') } });
      expect((await jobs.runOnce()).deliveries).toBe(3);
      expect((await jobs.runOnce()).deliveries).toBe(0);
      expect(await marks()).toEqual(['notifier:requestDenied:2', 'notifier:requestSubmitted:1', 'provisioner:requestSubmitted:1']);
    });

    it('does not do a delivery whose lease another instance took while its batch ran, and does the rest of the batch once', async () => {
      await store.db.transaction().execute(async (tx) => {
        for (let n = 1; n <= 3; n++) {
          await emitEvent(tx, { type: 'requestSubmitted', subjectId: 'req-1', payload: { n } }, { now: clock.now(), subscriptions: { notifier: ['requestSubmitted'] } });
          clock.advance(1);
        }
      });
      // Handling the first delivery hands the lease of the third to another instance (as if it ran out
      // and was claimed again) in the same transaction: the batch must not complete the third, nor keep
      // its consumer's work.
      const stealing: EventHandler = async (event, context) => {
        if (event.data.n === 1) {
          const third = await context.tx.selectFrom('outbox_events').select('id').where('payload', '=', JSON.stringify({ n: 3 })).executeTakeFirstOrThrow();
          await sql`update outbox_deliveries set "leaseOwner" = 'other-instance' where "eventId" = ${third.id}`.execute(context.tx);
        }
        await recordAs('notifier')(event, context);
      };
      const jobs = runner({ consumers: { notifier: stealing }, concurrency: 1, batchMs: 60_000, maxBatchMs: 60_000 });
      expect((await jobs.runOnce()).deliveries).toBe(3);
      expect(await marks()).toEqual(['notifier:requestSubmitted:1', 'notifier:requestSubmitted:2']);
      const rows = await store.db.selectFrom('outbox_deliveries').innerJoin('outbox_events', 'outbox_events.id', 'outbox_deliveries.eventId').select(['payload', 'state', 'leaseOwner']).orderBy('payload').execute();
      expect(rows).toEqual([
        { payload: '{"n":1}', state: 'done', leaseOwner: null },
        { payload: '{"n":2}', state: 'done', leaseOwner: null },
        { payload: '{"n":3}', state: 'pending', leaseOwner: 'other-instance' },
      ]);
    });

    it('rolls back a failing consumer, retries it, and gives up after the last attempt', async () => {
      await emitEvent(store.db, { type: 'requestSubmitted', subjectId: 'req-9', payload: { n: 9 } }, { now: clock.now(), subscriptions: { notifier: ['requestSubmitted'] } });
      const failing: EventHandler = async (event, context) => {
        await recordAs('notifier')(event, context);
        throw new Error('Teams is down');
      };
      const jobs = runner({ consumers: { notifier: failing }, maxDeliveryAttempts: 3 });
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect((await jobs.runOnce()).deliveries).toBe(1);
        clock.advance(backoffMs(attempt));
      }
      expect((await jobs.runOnce()).deliveries).toBe(0);
      expect(await marks()).toEqual([]);
      expect(await store.db.selectFrom('outbox_deliveries').select(['state', 'attempts', 'lastError']).execute()).toEqual([{ state: 'failed', attempts: 3, lastError: 'Error: Teams is down' }]);
    });
  });
});
