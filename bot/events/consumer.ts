import type { EventHandler } from '../jobs/runner';
import type { EventType } from './types';

/**
 * A consumer of the outbox: the event types it wants and how it handles one. The in-process
 * dispatcher is `JobRunner`: it hands each event to each subscribed consumer once, inside a
 * transaction that also marks the delivery done — so what a handler writes to the database happens
 * exactly once, even across a crash; effects outside the database must be idempotent by event id.
 */
export interface EventConsumer {
  types: readonly EventType[];
  handle: EventHandler;
}
