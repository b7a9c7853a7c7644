/**
 * The one data contract from driver to sink. Drivers create Readings with `value === raw` and
 * `cal === UNTAGGED`; the calibration tagger fills `value`, `u`, `k` and `cal` in place (no copy on
 * the hot path); sinks serialise them.
 */
export type Quality = 'good' | 'uncertain' | 'bad';

export type CalStatus =
  | 'valid'
  | 'due_soon'
  | 'expired'
  | 'out_of_tolerance'
  | 'limited'
  | 'out_of_service'
  | 'quarantined'
  | 'uncalibrated';

export interface CalTag {
  status: CalStatus;
  /** Certificate id of the record valid at the reading's timestamp, null when none. */
  certificate: string | null;
  /**
   * The laboratory that issued that certificate (a number is unique only within its laboratory):
   * with `certificate`, the reference a platform resolves in the roster's certificate list.
   * null when the record names none; absent where no record was looked up.
   */
  laboratory?: string | null;
  /** Due date of that record, ISO date (YYYY-MM-DD), null when none. */
  due: string | null;
  /** Whole days from the reading's timestamp to the due date (negative once expired). */
  daysToDue: number | null;
  /** False when expired, out of tolerance, uncalibrated, out of service or outside the calibrated range. */
  traceable: boolean;
  /**
   * Why this reading is not traceable although its status is (valid, due_soon, limited): outside
   * the validity range, no certificate uncertainty at this value, a unit the record does not cover,
   * not a number, a record stating neither range nor table; for quarantined and out_of_service, why
   * it was taken out of use (`quarantined: check bath-pair: CUSUM …`). Absent otherwise.
   */
  reason?: string;
}

export type ReadingValue = number | boolean | string | null;

export interface Reading {
  site: string;
  instrument: string;
  channel: string;
  quantity: string;
  unit: string;
  /** Source timestamp, ms since epoch (the gateway's receive time where the device has no clock). */
  ts: number;
  /** Per-instrument sequence number, +1 for every reading the instrument produces. */
  seq: number;
  /** As decoded, after register scaling; null when quality is bad and nothing was read. */
  raw: ReadingValue;
  /**
   * The unit of `raw` when the channel's sensor is read in another quantity than the measurand
   * (a PRT in Ω, a thermocouple in mV, a transmitter in mA: the channel's `characteristic`);
   * absent when raw is in `unit`.
   */
  rawUnit?: string;
  /** After calibration correction. */
  value: ReadingValue;
  quality: Quality;
  /** Why quality is not good: `timeout`, `exception:2 (illegal data address)`, `disconnected`, ... */
  reason?: string;
  /** Combined standard uncertainty, in `unit` (of the measurand, also when raw is in `rawUnit`). */
  u?: number;
  /** Coverage factor: expanded uncertainty U = k·u. */
  k?: number;
  cal: CalTag;
}

/** Placeholder carried from the driver until the tagger runs; never leaves the pipeline. */
export const UNTAGGED: CalTag = Object.freeze({
  status: 'uncalibrated',
  certificate: null,
  due: null,
  daysToDue: null,
  traceable: false,
}) as CalTag;

/** One poll cycle (or one subscription delivery) of one instrument. */
export interface ReadingBatch {
  site: string;
  instrument: string;
  readings: Reading[];
  /** The spool's stream epoch (spool.ts): with site, gateway and instrument, what a seq counts in. */
  epoch?: string;
}

/** What a driver knows of the channel a reading comes from. */
export interface ChannelIdentity {
  id: string;
  quantity: string;
  unit: string;
}

/**
 * A fresh reading as every driver produces it: `value === raw`, untagged, `seq` 0 (the driver
 * numbers a cycle's readings once they are all made, the pipeline continues the numbering).
 */
export function newReading(
  site: string,
  instrument: string,
  ch: ChannelIdentity,
  ts: number,
  raw: ReadingValue,
  quality: Quality,
  reason?: string,
): Reading {
  const r: Reading = { site, instrument, channel: ch.id, quantity: ch.quantity, unit: ch.unit, ts, seq: 0, raw, value: raw, quality, cal: UNTAGGED };
  if (reason !== undefined) r.reason = reason;
  return r;
}
