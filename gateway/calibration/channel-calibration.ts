import type { CalStatus, CalTag, Reading } from '../reading.js';
import { calendarDaysBetween, localMidnight, startOfLocalDay, startOfNextLocalDay } from './calendar.js';
import { certificateUAt, errorAt, prepareTable, type PreparedTable } from './error-table.js';
import type { CalibrationRecord } from './record.js';
import { segmentAt, type StatusSegment } from './status-timeline.js';
import { REPORTED_K, resolutionU } from './uncertainty.js';

const TRACEABLE: ReadonlySet<CalStatus> = new Set(['valid', 'due_soon', 'limited']);

/** A manual status (quarantine, out of service) in force from `since` on. */
export interface ManualState {
  status: 'quarantined' | 'out_of_service';
  since: number;
}

/** What one record contributes to a reading, prepared once per record. */
interface Prepared {
  /** The record's unit: its table corrects only channels in that unit. */
  unit: string;
  table: PreparedTable | null;
  /** Readings outside [min, max] are not corrected and not traceable. */
  min: number;
  max: number;
  limitedTo: { min: number; max: number }[] | null;
  /** Sum of squares of the components that do not depend on the value: resolution and extras. */
  fixedU2: number;
  hasFixedU: boolean;
  hasU: boolean;
}

function prepare(r: CalibrationRecord): Prepared {
  const table = prepareTable(r.errorTable);
  const fixedU = [...(r.resolution ? [resolutionU(r.resolution)] : []), ...(r.extraUncertainty ?? []).map((c) => c.u)];
  return {
    unit: r.unit,
    table,
    min: r.range?.min ?? table?.min ?? -Infinity,
    max: r.range?.max ?? table?.max ?? Infinity,
    limitedTo: r.limitedTo?.length ? r.limitedTo : null,
    fixedU2: fixedU.reduce((sum, u) => sum + u * u, 0),
    hasFixedU: fixedU.length > 0,
    hasU: fixedU.length > 0 || r.errorTable.some((p) => p.U !== undefined),
  };
}

/**
 * The calibration of one channel (or of a whole instrument): its status timeline and, per reading,
 * the correction and uncertainty of the record in force at the reading's timestamp. The tag
 * object is shared by every reading of one status window (one per day at most) and the record's
 * table is prepared once, so tagging costs a few comparisons and, with a table, one interpolation.
 */
export class ChannelCalibration {
  private from = Infinity;
  private to = -Infinity;
  private segment: StatusSegment | null = null;
  private tagIn: CalTag | null = null;
  private tagOut: CalTag | null = null;
  private prepared: Prepared | null = null;
  private readonly preparedByRecord = new Map<CalibrationRecord, Prepared>();

  constructor(
    private segments: StatusSegment[],
    private manual: ManualState | null = null,
  ) {}

  /** New records or a manual change: the cached window is no longer right. */
  reset(segments: StatusSegment[], manual: ManualState | null): void {
    this.segments = segments;
    this.manual = manual;
    this.from = Infinity;
    this.to = -Infinity;
    this.preparedByRecord.clear();
  }

  /** The tag at ts for a reading inside the record's range (what status topics show). */
  tagAt(ts: number): CalTag {
    if (ts < this.from || ts >= this.to) this.recompute(ts);
    return this.tagIn!;
  }

  statusSegmentAt(ts: number): StatusSegment {
    if (ts < this.from || ts >= this.to) this.recompute(ts);
    return this.segment!;
  }

  /** Tags, corrects and sets the uncertainty of one reading, in place. */
  apply(r: Reading): void {
    const tag = this.tagAt(r.ts);
    const raw = r.raw;
    const p = this.prepared;
    if (typeof raw !== 'number' || p === null || r.quality === 'bad' || r.unit !== p.unit) {
      r.cal = tag;
      return;
    }
    if (raw < p.min || raw > p.max || (p.limitedTo !== null && !p.limitedTo.some((l) => raw >= l.min && raw <= l.max))) {
      // Outside what the certificate covers: the value stays raw and is not traceable.
      r.cal = this.tagOut!;
      return;
    }
    r.cal = tag;
    if (p.table) r.value = raw - errorAt(p.table, raw);
    if (p.hasU) {
      // Root sum of squares (GUM), with the fixed components summed once per record.
      const uCert = p.table ? certificateUAt(p.table, raw) : Number.NaN;
      const certKnown = Number.isFinite(uCert);
      if (certKnown || p.hasFixedU) {
        r.u = Math.sqrt((certKnown ? uCert * uCert : 0) + p.fixedU2);
        r.k = REPORTED_K;
      }
    }
  }

  private recompute(ts: number): void {
    const seg = segmentAt(this.segments, ts);
    let from = Math.max(seg.from, startOfLocalDay(ts));
    let to = Math.min(seg.to, startOfNextLocalDay(ts));
    let status = seg.status;
    const m = this.manual;
    if (m) {
      if (ts >= m.since) {
        status = m.status;
        from = Math.max(from, m.since);
      } else {
        to = Math.min(to, m.since);
      }
    }
    const record = seg.record;
    this.from = from;
    this.to = to;
    this.segment = seg;
    const base = {
      status,
      certificate: record?.certificate ?? null,
      laboratory: record?.laboratory ?? null,
      due: record?.due ?? null,
      daysToDue: record ? calendarDaysBetween(ts, localMidnight(record.due)) : null,
    };
    const traceable = TRACEABLE.has(status);
    this.tagIn = Object.freeze({ ...base, traceable });
    this.tagOut = traceable ? Object.freeze({ ...base, traceable: false }) : this.tagIn;
    if (record) {
      let p = this.preparedByRecord.get(record);
      if (!p) this.preparedByRecord.set(record, (p = prepare(record)));
      this.prepared = p;
    } else {
      this.prepared = null;
    }
  }
}
