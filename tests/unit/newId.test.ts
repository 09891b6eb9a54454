import { newId } from '../../bot/context';

/**
 * Object ids are UUIDs version 7 made in order: what is sorted by (time, id) — an event's deliveries, a
 * person's notices — keeps the order it was written in, within one millisecond too.
 */
describe('newId', () => {
  it('makes version 7 UUIDs in Graph form, each later one sorting after the one before, within a millisecond too', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // 20,000 ids take a few milliseconds: many share one.
    const sameMs = ids.filter((id, i) => i > 0 && id.slice(0, 13) === ids[i - 1].slice(0, 13)).length;
    expect(sameMs).toBeGreaterThan(1_000);
    const outOfOrder = ids.filter((id, i) => i > 0 && id <= ids[i - 1]);
    expect(outOfOrder).toEqual([]);
  });

  it('keeps its time at the clock (ahead only by the milliseconds a burst of over 4,096 ids borrowed), with random bits after the counter', () => {
    const before = Date.now();
    const [a, b] = [newId(), newId()];
    const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(msOf(a)).toBeGreaterThanOrEqual(before);
    expect(msOf(b)).toBeLessThanOrEqual(Date.now() + 50);
    expect(a.slice(19)).not.toEqual(b.slice(19));
  });
});
