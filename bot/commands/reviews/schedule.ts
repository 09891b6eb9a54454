import type { z } from 'zod';
import { durationToMilliseconds } from '../policies/durations';
import type { patternedRecurrence, reviewSettings } from '../policies/schemas';

/**
 * When the access reviews of a policy happen, from its `reviewSettings.schedule`
 * (`entitlementManagementSchedule`): pure functions, so the rules have a table of tests.
 *
 * - The first review starts at `schedule.startDateTime`; without it at `recurrence.range.startDate`
 *   (midnight UTC); without either, when Portier first saw the review settings.
 * - `recurrence.pattern` repeats it every `interval` days (`daily`), weeks (`weekly`, on the start's
 *   weekday), months (`absoluteMonthly` on `dayOfMonth` or the start's day, clamped to the month's
 *   length; `relativeMonthly` on the `index` `daysOfWeek[0]` of the month) or years (`absoluteYearly`,
 *   `relativeYearly` in `month`), always at the start's time of day, in UTC (`recurrenceTimeZone` is
 *   not applied). `range` ends it: `noEnd`, `endDate` (no review starts on a later UTC date), or
 *   `numbered` (`numberOfOccurrences` reviews in all). Without `recurrence` there is one review.
 * - Each review lasts `schedule.expiration`: `afterDuration` (any ISO 8601 length, seconds included),
 *   `afterDateTime` (a one-time review ending then), otherwise `defaultReviewDuration` (14 days, the
 *   default duration Graph uses for decisions in entitlement management).
 * - A review whose start passed while nobody was looking (the policy was saved with a start in the
 *   past, or Portier was down) starts at once — once, for the latest missed occurrence, never one per
 *   missed occurrence — and runs its full duration from then.
 */
export type ReviewSettings = z.infer<typeof reviewSettings>;
export type PatternedRecurrence = z.infer<typeof patternedRecurrence>;

export const defaultReviewDuration = 'P14D';

const day = 24 * 3600 * 1000;
/** Enough for a daily review over 250 years; a guard against a runaway loop, not a business rule. */
const maxOccurrences = 100_000;
const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/** The moment the first review of the series starts. */
export function firstReviewStart(settings: Pick<ReviewSettings, 'schedule'>, seenAt: Date): Date {
  const schedule = settings.schedule;
  if (schedule?.startDateTime) return new Date(schedule.startDateTime);
  const startDate = schedule?.recurrence?.range.startDate;
  if (startDate) return new Date(`${startDate}T00:00:00.000Z`);
  return seenAt;
}

/** Every start of the series in order (finite when the range ends; lazily generated otherwise). */
export function* reviewStarts(settings: Pick<ReviewSettings, 'schedule'>, seenAt: Date): Generator<Date> {
  const first = firstReviewStart(settings, seenAt);
  const recurrence = settings.schedule?.recurrence;
  if (!recurrence) {
    yield first;
    return;
  }
  const { range } = recurrence;
  let produced = 0;
  for (let period = 0; period < maxOccurrences; period++) {
    const at = occurrenceInPeriod(first, recurrence.pattern, period);
    if (!at || at.getTime() < first.getTime()) continue;
    if (range.type === 'endDate' && range.endDate && at.toISOString().slice(0, 10) > range.endDate) return;
    if (range.type === 'numbered' && produced >= range.numberOfOccurrences) return;
    produced++;
    yield at;
  }
}

/**
 * The start of the next review to run: the first start after `after` (the previous review's
 * scheduled start; null before the first one). When starts after `after` have already passed at
 * `now`, the latest of them (to run at once). Null when the series has ended.
 */
export function nextReviewStart(settings: Pick<ReviewSettings, 'schedule'>, seenAt: Date, after: Date | null, now: Date): Date | null {
  let missed: Date | null = null;
  for (const at of reviewStarts(settings, seenAt)) {
    if (after && at.getTime() <= after.getTime()) continue;
    if (at.getTime() <= now.getTime()) {
      missed = at;
      continue;
    }
    return missed ?? at;
  }
  return missed;
}

/** When a review that starts at `start` ends. */
export function reviewEnd(settings: Pick<ReviewSettings, 'schedule'>, start: Date): Date {
  const expiration = settings.schedule?.expiration;
  if (expiration?.type === 'afterDuration' && expiration.duration) return new Date(start.getTime() + durationToMilliseconds(expiration.duration));
  if (expiration?.type === 'afterDateTime' && expiration.endDateTime) {
    const end = new Date(expiration.endDateTime);
    if (end.getTime() > start.getTime()) return end;
  }
  return new Date(start.getTime() + durationToMilliseconds(defaultReviewDuration));
}

/** The occurrence of `pattern` in the `period`-th interval after `first` (null if that month has no such day). */
function occurrenceInPeriod(first: Date, pattern: PatternedRecurrence['pattern'], period: number): Date | null {
  const step = period * pattern.interval;
  const time = first.getTime() - Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  switch (pattern.type) {
    case 'daily':
      return new Date(first.getTime() + step * day);
    case 'weekly':
      return new Date(first.getTime() + step * 7 * day);
    case 'absoluteMonthly': {
      const { year, month } = addMonths(first.getUTCFullYear(), first.getUTCMonth(), step);
      return atDay(year, month, pattern.dayOfMonth || first.getUTCDate(), time);
    }
    case 'relativeMonthly': {
      const { year, month } = addMonths(first.getUTCFullYear(), first.getUTCMonth(), step);
      return relativeDay(year, month, pattern, time);
    }
    case 'absoluteYearly': {
      const year = first.getUTCFullYear() + step;
      const month = pattern.month ? pattern.month - 1 : first.getUTCMonth();
      return atDay(year, month, pattern.dayOfMonth || first.getUTCDate(), time);
    }
    case 'relativeYearly':
      return relativeDay(first.getUTCFullYear() + step, pattern.month ? pattern.month - 1 : first.getUTCMonth(), pattern, time);
    default:
      return null;
  }
}

function addMonths(year: number, month: number, count: number): { year: number; month: number } {
  const total = year * 12 + month + count;
  return { year: Math.floor(total / 12), month: total % 12 };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** Day `dayOfMonth` of the month, or its last day when the month is shorter (31 → 30 April). */
function atDay(year: number, month: number, dayOfMonth: number, time: number): Date {
  return new Date(Date.UTC(year, month, Math.min(dayOfMonth, daysInMonth(year, month))) + time);
}

/** The `index` (first … last) `daysOfWeek[0]` of the month, e.g. the second Tuesday. */
function relativeDay(year: number, month: number, pattern: PatternedRecurrence['pattern'], time: number): Date | null {
  const weekday = weekdays.indexOf(pattern.daysOfWeek[0] ?? 'monday');
  const index = pattern.index ?? 'first';
  const last = daysInMonth(year, month);
  if (index === 'last') {
    const lastWeekday = new Date(Date.UTC(year, month, last)).getUTCDay();
    return new Date(Date.UTC(year, month, last - ((lastWeekday - weekday + 7) % 7)) + time);
  }
  const firstWeekday = new Date(Date.UTC(year, month, 1)).getUTCDay();
  const dayOfMonth = 1 + ((weekday - firstWeekday + 7) % 7) + 7 * ['first', 'second', 'third', 'fourth'].indexOf(index);
  return dayOfMonth <= last ? new Date(Date.UTC(year, month, dayOfMonth) + time) : null;
}
