import { ValidationError } from '../../domain/errors';
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

/**
 * The schedule a request asks for (an add, or an extension), checked against its policy: dates only
 * when the requestor may choose them (administrators always may), the end never beyond what the
 * policy allows from the start. An extension (`startsWhenApplied`) starts when it is applied, so its
 * start may only say "now"; an add may start later (the request is then `scheduled`).
 */
export function checkRequestedSchedule(asked: Schedule | null | undefined, policyExpiration: Expiration, options: { mayChoose: boolean; now: Date; startsWhenApplied: boolean }): Schedule {
  const { now } = options;
  if (!asked || (!asked.startDateTime && (!asked.expiration || asked.expiration.type === 'notSpecified'))) {
    return { startDateTime: null, expiration: policyExpiration, recurrence: null };
  }
  if (!options.mayChoose) throw new ValidationError("Property 'schedule' is not allowed: this access package's policy does not let requestors choose their dates.", 'schedule');
  const slack = 5 * 60_000;
  if (options.startsWhenApplied && asked.startDateTime && Date.parse(asked.startDateTime) > now.getTime() + slack) {
    throw new ValidationError("Invalid value for 'schedule.startDateTime': an extension starts when it is applied; leave it out or give the current time.", 'schedule.startDateTime');
  }
  const start = !options.startsWhenApplied && asked.startDateTime ? new Date(asked.startDateTime) : now;
  if (start.getTime() < now.getTime() - slack) throw new ValidationError("Invalid value for 'schedule.startDateTime': it is in the past.", 'schedule.startDateTime');
  const expiration = asked.expiration && asked.expiration.type !== 'notSpecified' ? asked.expiration : policyExpiration;
  const end = endOf(expiration, start);
  if (end && end <= start) throw new ValidationError("Invalid value for 'schedule.expiration': the access would end before it starts.", 'schedule.expiration');
  const allowed = endOf(policyExpiration, start);
  if (allowed && (!end || end > allowed)) {
    throw new ValidationError(`Invalid value for 'schedule.expiration': this policy allows access until ${allowed.toISOString()} at the latest.`, 'schedule.expiration');
  }
  return { startDateTime: options.startsWhenApplied ? null : (asked.startDateTime ?? null), expiration, recurrence: null };
}
