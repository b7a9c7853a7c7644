import type { CalibrationConfig } from '../../config/schema.js';
import type { CalStatus } from '../reading.js';
import { addLocalDays, localMidnight } from './calendar.js';

/** When neither dueSoonDays nor dueSoonShare is configured. */
export const DEFAULT_DUE_SOON_DAYS = 30;

/** A run of time over which one record gives one status: [from, to). */
export interface StatusSegment {
  from: number;
  to: number;
  status: CalStatus;
}

/**
 * The statuses one calibration record passes through as time goes by, precomputed once so the
 * hot path only compares a timestamp with two numbers.
 */
export interface StatusTimeline {
  certificate: string;
  due: string;
  /** Local midnight of the due date: daysToDue counts to it. */
  dueMidnight: number;
  segments: StatusSegment[];
}

export function buildTimeline(record: CalibrationConfig): StatusTimeline {
  if (!record.due) throw new Error(`calibration ${record.certificate}: no due date (the config loader derives it)`);
  const calibratedAt = localMidnight(record.calibrated);
  const dueMidnight = localMidnight(record.due);
  const expiresAt = addLocalDays(dueMidnight, 1);
  const candidates: number[] = [];
  if (record.dueSoonDays !== undefined) candidates.push(addLocalDays(expiresAt, -record.dueSoonDays));
  if (record.dueSoonShare !== undefined) {
    candidates.push(calibratedAt + Math.round(record.dueSoonShare * (expiresAt - calibratedAt)));
  }
  if (candidates.length === 0) candidates.push(addLocalDays(expiresAt, -DEFAULT_DUE_SOON_DAYS));
  const dueSoonAt = Math.min(expiresAt, Math.max(calibratedAt, Math.min(...candidates)));
  return {
    certificate: record.certificate,
    due: record.due,
    dueMidnight,
    segments: [
      { from: -Infinity, to: calibratedAt, status: 'uncalibrated' },
      { from: calibratedAt, to: dueSoonAt, status: 'valid' },
      { from: dueSoonAt, to: expiresAt, status: 'due_soon' },
      { from: expiresAt, to: Infinity, status: 'expired' },
    ].filter((s) => s.to > s.from) as StatusSegment[],
  };
}

export function segmentAt(timeline: StatusTimeline, ts: number): StatusSegment {
  for (const s of timeline.segments) if (ts < s.to) return s;
  return timeline.segments[timeline.segments.length - 1]!;
}
