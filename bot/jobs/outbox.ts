import { PostgresAdapter, sql } from 'kysely';
import type { Kysely } from 'kysely';
import { newId, type Tx } from '../context';
import type { Dialect } from '../store/db';
import { insertRows, prepared, preparedPerCount } from '../store/prepared';
import type { Database, OutboxDeliveriesTable, OutboxEventsTable } from '../store/schema';

/**
 * The outbox: an event is written in the transaction of the change it reports, with one delivery
 * row per consumer subscribed to its type, so a change is never without its events nor an event
 * without its change. Consumers (the Teams notifier, the directory provisioner) handle deliveries
 * afterwards, each one once (see `JobRunner`).
 */
export interface DomainEvent {
  type: string;
  /** The object the event is about (a request, an assignment, a guest); for ordering and lookups. */
  subjectId: string;
  payload: Record<string, unknown>;
}

/** Which consumer wants which event types. */
export type Subscriptions = Readonly<Record<string, readonly string[]>>;

/** Writes `event` and its deliveries inside the caller's transaction. Returns the event id. */
export async function emitEvent(tx: Tx | Kysely<Database>, event: DomainEvent, options: { now: Date; subscriptions: Subscriptions }): Promise<string> {
  const id = newId();
  const now = options.now.toISOString();
  const consumers = Object.entries(options.subscriptions)
    .filter(([, types]) => types.includes(event.type))
    .map(([consumer]) => consumer);
  if (consumers.length > 0 && consumers.length <= maxConsumersInOneStatement && tx.getExecutor().adapter instanceof PostgresAdapter) {
    // PostgreSQL: the event and its deliveries in one statement, one round trip instead of two.
    const params: Record<string, string> = { id, type: event.type, subjectId: event.subjectId, payload: JSON.stringify(event.payload), now };
    consumers.forEach((consumer, k) => (params[`consumer${k}`] = consumer));
    await eventWithDeliveries(consumers.length).run(tx, params);
    return id;
  }
  await insertRows(tx, 'outbox_events', [{ id, type: event.type, subjectId: event.subjectId, payload: JSON.stringify(event.payload), createdDateTime: now }]);
  if (consumers.length > 0) {
    await insertRows(
      tx,
      'outbox_deliveries',
      consumers.map((consumer) => ({ eventId: id, consumer, state: 'pending' as const, availableAt: now, attempts: 0, leaseOwner: null, leaseUntil: null, lastError: null, handledDateTime: null })),
    );
  }
  return id;
}

const maxConsumersInOneStatement = 4;
// `with e as (insert into outbox_events … returning id) insert into outbox_deliveries select … from e`, one row per
// consumer, compiled once per number of consumers (PostgreSQL only: SQLite has no INSERT in WITH). The constants are
// literals: a parameter in a select list would reach PostgreSQL as text, not as the column's type.
const eventWithDeliveries = preparedPerCount(maxConsumersInOneStatement, (count) => (db: Kysely<Database>, p: Record<string, string>) =>
  db
    .with('e', (w) => w.insertInto('outbox_events').values({ id: p.id, type: p.type, subjectId: p.subjectId, payload: p.payload, createdDateTime: p.now }).returning('id'))
    .insertInto('outbox_deliveries')
    .columns(['eventId', 'consumer', 'state', 'availableAt', 'attempts', 'leaseOwner', 'leaseUntil', 'lastError', 'handledDateTime'])
    .expression((eb) => {
      const delivery = (k: number) =>
        eb
          .selectFrom('e')
          .select([
            'e.id as eventId',
            eb.val(p[`consumer${k}`]).as('consumer'),
            sql.lit('pending').as('state'),
            eb.val(p.now).as('availableAt'),
            sql.lit(0).as('attempts'),
            sql<null>`null`.as('leaseOwner'),
            sql<null>`null`.as('leaseUntil'),
            sql<null>`null`.as('lastError'),
            sql<null>`null`.as('handledDateTime'),
          ]);
      let rows = delivery(0);
      for (let k = 1; k < count; k++) rows = rows.unionAll(delivery(k));
      return rows;
    }),
);

export type ClaimedDelivery = OutboxDeliveriesTable & { event: OutboxEventsTable };

/** Claims up to `limit` pending deliveries for the given consumers, like `claimDueTimers`. */
export async function claimDeliveries(
  db: Kysely<Database>,
  dialect: Dialect,
  options: { consumers: readonly string[]; owner: string; now: Date; leaseMs: number; limit: number },
): Promise<ClaimedDelivery[]> {
  if (options.consumers.length === 0) return [];
  const now = options.now.toISOString();
  const until = new Date(options.now.getTime() + options.leaseMs).toISOString();
  const skipLocked = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  // A row value keeps the composite key indexable on both databases (concatenating it would scan the table).
  const { rows } = await sql<OutboxDeliveriesTable>`
    update ${sql.table('outbox_deliveries')}
       set ${sql.ref('leaseOwner')} = ${options.owner}, ${sql.ref('leaseUntil')} = ${until}, ${sql.ref('attempts')} = ${sql.ref('attempts')} + 1
     where (${sql.ref('eventId')}, ${sql.ref('consumer')}) in (
       select ${sql.ref('eventId')}, ${sql.ref('consumer')} from ${sql.table('outbox_deliveries')}
        where ${sql.ref('state')} = 'pending' and ${sql.ref('availableAt')} <= ${now}
          and (${sql.ref('leaseUntil')} is null or ${sql.ref('leaseUntil')} <= ${now})
          and ${sql.ref('consumer')} in (${sql.join(options.consumers)})
        order by ${sql.ref('availableAt')}, ${sql.ref('eventId')}
        limit ${options.limit} ${skipLocked})
    returning *`.execute(db);
  if (rows.length === 0) return [];
  // UPDATE … RETURNING gives the rows in no particular order: in the claim's order, a subject's
  // deliveries are handled in the order they were written.
  rows.sort((a, b) => compare(a.availableAt, b.availableAt) || compare(a.eventId, b.eventId));
  const events = await db
    .selectFrom('outbox_events')
    .selectAll()
    .where('id', 'in', [...new Set(rows.map((r) => r.eventId))])
    .execute();
  const byId = new Map(events.map((e) => [e.id, e]));
  return rows.flatMap((row) => {
    const event = byId.get(row.eventId);
    return event ? [{ ...row, event }] : [];
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Marks a claimed delivery handled inside the consumer's transaction, only while the claim is ours. */
export async function completeDelivery(tx: Tx, delivery: Pick<OutboxDeliveriesTable, 'eventId' | 'consumer' | 'leaseOwner' | 'leaseUntil'>, now: Date): Promise<boolean> {
  if (!delivery.leaseOwner || !delivery.leaseUntil) return false;
  const changed = await completeDeliveryQuery.run(tx, { eventId: delivery.eventId, consumer: delivery.consumer, leaseOwner: delivery.leaseOwner, leaseUntil: delivery.leaseUntil, now: now.toISOString() });
  return changed === 1;
}

const completeDeliveryQuery = prepared((db, p: { eventId: string; consumer: string; leaseOwner: string; leaseUntil: string; now: string }) =>
  db
    .updateTable('outbox_deliveries')
    .set({ state: 'done', handledDateTime: p.now, leaseOwner: null, leaseUntil: null })
    .where('eventId', '=', p.eventId)
    .where('consumer', '=', p.consumer)
    .where('state', '=', 'pending')
    .where('leaseOwner', '=', p.leaseOwner)
    .where('leaseUntil', '=', p.leaseUntil),
);

/**
 * Marks many claimed deliveries handled in one statement, inside the transaction that handled them
 * (the runner does this after their consumers ran, instead of one `completeDelivery` each). True only
 * when every one of them was still ours; otherwise the caller must roll back and redo them one by one,
 * so a delivery another instance took over is not done twice.
 */
export async function completeDeliveries(tx: Tx, deliveries: ReadonlyArray<Pick<OutboxDeliveriesTable, 'eventId' | 'consumer' | 'leaseOwner' | 'leaseUntil'>>, now: Date): Promise<boolean> {
  if (deliveries.length === 1) return completeDelivery(tx, deliveries[0], now);
  // The deliveries of one claim share its lease; a batch holds one claim's, but any mix works.
  const byLease = new Map<string, Array<Pick<OutboxDeliveriesTable, 'eventId' | 'consumer'>>>();
  for (const d of deliveries) {
    if (!d.leaseOwner || !d.leaseUntil) return false;
    const key = JSON.stringify([d.leaseOwner, d.leaseUntil]);
    const group = byLease.get(key);
    if (group) group.push(d);
    else byLease.set(key, [d]);
  }
  let changed = 0;
  for (const [key, group] of byLease) {
    const [owner, until] = JSON.parse(key) as [string, string];
    // A list of row values: the primary key's index serves each (PostgreSQL ORs them, SQLite probes each).
    const result = await sql`
      update ${sql.table('outbox_deliveries')}
         set ${sql.ref('state')} = 'done', ${sql.ref('handledDateTime')} = ${now.toISOString()}, ${sql.ref('leaseOwner')} = null, ${sql.ref('leaseUntil')} = null
       where (${sql.ref('eventId')}, ${sql.ref('consumer')}) in (${sql.join(group.map((d) => sql`(${d.eventId}, ${d.consumer})`))})
         and ${sql.ref('state')} = 'pending' and ${sql.ref('leaseOwner')} = ${owner} and ${sql.ref('leaseUntil')} = ${until}`.execute(tx);
    changed += Number(result.numAffectedRows ?? 0n);
  }
  return changed === deliveries.length;
}

/** Records a failed attempt: retried at `retryAt`, or given up (`failed`) after `maxAttempts`. */
export async function failDelivery(db: Kysely<Database>, delivery: Pick<OutboxDeliveriesTable, 'eventId' | 'consumer' | 'leaseOwner' | 'attempts'>, error: string, retryAt: Date, maxAttempts: number): Promise<void> {
  await db
    .updateTable('outbox_deliveries')
    .set({
      lastError: error.slice(0, 2000),
      availableAt: retryAt.toISOString(),
      leaseOwner: null,
      leaseUntil: null,
      ...(delivery.attempts >= maxAttempts ? { state: 'failed' as const } : {}),
    })
    .where('eventId', '=', delivery.eventId)
    .where('consumer', '=', delivery.consumer)
    .where('leaseOwner', '=', delivery.leaseOwner ?? '')
    .execute();
}
