import type { CalStatus, CalTag, Reading } from '../reading.js';
import type { Characteristic } from './characteristic/characteristic.js';
import { calendarDaysBetween, localMidnight, startOfLocalDay, startOfNextLocalDay } from './calendar.js';
import { mpeAt } from './decision.js';
import { certificateUAtLast, errorAt, prepareTable, type PreparedTable } from './error-table.js';
import type { CalibrationRecord, Mpe } from './record.js';
import { segmentAt, type StatusSegment } from './status-timeline.js';
import { REPORTED_K, resolutionU } from './uncertainty.js';

const TRACEABLE: ReadonlySet<CalStatus> = new Set(['valid', 'due_soon', 'limited']);
const YEAR_MS = 365.25 * 86_400_000;
const SQRT3 = Math.sqrt(3);

/** Why a reading is not traceable although its status is: the `cal.reason` readings carry. */
export const NOT_TRACEABLE = {
  outsideRange: 'outside the validity range',
  outsideLimited: 'outside the ranges the limited instrument may be used in',
  noCertificateU: 'no uncertainty stated by the certificate at this value',
  notANumber: 'not a number',
  notNumeric: 'not a numeric measurement (a flag or a text): no calibration covers it',
  noScope: 'the record states neither a validity range nor an error table',
  outsideCharacteristic: 'the corrected indication is outside the sensor characteristic',
  noMeasurand: "no measurand from the sensor characteristic (the reading's reason says why)",
} as const;

/** A manual status (quarantine, out of service) in force from `since` on. */
export interface ManualState {
  status: 'quarantined' | 'out_of_service';
  since: number;
  /** Why (who quarantined it, which check failed): carried by every reading as `cal.reason`. */
  reason?: string;
}

/**
 * A channel's uncertainty budget on top of whatever record is in force (imported or not): all
 * standard uncertainties, in the channel's unit. `resolution` replaces the record's.
 */
export interface ChannelBudget {
  /** Standard uncertainty the instrument drifts per year; counted from the record's calibration date. */
  driftPerYear?: number;
  resolution?: number;
  components?: { name: string; u: number }[];
}

/** What one record contributes to a reading, prepared once per record. */
interface Prepared {
  /** The record's unit: it covers only readings in that unit. */
  unit: string;
  /** The error table; a verification's is judged, never applied. */
  table: PreparedTable | null;
  /** A verification: no correction, u includes MPE(x)/√3. */
  verificationMpe: Mpe | null;
  /** The validity range, of the measurand (the corrected value); ±Infinity with neither range nor table. */
  min: number;
  max: number;
  /** Neither a range nor a table: nothing says what the record covers. */
  noScope: boolean;
  limitedTo: { min: number; max: number }[] | null;
  /** Sum of squares of the record's components that do not depend on the value (resolution, extras), in the record's unit. */
  recordU2: number;
  /** Sum of squares of the budget's components (resolution, components), in the channel's unit. */
  budgetU2: number;
  hasFixedU: boolean;
  /** Drift, standard uncertainty per ms since `calibratedAt` (0: none). */
  driftPerMs: number;
  calibratedAt: number;
}

function prepare(r: CalibrationRecord, budget: ChannelBudget | undefined): Prepared {
  const table = prepareTable(r.errorTable);
  // The budget's resolution replaces the record's; the two are kept apart because a record in the
  // sensor quantity (Ω) is in another unit than the budget (always the channel's).
  const recordU = [...(budget?.resolution === undefined && r.resolution ? [resolutionU(r.resolution)] : []), ...(r.extraUncertainty ?? []).map((c) => c.u)];
  const budgetU = [...(budget?.resolution ? [resolutionU(budget.resolution)] : []), ...(budget?.components ?? []).map((c) => c.u)];
  const sumSquares = (xs: number[]) => xs.reduce((sum, u) => sum + u * u, 0);
  const refs = r.errorTable.map((p) => p.reference);
  return {
    unit: r.unit,
    table,
    verificationMpe: r.kind === 'verification' && r.mpe !== undefined ? r.mpe : null,
    // The stated range, widened to the calibrated points themselves: a point the certificate
    // measured (reference −0.1 for a nominal 0 of a "0 to 100" range) is always covered.
    min: Math.min(r.range?.min ?? Infinity, ...refs),
    max: Math.max(r.range?.max ?? -Infinity, ...refs),
    noScope: !r.range && refs.length === 0,
    limitedTo: r.limitedTo?.length ? r.limitedTo : null,
    recordU2: sumSquares(recordU),
    budgetU2: sumSquares(budgetU),
    hasFixedU: recordU.length + budgetU.length > 0,
    driftPerMs: (budget?.driftPerYear ?? 0) / YEAR_MS,
    calibratedAt: localMidnight(r.calibrated),
  };
}

/**
 * The calibration of one channel (or of a whole instrument): its status timeline and, per reading,
 * the correction and uncertainty of the record in force at the reading's timestamp. The tag
 * objects are shared by every reading of one status window (one per day at most) and the record's
 * table is prepared once, so tagging costs a few comparisons and, with a table, one interpolation.
 */
export class ChannelCalibration {
  private from = Infinity;
  private to = -Infinity;
  private segment: StatusSegment | null = null;
  private tagIn: CalTag | null = null;
  /** Not-traceable variants of tagIn, by reason (and by unit for unit mismatches). */
  private readonly tagsOut = new Map<string, CalTag>();
  private readonly tagsUnit = new Map<string, CalTag>();
  private prepared: Prepared | null = null;
  private readonly preparedByRecord = new Map<CalibrationRecord, Prepared>();

  constructor(
    private segments: StatusSegment[],
    private manual: ManualState | null = null,
    private budget?: ChannelBudget,
  ) {}

  /** New records or a manual change: the cached window is no longer right. */
  reset(segments: StatusSegment[], manual: ManualState | null, budget?: ChannelBudget): void {
    this.segments = segments;
    this.manual = manual;
    this.budget = budget;
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

  /**
   * Tags, corrects and sets the uncertainty of one reading, in place. `characteristic`: the
   * channel's sensor characteristic, whose measurand the sensor conversion already put in `value`.
   *
   * Which quantity the correction works in follows what the certificate calibrated:
   * - a record in the channel's unit (°C) calibrated the sensor against reference temperatures
   *   (an imported PRT certificate, whose Ω indications the importer turned into the
   *   characteristic's °C): its indication is the measurand, `value` before correction, never raw;
   * - a record in the sensor quantity (Ω) calibrated the readout as an ohmmeter against reference
   *   resistors: the error is the readout's, so raw is corrected in Ω first and only the corrected
   *   resistance goes through the characteristic; its U (and resolution, extras, MPE), stated in
   *   Ω, enters u multiplied by the sensitivity |dT/dR| at that resistance (GUM 5.1.3).
   * Correcting the other way round would apply an ohmmeter's error to a temperature (or a
   * sensor's temperature deviation to a resistance): wrong by the slope, 0.39 Ω/°C for a Pt100.
   */
  apply(r: Reading, characteristic?: Characteristic): void {
    const tag = this.tagAt(r.ts);
    const p = this.prepared;
    const inSensorQuantity = characteristic !== undefined && p !== null && p.unit === characteristic.sensorUnit && p.unit !== r.unit;
    const indication = characteristic === undefined || inSensorQuantity ? r.raw : r.value;
    if (p === null || r.quality === 'bad' || indication === null) {
      // A sensor's number the characteristic could not turn into a measurand was read, but no
      // value stands for it: traceable would claim a value that is not there.
      r.cal = indication === null && r.raw !== null && r.quality !== 'bad' ? this.out(NOT_TRACEABLE.noMeasurand) : tag;
      return;
    }
    if (typeof indication !== 'number') {
      r.cal = this.out(NOT_TRACEABLE.notNumeric);
      return;
    }
    if (r.unit !== p.unit && !inSensorQuantity) {
      r.cal = this.outOfUnit(r.unit, p.unit);
      return;
    }
    if (!Number.isFinite(indication)) {
      r.cal = this.out(NOT_TRACEABLE.notANumber);
      return;
    }
    if (p.noScope) {
      r.cal = this.out(NOT_TRACEABLE.noScope);
      return;
    }
    // The validity range is the measurand's (of the record's quantity): compared with the corrected value, not the indication.
    const corrected = p.table !== null && p.verificationMpe === null ? indication - errorAt(p.table, indication) : indication;
    if (corrected < p.min || corrected > p.max) {
      r.cal = this.out(NOT_TRACEABLE.outsideRange);
      return;
    }
    if (p.limitedTo !== null && !p.limitedTo.some((l) => corrected >= l.min && corrected <= l.max)) {
      r.cal = this.out(NOT_TRACEABLE.outsideLimited);
      return;
    }
    const value = inSensorQuantity ? characteristic.measurand(corrected) : corrected;
    const c = inSensorQuantity ? Math.abs(characteristic.sensitivity(corrected)) : 1;
    if (!Number.isFinite(value) || !Number.isFinite(c)) {
      r.cal = this.out(NOT_TRACEABLE.outsideCharacteristic);
      return;
    }
    r.value = value;
    // Root sum of squares of standard uncertainties (GUM), the fixed ones summed once per record;
    // the record's in its own unit, brought into the channel's by the sensitivity c.
    let recordU2 = p.recordU2;
    let known = p.hasFixedU;
    if (p.verificationMpe !== null) {
      const m = mpeAt(p.verificationMpe, corrected) / SQRT3;
      recordU2 += m * m;
      known = true;
    } else if (p.table !== null) {
      // errorAt(indication) located it in the table just above: the same place gives u.
      const uCert = certificateUAtLast(p.table);
      if (Number.isNaN(uCert)) {
        r.cal = this.out(NOT_TRACEABLE.noCertificateU);
        return;
      }
      recordU2 += uCert * uCert;
      known = true;
    }
    let u2 = c * c * recordU2 + p.budgetU2;
    if (p.driftPerMs > 0) {
      const d = p.driftPerMs * Math.max(0, r.ts - p.calibratedAt);
      u2 += d * d;
      known = true;
    }
    if (known) {
      r.u = Math.sqrt(u2);
      r.k = REPORTED_K;
    }
    r.cal = tag;
  }

  private out(reason: string): CalTag {
    const tag = this.tagIn!;
    if (!tag.traceable) return tag;
    let t = this.tagsOut.get(reason);
    if (!t) this.tagsOut.set(reason, (t = Object.freeze({ ...tag, traceable: false, reason })));
    return t;
  }

  private outOfUnit(unit: string, recordUnit: string): CalTag {
    const tag = this.tagIn!;
    if (!tag.traceable) return tag;
    let t = this.tagsUnit.get(unit);
    if (!t) this.tagsUnit.set(unit, (t = Object.freeze({ ...tag, traceable: false, reason: `unit "${unit}" is not the record's unit "${recordUnit}"` })));
    return t;
  }

  private recompute(ts: number): void {
    const seg = segmentAt(this.segments, ts);
    let from = Math.max(seg.from, startOfLocalDay(ts));
    let to = Math.min(seg.to, startOfNextLocalDay(ts));
    let status = seg.status;
    let reason: string | undefined;
    const m = this.manual;
    if (m) {
      if (ts >= m.since) {
        status = m.status;
        if (m.reason !== undefined) reason = `${m.status}: ${m.reason}`;
        from = Math.max(from, m.since);
      } else {
        to = Math.min(to, m.since);
      }
    }
    const record = seg.record;
    this.from = from;
    this.to = to;
    this.segment = seg;
    this.tagIn = Object.freeze({
      status,
      certificate: record?.certificate ?? null,
      laboratory: record?.laboratory ?? null,
      due: record?.due ?? null,
      daysToDue: record ? calendarDaysBetween(ts, localMidnight(record.due)) : null,
      traceable: TRACEABLE.has(status),
      ...(reason !== undefined && { reason }),
    });
    this.tagsOut.clear();
    this.tagsUnit.clear();
    if (record) {
      let p = this.preparedByRecord.get(record);
      if (!p) this.preparedByRecord.set(record, (p = prepare(record, this.budget)));
      this.prepared = p;
    } else {
      this.prepared = null;
    }
  }
}
