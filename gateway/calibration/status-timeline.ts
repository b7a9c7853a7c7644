import type { CalStatus } from '../reading.js';
import { addLocalDays, localMidnight } from './calendar.js';
import type { CalibrationRecord } from './record.js';

/** When a record says nothing and the site sets nothing. */
export const DEFAULT_DUE_SOON_DAYS = 30;

export interface DueSoonPolicy {
  dueSoonDays?: number | undefined;
  dueSoonShare?: number | undefined;
}

/** A run of time over which one record gives one status: [from, to). */
export interface StatusSegment {
  from: number;
  to: number;
  status: CalStatus;
  record: CalibrationRecord | null;
}

/**
 * Whether the instrument, as calibrated and left (after any adjustment), fails: the certificate
 * states non-conformity without separate as-found data, or the as-left errors exceed the MPE.
 */
export function asLeftFailed(r: CalibrationRecord): boolean {
  if (r.mpe !== undefined && r.errorTable.some((p) => Math.abs(p.error) > r.mpe!)) return true;
  return r.asFound === undefined && r.conformity === 'fail';
}

/** Whether the instrument was found out of tolerance before adjustment: past readings are suspect. */
export function asFoundFailed(r: CalibrationRecord): boolean {
  if (!r.asFound || r.asFound.length === 0) return false;
  if (r.mpe !== undefined) return r.asFound.some((p) => Math.abs(p.error) > r.mpe!);
  return r.conformity === 'fail';
}

/**
 * The statuses a channel passes through over all of its records, precomputed so the hot path only
 * compares a timestamp with segment bounds. Each record rules from its calibration date until the
 * next record's; inside that span it is valid, then due_soon, then expired by the calendar, or
 * out_of_tolerance throughout when it failed as left, or limited (准用) when restricted.
 */
export function buildTimeline(records: readonly CalibrationRecord[], site: DueSoonPolicy = {}): StatusSegment[] {
  const sorted = [...records].sort((a, b) => localMidnight(a.calibrated) - localMidnight(b.calibrated));
  const segments: StatusSegment[] = [];
  let cursor = -Infinity;
  sorted.forEach((r, i) => {
    const start = localMidnight(r.calibrated);
    const end = i + 1 < sorted.length ? localMidnight(sorted[i + 1]!.calibrated) : Infinity;
    if (start > cursor) segments.push({ from: cursor, to: start, status: 'uncalibrated', record: null });
    const expiresAt = addLocalDays(localMidnight(r.due), 1);
    const dueSoonAt = dueSoonStart(r, start, expiresAt, site);
    const inService: CalStatus = asLeftFailed(r) ? 'out_of_tolerance' : r.limitedTo?.length ? 'limited' : 'valid';
    const parts: [number, number, CalStatus][] = inService === 'out_of_tolerance'
      ? [[start, end, 'out_of_tolerance']]
      : [
          [start, dueSoonAt, inService],
          [dueSoonAt, expiresAt, inService === 'limited' ? 'limited' : 'due_soon'],
          [expiresAt, end, 'expired'],
        ];
    for (const [from, to, status] of parts) {
      const a = Math.max(from, start);
      const b = Math.min(to, end);
      if (b > a) segments.push({ from: a, to: b, status, record: r });
    }
    cursor = Math.max(cursor, end);
  });
  if (segments.length === 0 || cursor < Infinity) segments.push({ from: cursor, to: Infinity, status: 'uncalibrated', record: null });
  return merge(segments);
}

function dueSoonStart(r: CalibrationRecord, start: number, expiresAt: number, site: DueSoonPolicy): number {
  const days = r.dueSoonDays ?? (r.dueSoonShare === undefined ? site.dueSoonDays : undefined);
  const share = r.dueSoonShare ?? (r.dueSoonDays === undefined ? site.dueSoonShare : undefined);
  const candidates: number[] = [];
  if (days !== undefined) candidates.push(addLocalDays(expiresAt, -days));
  if (share !== undefined) candidates.push(start + Math.round(share * (expiresAt - start)));
  if (candidates.length === 0) candidates.push(addLocalDays(expiresAt, -DEFAULT_DUE_SOON_DAYS));
  return Math.min(expiresAt, Math.max(start, Math.min(...candidates)));
}

/** Adjacent segments with the same status and record are one (fewer cache misses). */
function merge(segments: StatusSegment[]): StatusSegment[] {
  const out: StatusSegment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.status === s.status && last.record === s.record && last.to === s.from) last.to = s.to;
    else if (s.to > s.from) out.push({ ...s });
  }
  return out;
}

export function segmentAt(segments: readonly StatusSegment[], ts: number): StatusSegment {
  for (const s of segments) if (ts < s.to) return s;
  return segments[segments.length - 1]!;
}
