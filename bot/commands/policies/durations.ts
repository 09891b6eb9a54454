/**
 * ISO 8601 durations as milliseconds, for comparing policy durations (escalation before denial) and
 * for scheduling. Years and months have no fixed length; like Entra we count 365 and 30 days, which
 * only matters for comparisons of durations given in different units.
 */
export function durationToMilliseconds(duration: string): number {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration);
  if (!m) throw new Error(`not an ISO 8601 duration: ${duration}`);
  const [, y, mo, w, d, h, mi, s] = m.map((part) => (part === undefined ? 0 : Number(part)));
  const day = 24 * 3600 * 1000;
  return y * 365 * day + mo * 30 * day + w * 7 * day + d * day + h * 3600 * 1000 + mi * 60 * 1000 + s * 1000;
}
