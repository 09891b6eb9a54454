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

/**
 * Entra's bounds on the durations of entitlement management, as its admin center enforces them:
 * - an assignment lasts at most 3660 days (policy `expiration`, a request's `schedule`);
 * - a request waits for a decision at most 14 days (`durationBeforeAutomaticDenial`), and escalation
 *   happens within that time (`durationBeforeEscalation`, also shorter than the denial);
 * - an access review instance lasts at most 180 days (`reviewSettings.schedule.expiration`);
 * - removal grace periods and the delay before a blocked guest is deleted stay within the 3660 days
 *   of an assignment.
 * Seconds stay valid, so tests and demos can run a whole lifecycle in moments.
 */
export const durationLimits = {
  assignment: 'P3660D',
  decision: 'P14D',
  review: 'P180D',
  lifecycle: 'P3660D',
} as const;

/**
 * Why `duration` is out of bounds (too long, or zero where `positive`), or null when it is within.
 * Huge values (`P99999999Y`) are caught here, before any date arithmetic overflows.
 */
export function durationProblem(duration: string, options: { max: string; positive: boolean }): string | null {
  let ms: number;
  try {
    ms = durationToMilliseconds(duration);
  } catch {
    return null; // not a duration at all: the format check reports it
  }
  if (options.positive && !(ms > 0)) return 'must be longer than zero';
  if (!Number.isFinite(ms) || ms > durationToMilliseconds(options.max)) return `must be at most ${options.max}`;
  return null;
}
