import { durationToMilliseconds } from '../policies/durations';

/** `expirationPattern` as stored in policies and schedules. */
export interface Expiration {
  type: 'notSpecified' | 'noExpiration' | 'afterDateTime' | 'afterDuration';
  endDateTime?: string | null;
  duration?: string | null;
}

export interface Schedule {
  startDateTime?: string | null;
  expiration?: Expiration | null;
  recurrence?: unknown;
}

/** When an assignment that starts at `start` ends under `expiration`; null for never. */
export function endOf(expiration: Expiration | null | undefined, start: Date): Date | null {
  if (!expiration) return null;
  if (expiration.type === 'afterDuration' && expiration.duration) return new Date(start.getTime() + durationToMilliseconds(expiration.duration));
  if (expiration.type === 'afterDateTime' && expiration.endDateTime) return new Date(expiration.endDateTime);
  return null;
}

/**
 * The end of an assignment starting at `start`: the requested expiration when there is one, but
 * never later than the policy allows.
 */
export function assignmentEnd(policyExpiration: Expiration | null | undefined, requested: Expiration | null | undefined, start: Date): Date | null {
  const policyEnd = endOf(policyExpiration, start);
  const requestedEnd = requested && requested.type !== 'notSpecified' ? endOf(requested, start) : undefined;
  if (requestedEnd === undefined) return policyEnd;
  if (requestedEnd === null) return policyEnd;
  if (policyEnd === null) return requestedEnd;
  return requestedEnd < policyEnd ? requestedEnd : policyEnd;
}

const day = 24 * 3600 * 1000;

/**
 * When the expiry notices fall: 14 days and 1 day before the end, like Entra. For assignments shorter
 * than 28 days they are scaled to the same proportions of the whole duration (half-way and 1/28
 * before the end), so a 1-hour demo assignment warns at 30 minutes and about 2 minutes before.
 */
export function noticeTimes(start: Date, end: Date | null): Date[] {
  if (!end) return [];
  const total = end.getTime() - start.getTime();
  if (total <= 0) return [];
  const offsets = total >= 28 * day ? [14 * day, day] : [total / 2, total / 28];
  return offsets.map((o) => new Date(end.getTime() - o));
}

/** The first notice still to send after `sent` notices, or null. */
export function nextNotice(start: Date, end: Date | null, sent: number): Date | null {
  return noticeTimes(start, end)[sent] ?? null;
}

/**
 * A notice goes out at `now` after `sent` earlier ones: how many count as sent afterwards and when the
 * next one is due. Notices missed meanwhile (the service was down, or a clock moved) are not sent late
 * one after the other: the one sent now stands for every notice due by now.
 */
export function afterNotice(start: Date, end: Date | null, now: Date, sent: number): { sent: number; next: Date | null } {
  const times = noticeTimes(start, end);
  const count = Math.max(sent + 1, times.filter((t) => t.getTime() <= now.getTime()).length);
  return { sent: count, next: times[count] ?? null };
}
