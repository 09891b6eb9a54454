import { afterNotice, assignmentEnd, endOf, nextNotice, noticeTimes } from '../../bot/commands/assignments/schedule';

/** The expiry arithmetic of bot/commands/assignments/schedule.ts: ends, notice times, notices after a gap. */
describe('assignment schedule', () => {
  const start = new Date('2026-01-05T09:00:00.000Z');
  const at = (ms: number) => new Date(start.getTime() + ms);
  const minute = 60_000;
  const hour = 60 * minute;
  const day = 24 * hour;

  it.each([
    [{ type: 'noExpiration' as const }, null],
    [{ type: 'afterDuration' as const, duration: 'P90D' }, at(90 * day)],
    [{ type: 'afterDuration' as const, duration: 'PT30S' }, at(30_000)],
    [{ type: 'afterDateTime' as const, endDateTime: '2026-02-01T00:00:00Z' }, new Date('2026-02-01T00:00:00Z')],
  ])('endOf(%j)', (expiration, expected) => {
    expect(endOf(expiration, start)).toEqual(expected);
  });

  it('a requested end never goes beyond the policy', () => {
    const policy = { type: 'afterDuration' as const, duration: 'P30D' };
    expect(assignmentEnd(policy, { type: 'afterDuration', duration: 'P7D' }, start)).toEqual(at(7 * day));
    expect(assignmentEnd(policy, { type: 'afterDuration', duration: 'P60D' }, start)).toEqual(at(30 * day));
    expect(assignmentEnd(policy, { type: 'noExpiration' }, start)).toEqual(at(30 * day));
    expect(assignmentEnd({ type: 'noExpiration' }, { type: 'afterDuration', duration: 'P7D' }, start)).toEqual(at(7 * day));
  });

  it.each([
    ['P90D: 14 days and 1 day before', 90 * day, [76 * day, 89 * day]],
    ['P28D: still 14 days and 1 day before', 28 * day, [14 * day, 27 * day]],
    ['P7D: half-way and 1/28 before', 7 * day, [3.5 * day, 7 * day - 6 * hour]],
    ['PT1H: 30 minutes, then 1/28 of an hour before', hour, [30 * minute, hour - hour / 28]],
  ])('noticeTimes, %s', (_name, length, offsets) => {
    expect(noticeTimes(start, at(length))).toEqual(offsets.map((o) => at(o)));
    expect(nextNotice(start, at(length), 0)).toEqual(at(offsets[0]));
    expect(nextNotice(start, at(length), 2)).toBeNull();
  });

  it('no notices without an end', () => {
    expect(noticeTimes(start, null)).toEqual([]);
    expect(nextNotice(start, null, 0)).toBeNull();
  });

  it('afterNotice: the next one, or — after a gap — one notice standing for every one missed', () => {
    const end = at(90 * day);
    expect(afterNotice(start, end, at(76 * day), 0)).toEqual({ sent: 1, next: at(89 * day) });
    expect(afterNotice(start, end, at(89 * day), 1)).toEqual({ sent: 2, next: null });
    // Down from day 75 to day 89 and a half: both were due; one is sent, none is left.
    expect(afterNotice(start, end, at(89.5 * day), 0)).toEqual({ sent: 2, next: null });
  });
});
