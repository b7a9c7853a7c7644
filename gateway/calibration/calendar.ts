/**
 * Calibration dates are calendar dates on the certificate. They are read in the gateway's local
 * time zone (TZ of the process), because that is the day the lab's staff means: an instrument due
 * on 2026-12-15 may be used through that day and is expired from 00:00 on the 16th, local time.
 */
const DAY_MS = 86_400_000;

export function localMidnight(isoDate: string): number {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

export function startOfLocalDay(ts: number): number {
  const t = new Date(ts);
  return new Date(t.getFullYear(), t.getMonth(), t.getDate()).getTime();
}

/** Next local midnight after ts; Date arithmetic keeps DST days (23 h, 25 h) right. */
export function startOfNextLocalDay(ts: number): number {
  const t = new Date(ts);
  return new Date(t.getFullYear(), t.getMonth(), t.getDate() + 1).getTime();
}

/** Whole calendar days from the local day of `from` to the local day starting at `toMidnight`. */
export function calendarDaysBetween(from: number, toMidnight: number): number {
  return Math.round((toMidnight - startOfLocalDay(from)) / DAY_MS);
}

export function addLocalDays(midnight: number, days: number): number {
  const t = new Date(midnight);
  return new Date(t.getFullYear(), t.getMonth(), t.getDate() + days).getTime();
}
