import { outcomeOf } from '../../bot/commands/reviews/completeReview';
import { nextReviewStart, reviewEnd, reviewStarts, type ReviewSettings } from '../../bot/commands/reviews/schedule';
import { recommendationFor } from '../../bot/commands/reviews/startReview';

type Schedule = NonNullable<ReviewSettings['schedule']>;
type Pattern = NonNullable<Schedule['recurrence']>['pattern'];
type Range = NonNullable<Schedule['recurrence']>['range'];

const seenAt = new Date('2026-01-05T09:00:00.000Z');
const pattern = (p: Partial<Pattern> & Pick<Pattern, 'type'>): Pattern => ({ interval: 1, month: 0, dayOfMonth: 0, daysOfWeek: [], ...p });
const range = (r: Partial<Range> = {}): Range => ({ type: 'noEnd', numberOfOccurrences: 0, ...r });
const settings = (schedule: Partial<Schedule> | null): Pick<ReviewSettings, 'schedule'> => ({ schedule: schedule as Schedule | null });
const starts = (s: Pick<ReviewSettings, 'schedule'>, count: number) => {
  const out: string[] = [];
  for (const at of reviewStarts(s, seenAt)) {
    out.push(at.toISOString());
    if (out.length === count) break;
  }
  return out;
};

describe(reviewStarts.name, () => {
  it.each([
    ['one review without recurrence', { startDateTime: '2026-02-01T10:00:00Z' }, ['2026-02-01T10:00:00.000Z']],
    ['daily every 2 days', { startDateTime: '2026-02-01T10:00:00Z', recurrence: { pattern: pattern({ type: 'daily', interval: 2 }), range: range() } }, ['2026-02-01T10:00:00.000Z', '2026-02-03T10:00:00.000Z', '2026-02-05T10:00:00.000Z']],
    ['weekly on the start weekday', { startDateTime: '2026-02-02T08:30:00Z', recurrence: { pattern: pattern({ type: 'weekly', daysOfWeek: ['monday'] }), range: range() } }, ['2026-02-02T08:30:00.000Z', '2026-02-09T08:30:00.000Z', '2026-02-16T08:30:00.000Z']],
    ['quarterly on the 31st, clamped to short months', { startDateTime: '2026-01-31T06:00:00Z', recurrence: { pattern: pattern({ type: 'absoluteMonthly', interval: 3 }), range: range() } }, ['2026-01-31T06:00:00.000Z', '2026-04-30T06:00:00.000Z', '2026-07-31T06:00:00.000Z']],
    ['monthly on dayOfMonth, skipping a day before the start', { startDateTime: '2026-01-20T06:00:00Z', recurrence: { pattern: pattern({ type: 'absoluteMonthly', dayOfMonth: 15 }), range: range() } }, ['2026-02-15T06:00:00.000Z', '2026-03-15T06:00:00.000Z', '2026-04-15T06:00:00.000Z']],
    ['second Tuesday of the month', { startDateTime: '2026-01-01T09:00:00Z', recurrence: { pattern: pattern({ type: 'relativeMonthly', daysOfWeek: ['tuesday'], index: 'second' }), range: range() } }, ['2026-01-13T09:00:00.000Z', '2026-02-10T09:00:00.000Z', '2026-03-10T09:00:00.000Z']],
    ['last Friday of the month', { startDateTime: '2026-01-01T09:00:00Z', recurrence: { pattern: pattern({ type: 'relativeMonthly', daysOfWeek: ['friday'], index: 'last' }), range: range() } }, ['2026-01-30T09:00:00.000Z', '2026-02-27T09:00:00.000Z', '2026-03-27T09:00:00.000Z']],
    ['yearly in March', { startDateTime: '2026-01-10T09:00:00Z', recurrence: { pattern: pattern({ type: 'absoluteYearly', month: 3, dayOfMonth: 1 }), range: range() } }, ['2026-03-01T09:00:00.000Z', '2027-03-01T09:00:00.000Z', '2028-03-01T09:00:00.000Z']],
    ['until an end date', { startDateTime: '2026-02-01T10:00:00Z', recurrence: { pattern: pattern({ type: 'daily' }), range: range({ type: 'endDate', endDate: '2026-02-02' }) } }, ['2026-02-01T10:00:00.000Z', '2026-02-02T10:00:00.000Z']],
    ['a number of times', { startDateTime: '2026-02-01T10:00:00Z', recurrence: { pattern: pattern({ type: 'weekly' }), range: range({ type: 'numbered', numberOfOccurrences: 2 }) } }, ['2026-02-01T10:00:00.000Z', '2026-02-08T10:00:00.000Z']],
    ['from the range start date without startDateTime', { recurrence: { pattern: pattern({ type: 'daily' }), range: range({ startDate: '2026-03-01' }) } }, ['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z']],
    ['when first seen without any start', {}, [seenAt.toISOString()]],
  ])('%s', (_name, schedule, expected) => {
    expect(starts(settings(schedule as Partial<Schedule>), 3)).toEqual(expected);
  });
});

describe(nextReviewStart.name, () => {
  const daily = settings({ startDateTime: '2026-02-01T10:00:00Z', recurrence: { pattern: pattern({ type: 'daily' }), range: range() } });
  it.each([
    ['the first start, still ahead', null, '2026-01-20T00:00:00Z', '2026-02-01T10:00:00.000Z'],
    ['the start after the previous one', '2026-02-01T10:00:00Z', '2026-02-01T12:00:00Z', '2026-02-02T10:00:00.000Z'],
    ['a start that is due now', '2026-02-01T10:00:00Z', '2026-02-02T10:00:00Z', '2026-02-02T10:00:00.000Z'],
    ['once, the latest missed start', null, '2026-02-05T11:00:00Z', '2026-02-05T10:00:00.000Z'],
    ['once, the latest missed after a previous one', '2026-02-01T10:00:00Z', '2026-02-04T09:00:00Z', '2026-02-03T10:00:00.000Z'],
  ])('%s', (_name, after, now, expected) => {
    expect(nextReviewStart(daily, seenAt, after ? new Date(after) : null, new Date(now))?.toISOString()).toBe(expected);
  });

  it('is null when the series has ended', () => {
    const once = settings({ startDateTime: '2026-02-01T10:00:00Z' });
    expect(nextReviewStart(once, seenAt, new Date('2026-02-01T10:00:00Z'), new Date('2026-03-01T00:00:00Z'))).toBeNull();
  });
});

describe(reviewEnd.name, () => {
  const start = new Date('2026-02-01T10:00:00Z');
  it.each([
    ['after a duration in seconds', { type: 'afterDuration', duration: 'PT30S', endDateTime: null }, '2026-02-01T10:00:30.000Z'],
    ['on a date', { type: 'afterDateTime', duration: null, endDateTime: '2026-02-10T00:00:00Z' }, '2026-02-10T00:00:00.000Z'],
    ['14 days by default', { type: 'noExpiration', duration: null, endDateTime: null }, '2026-02-15T10:00:00.000Z'],
    ['14 days when a date has passed', { type: 'afterDateTime', duration: null, endDateTime: '2026-01-01T00:00:00Z' }, '2026-02-15T10:00:00.000Z'],
  ])('%s', (_name, expiration, expected) => {
    expect(reviewEnd(settings({ expiration } as Partial<Schedule>), start).toISOString()).toBe(expected);
  });
});

describe(outcomeOf.name, () => {
  it.each([
    ['Approve', 'Deny', 'removeAccess', 'keep'],
    ['Deny', 'Approve', 'keepAccess', 'remove'],
    ['NotReviewed', 'Deny', 'keepAccess', 'keep'],
    ['NotReviewed', 'Approve', 'removeAccess', 'remove'],
    ['DontKnow', 'Deny', 'acceptAccessRecommendation', 'remove'],
    ['DontKnow', 'Approve', 'acceptAccessRecommendation', 'keep'],
    ['NotReviewed', 'NoInfoAvailable', 'acceptAccessRecommendation', 'keep'],
  ] as const)('%s with recommendation %s under %s: %s', (decision, recommendation, behavior, expected) => {
    expect(outcomeOf(decision, recommendation, behavior)).toBe(expected);
  });
});

describe(recommendationFor.name, () => {
  const start = new Date('2026-02-01T10:00:00Z');
  it.each([
    [false, '2026-01-31T10:00:00Z', 'NoInfoAvailable'],
    [true, '2026-01-31T10:00:00Z', 'Approve'],
    [true, '2026-01-02T10:00:00Z', 'Approve'],
    [true, '2026-01-02T09:00:00Z', 'Deny'],
    [true, null, 'Deny'],
  ] as const)('enabled %s, last sign-in %s: %s', (enabled, lastSignIn, expected) => {
    expect(recommendationFor(enabled, lastSignIn, start)).toBe(expected);
  });
});
