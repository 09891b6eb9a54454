import type { Kysely } from 'kysely';
import type { CommandContext, Tx } from '../../context';
import { newId } from '../../context';
import type { EventType } from '../../events/types';
import type { Database, EntitlementSettingsTable } from '../../store/schema';
import { durationToMilliseconds } from '../policies/durations';

/**
 * What the external user lifecycle shares: its timer kinds, its delays, who a governed guest is and
 * who sponsors them. DESIGN §1 step 12 and §5 "External user lifecycle"; the moments are documented
 * in docs/EVENTS.md.
 */
type Db = Kysely<Database> | Tx;

/** Timer kinds of the lifecycle; each one's subject is the guest's directory user id. */
export const guestTimerKinds = { block: 'guest.block', warnDelete: 'guest.warnDelete', delete: 'guest.delete' } as const;
export const allGuestTimerKinds: readonly string[] = Object.values(guestTimerKinds);

const day = 24 * 3600 * 1000;

/**
 * How long a governed guest who lost their last assignment is warned before sign-in is blocked, and
 * how long before deletion the deletion warning goes out: one day, or half of the deletion delay
 * when that is shorter (a demo with `PT10M` warns 5 minutes ahead). Entra blocks at once and warns
 * nobody; Portier gives the guest and the sponsors this window to ask for access again.
 */
export function warningPeriodMs(settings: Pick<EntitlementSettingsTable, 'durationUntilExternalUserDeletedAfterBlocked'>): number {
  return Math.min(day, Math.floor(deletionDelayMs(settings) / 2));
}

export function deletionDelayMs(settings: Pick<EntitlementSettingsTable, 'durationUntilExternalUserDeletedAfterBlocked'>): number {
  try {
    return durationToMilliseconds(settings.durationUntilExternalUserDeletedAfterBlocked);
  } catch {
    // A value stored before validation existed; Entra's default.
    return 30 * day;
  }
}

/** True when the settings block guests at all (`none`, and values we do not know, do nothing). */
export function blocksGuests(settings: Pick<EntitlementSettingsTable, 'externalUserLifecycleAction'>): boolean {
  return settings.externalUserLifecycleAction === 'blockSignIn' || settings.externalUserLifecycleAction === 'blockSignInAndDelete';
}

export function deletesGuests(settings: Pick<EntitlementSettingsTable, 'externalUserLifecycleAction'>): boolean {
  return settings.externalUserLifecycleAction === 'blockSignInAndDelete';
}

/** A guest the lifecycle applies to: a `governed` subject bound to a directory guest. */
export interface GovernedGuest {
  userId: string;
  subjectId: string;
  displayName: string;
  connectedOrganizationId: string | null;
  accountEnabled: number;
  blockedDateTime: string | null;
  /** Whether any assignment of the subject is still active (delivering or delivered). */
  hasActiveAssignment: boolean;
}

/** The governed guest with directory id `userId`, or undefined when the lifecycle does not apply to them (member, notGoverned, gone). */
export async function loadGovernedGuest(db: Db, userId: string): Promise<GovernedGuest | undefined> {
  const row = await db
    .selectFrom('subjects as s')
    .innerJoin('users as u', 'u.id', 's.objectId')
    .select(['u.id as userId', 's.id as subjectId', 'u.displayName', 's.connectedOrganizationId', 'u.accountEnabled', 'u.blockedDateTime'])
    .select((eb) => eb.exists(eb.selectFrom('assignments as a').select('a.id').whereRef('a.targetId', '=', 's.id').where('a.activeKey', 'is not', null)).as('active'))
    .where('u.id', '=', userId)
    .where('s.subjectLifecycle', '=', 'governed')
    .where('u.userType', '=', 'Guest')
    .executeTakeFirst();
  if (!row) return undefined;
  const { active, ...guest } = row;
  // SQLite answers exists() with 0/1, PostgreSQL with a boolean.
  return { ...guest, hasActiveAssignment: active === true || Number(active) === 1 };
}

/**
 * The sponsors of each guest: their own sponsors (`user_sponsors`) and the internal sponsors of their
 * connected organization (users, and the members of sponsoring groups). Three queries whatever the number of guests.
 */
export async function sponsorsOf(db: Db, guests: ReadonlyArray<Pick<GovernedGuest, 'userId' | 'connectedOrganizationId'>>): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(guests.map((g) => [g.userId, []]));
  if (guests.length === 0) return result;
  const own = await db.selectFrom('user_sponsors').select(['userId', 'sponsorId']).where('userId', 'in', guests.map((g) => g.userId)).execute();
  const organizationIds = [...new Set(guests.flatMap((g) => (g.connectedOrganizationId ? [g.connectedOrganizationId] : [])))];
  const internal =
    organizationIds.length === 0
      ? []
      : await db
          .selectFrom('connected_organization_sponsors')
          .select(['connectedOrganizationId', 'sponsorId'])
          .where('connectedOrganizationId', 'in', organizationIds)
          .where('kind', '=', 'internal')
          .execute();
  const throughGroups =
    organizationIds.length === 0
      ? []
      : await db
          .selectFrom('connected_organization_group_sponsors as s')
          .innerJoin('group_members as m', 'm.groupId', 's.groupId')
          .select(['s.connectedOrganizationId as connectedOrganizationId', 'm.memberId as sponsorId'])
          .where('s.connectedOrganizationId', 'in', organizationIds)
          .where('s.kind', '=', 'internal')
          .execute();
  for (const guest of guests) {
    const ids = new Set<string>();
    for (const s of own) if (s.userId === guest.userId) ids.add(s.sponsorId);
    for (const s of [...internal, ...throughGroups]) if (s.connectedOrganizationId === guest.connectedOrganizationId) ids.add(s.sponsorId);
    ids.delete(guest.userId);
    result.set(guest.userId, [...ids].sort());
  }
  return result;
}

/** Splits `items` into slices of at most `size`, to keep statements under the parameter limits of both dialects. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

// Set-based timers moved to jobs/ (where `scheduleTimer` lives); re-exported for the guest lifecycle.
export { scheduleTimers } from '../../jobs/timers';

/**
 * Writes many events of the documented list with their deliveries, in the caller's transaction:
 * the set-based form of `emit` (bot/events/emit.ts) for the same rows.
 */
export async function emitMany(tx: Tx, ctx: CommandContext, events: ReadonlyArray<{ type: EventType; subjectId: string; payload: Record<string, unknown> }>): Promise<void> {
  const now = ctx.clock.now().toISOString();
  for (const chunk of chunked(events, 500)) {
    const rows = chunk.map((e) => ({ id: newId(), type: e.type, subjectId: e.subjectId, payload: JSON.stringify(e.payload), createdDateTime: now }));
    await tx.insertInto('outbox_events').values(rows).execute();
    const deliveries = rows.flatMap((row) =>
      Object.entries(ctx.subscriptions)
        .filter(([, types]) => types.includes(row.type))
        .map(([consumer]) => ({ eventId: row.id, consumer, state: 'pending' as const, availableAt: now, attempts: 0, leaseOwner: null, leaseUntil: null, lastError: null, handledDateTime: null })),
    );
    for (const slice of chunked(deliveries, 500)) await tx.insertInto('outbox_deliveries').values(slice).execute();
  }
}
