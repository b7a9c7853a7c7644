import type { CalStatus } from '../reading.js';
import { addLocalDays, localMidnight } from './calendar.js';
import { judgeRecord } from './decision.js';
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
 * The as-found / as-left truth table (README, "Calibration"): conformity is judged on the instrument
 * as left. As-left fail → out_of_tolerance for the record's whole span. As-found fail → the
 * readings since the last good calibration are suspect (an event and an impact report), whatever
 * the as-left verdict. A verdict comes from the decision rule where limits are known, else from the
 * certificate's statement (decision.ts).
 */
export function asLeftFailed(r: CalibrationRecord): boolean {
  return judgeRecord(r).asLeft.result === 'fail';
}

/** Whether the instrument was found out of tolerance before adjustment: past readings are suspect. */
export function asFoundFailed(r: CalibrationRecord): boolean {
  return judgeRecord(r).asFound?.result === 'fail';
}

/** Two records of one channel with the same calibration and issue dates: which one rules is unknowable. */
export class RecordTieError extends Error {
  override readonly name = 'RecordTieError';
}

/**
 * Records in the order they take over: by calibration date, then by issue date (a certificate
 * re-issued the same day replaces the earlier issue; a missing issue date counts as the earliest).
 * A true tie is refused: input order must never decide which certificate corrects readings.
 */
export function orderRecords(records: readonly CalibrationRecord[]): CalibrationRecord[] {
  const sorted = [...records].sort((a, b) => a.calibrated.localeCompare(b.calibrated) || (a.issued ?? '').localeCompare(b.issued ?? ''));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.calibrated === b.calibrated && (a.issued ?? '') === (b.issued ?? '')) {
      const scope = b.channel === undefined ? '' : ` channel ${b.channel}`;
      throw new RecordTieError(
        `certificates ${a.certificate} and ${b.certificate} of ${b.instrument}${scope} are both calibrated ${b.calibrated}` +
          `${b.issued ? ` and issued ${b.issued}` : ' with no issue date'}: which one is in force cannot be decided; give the later one its (later) issue date or remove one`,
      );
    }
  }
  return sorted;
}

/**
 * The statuses a channel passes through over all of its records, precomputed so the hot path only
 * compares a timestamp with segment bounds. Each record rules from its calibration date until the
 * next record's; inside that span it is valid, then due_soon, then expired by the calendar, or
 * out_of_tolerance throughout when it failed as left, or limited (准用) when restricted (then
 * due_soon and expired like any other).
 */
export function buildTimeline(records: readonly CalibrationRecord[], site: DueSoonPolicy = {}): StatusSegment[] {
  const sorted = orderRecords(records);
  const segments: StatusSegment[] = [];
  let cursor = -Infinity;
  sorted.forEach((r, i) => {
    const start = localMidnight(r.calibrated);
    // A record re-issued for the same calibration date replaces the earlier issue from that date on.
    const end = i + 1 < sorted.length ? localMidnight(sorted[i + 1]!.calibrated) : Infinity;
    if (start > cursor) segments.push({ from: cursor, to: start, status: 'uncalibrated', record: null });
    const expiresAt = addLocalDays(localMidnight(r.due), 1);
    const dueSoonAt = dueSoonStart(r, start, expiresAt, site);
    const inService: CalStatus = asLeftFailed(r) ? 'out_of_tolerance' : r.limitedTo?.length ? 'limited' : 'valid';
    const parts: [number, number, CalStatus][] =
      inService === 'out_of_tolerance'
        ? [[start, end, 'out_of_tolerance']]
        : [
            [start, dueSoonAt, inService],
            // A limited (准用) instrument turns due_soon too; its ranges stay enforced per reading.
            [dueSoonAt, expiresAt, 'due_soon'],
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
