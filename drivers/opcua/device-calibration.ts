/**
 * Calibration dates an instrument keeps about itself (an OPC UA calibration object's
 * LastCalibrationDate / NextCalibrationDate), shown beside the configured record. The configured
 * certificate stays authoritative: a disagreement is reported, never applied.
 */
import type { CalibrationConfig } from '../../gateway/calibration/calibration-config.js';

export interface DeviceCalibration {
  /** The calibration object read. */
  node: string;
  /** As the device states them, YYYY-MM-DD; null when the device has no such value. */
  lastCalibrationDate: string | null;
  nextCalibrationDate: string | null;
  /** When the device was read, ms since epoch. */
  readAt: number;
  /** true when both dates equal the configured calibrated / due; null when no record is configured. */
  matchesConfig: boolean | null;
  /** What differs, for logs and the API, e.g. `device next calibration 2027-03-01, configured due 2027-03-14`. */
  mismatch?: string;
}

export function compareWithConfig(
  node: string,
  device: { last: Date | null; next: Date | null },
  configured: CalibrationConfig | undefined,
  readAt: number,
): DeviceCalibration {
  const last = device.last ? calendarDate(device.last) : null;
  const next = device.next ? calendarDate(device.next) : null;
  const result: DeviceCalibration = { node, lastCalibrationDate: last, nextCalibrationDate: next, readAt, matchesConfig: null };
  if (!configured) return result;
  const differences: string[] = [];
  if (last !== null && last !== configured.calibrated) differences.push(`device last calibration ${last}, configured calibrated ${configured.calibrated}`);
  if (next !== null && configured.due !== undefined && next !== configured.due)
    differences.push(`device next calibration ${next}, configured due ${configured.due}`);
  result.matchesConfig = differences.length === 0;
  if (differences.length > 0) result.mismatch = differences.join('; ');
  return result;
}

/**
 * Devices commonly store a calendar date as UTC midnight; that is read as its UTC date so a
 * gateway west of Greenwich does not see the day before. Any other time is read in the gateway's
 * local zone, as the configured dates are.
 */
export function calendarDate(d: Date): string {
  const utcMidnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0;
  const [y, m, day] = utcMidnight ? [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()] : [d.getFullYear(), d.getMonth(), d.getDate()];
  return `${y}-${String(m + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
