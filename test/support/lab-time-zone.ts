/**
 * Calibration dates are local calendar dates (a certificate due 2026-12-15 expires at the lab's
 * midnight, not UTC's). Tests of the calendar run in a zone far from UTC to prove it.
 */
import { afterEach, beforeEach } from 'vitest';

/** UTC+8 all year (no daylight saving), so the offset in `at()` always holds. */
export const LAB_TIME_ZONE = 'Asia/Shanghai';

/** Runs every test of the calling file in LAB_TIME_ZONE and gives back the zone it found. */
export function inLabTimeZone(): void {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TZ;
    process.env.TZ = LAB_TIME_ZONE;
  });
  afterEach(() => {
    // Assigning undefined would set the string "undefined", which Node reads as UTC.
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
}

/** Local wall-clock time in the lab's zone (UTC+8), written the way a lab would say it. */
export const at = (iso: string): number => new Date(`${iso}+08:00`).getTime();
