/**
 * The recalibration-interval suggestion of one instrument (or one channel with records of its
 * own) from its certificate history: each certificate reduced to the as-found point closest to
 * its limit, then the staircase and the control-chart (drift) methods of
 * recalibration-interval.ts. A suggestion only: the due date stays what the certificate says.
 */
import { mpeAt } from '../calibration/decision.js';
import type { CalibrationRecord, ErrorTablePoint } from '../calibration/record.js';
import { driftInterval, staircaseInterval, type CalibrationHistoryPoint, type IntervalSuggestion } from './recalibration-interval.js';

export interface IntervalReport {
  instrument: string;
  /** null: records for the whole instrument. */
  channel: string | null;
  unit: string;
  certificates: number;
  lastCertificate: string;
  lastCalibrated: string;
  due: string;
  /** The interval the last certificate set (calibrated → due), months. */
  currentMonths: number;
  suggestions: ReportedSuggestion[];
  /** Certificates the methods could not use, with why. */
  skipped: string[];
}

/** months null: the method had too little history (its evidence says what is missing). */
export type ReportedSuggestion = Omit<IntervalSuggestion, 'months'> & { months: number | null };

const DAYS_PER_MONTH = 365.25 / 12;

export function monthsBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 / DAYS_PER_MONTH);
}

/** The limit on the side the error lies: a point's own tolerance, else the record's MPE at the reference. */
function limitOf(record: CalibrationRecord, p: ErrorTablePoint): number | null {
  if (p.tolerance) return p.error >= 0 ? p.tolerance.upper : -p.tolerance.lower;
  return record.mpe !== undefined ? mpeAt(record.mpe, p.reference) : null;
}

/**
 * The certificate as the interval methods see it: its as-found point with the largest share
 * (|E| + U) / limit. Without as-found data the as-left table is what was found (no adjustment).
 */
export function historyPoint(record: CalibrationRecord): CalibrationHistoryPoint | string {
  const found = record.asFound && record.asFound.length > 0 ? record.asFound : record.errorTable;
  let worst: { point: ErrorTablePoint; limit: number; share: number } | null = null;
  for (const point of found) {
    const limit = limitOf(record, point);
    if (limit === null || !(limit > 0)) continue;
    const share = (Math.abs(point.error) + (point.U ?? 0)) / limit;
    if (!worst || share > worst.share) worst = { point, limit, share };
  }
  if (!worst) return `${record.certificate} (${record.calibrated}): no error point with an MPE or tolerance to judge`;
  const adjusted =
    record.asFound !== undefined &&
    record.asFound.length > 0 &&
    record.asFound.some((p) => !record.errorTable.some((q) => q.reference === p.reference && q.error === p.error));
  return { calibrated: record.calibrated, asFoundError: worst.point.error, U: worst.point.U ?? 0, mpe: worst.limit, adjusted };
}

/** One report per instrument and channel that has records, oldest certificate first in the evidence. */
export function intervalReports(records: readonly CalibrationRecord[]): IntervalReport[] {
  const series = new Map<string, CalibrationRecord[]>();
  for (const r of records) {
    const key = `${r.instrument}\u0000${r.channel ?? ''}`;
    series.set(key, [...(series.get(key) ?? []), r]);
  }
  const reports: IntervalReport[] = [];
  for (const list of series.values()) {
    const sorted = [...list].sort((a, b) => a.calibrated.localeCompare(b.calibrated));
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    const history: CalibrationHistoryPoint[] = [];
    const skipped: string[] = [];
    for (const r of sorted) {
      const p = historyPoint(r);
      if (typeof p === 'string') skipped.push(p);
      else history.push(p);
    }
    const suggestions =
      history.length === 0
        ? []
        : [staircaseInterval(history, monthsBetween(first.calibrated, first.due)), driftInterval(history)].map((x) => ({
            ...x,
            months: Number.isFinite(x.months) ? x.months : null,
          }));
    reports.push({
      instrument: last.instrument,
      channel: last.channel ?? null,
      unit: last.unit,
      certificates: sorted.length,
      lastCertificate: last.certificate,
      lastCalibrated: last.calibrated,
      due: last.due,
      currentMonths: monthsBetween(last.calibrated, last.due),
      suggestions,
      skipped,
    });
  }
  return reports.sort((a, b) => a.instrument.localeCompare(b.instrument) || (a.channel ?? '').localeCompare(b.channel ?? ''));
}
