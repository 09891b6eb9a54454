import type { CommandContext, Tx } from '../context';
import { emitEvent } from '../jobs/outbox';
import type { EventType } from './types';

/** Writes an event of the documented list in the caller's transaction (see bot/events/types.ts). */
export function emit(tx: Tx, ctx: CommandContext, type: EventType, subjectId: string, payload: Record<string, unknown>): Promise<string> {
  return emitEvent(tx, { type, subjectId, payload }, { now: ctx.clock.now(), subscriptions: ctx.subscriptions });
}
