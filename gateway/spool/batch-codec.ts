import { PrefixCache } from '../prefix-cache.js';
import type { CalStatus, CalTag, Quality, Reading, ReadingBatch, ReadingValue } from '../reading.js';

/**
 * How a reading batch is stored in the spool: a compact JSON array, not the wire message, because
 * every byte is written (and counted by the quota) once per poll cycle. The calibration tag, shared
 * by the readings of one status window, is stored once per batch and referenced by index.
 *
 *   cal: [status, certificate, due, daysToDue, traceable, laboratory?]
 *   [1, site, instrument, [cal, ...], [[channel, quantity, unit, ts, seq, raw, value, quality,
 *                                        reason|null, u|null, k|null, calIndex, rawUnit?], ...]]
 *
 * Version 1. Non-finite numbers are stored as null, as the wire format sends them. rawUnit (a
 * sensor read in another quantity than the measurand) is left off when absent, so older entries
 * decode unchanged.
 */
const CODEC_VERSION = 1;

type StoredReading = [
  string,
  string,
  string,
  number,
  number,
  ReadingValue,
  ReadingValue,
  Quality,
  string | null,
  number | null,
  number | null,
  number,
  string?,
];
/**
 * The sixth element is the not-traceable reason, the seventh the certificate's laboratory; each is
 * null or left off when absent (trailing ones left off), so older entries decode unchanged.
 */
type StoredCal = [CalStatus, string | null, string | null, number | null, boolean, (string | null)?, (string | null)?];
type StoredBatch = [number, string, string, StoredCal[], StoredReading[]];

function num(v: number | undefined): string {
  return v !== undefined && Number.isFinite(v) ? String(v) : 'null';
}

function value(v: ReadingValue): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

function str(s: string): string {
  // Most ids, quantities and units need no escaping; JSON.stringify is the slow path.
  return /^[\w .:/+%°()-]*$/.test(s) ? `"${s}"` : JSON.stringify(s);
}

const identity = new PrefixCache((channel, quantity, unit) => `[${str(channel)},${str(quantity)},${str(unit)}`);

function storedCal(t: CalTag): StoredCal {
  const stored: StoredCal = [t.status, t.certificate, t.due, t.daysToDue, t.traceable];
  if (t.reason !== undefined || t.laboratory !== undefined) stored.push(t.reason ?? null);
  if (t.laboratory !== undefined) stored.push(t.laboratory);
  return stored;
}

export function encodeBatch(batch: ReadingBatch): string {
  const cals: CalTag[] = [];
  let rows = '';
  const rs = batch.readings;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    let c = cals.indexOf(r.cal);
    if (c < 0) c = cals.push(r.cal) - 1;
    if (i > 0) rows += ',';
    rows +=
      identity.get(r.channel, r.quantity, r.unit) +
      `,${r.ts},${r.seq},${value(r.raw)},${value(r.value)},"${r.quality}"` +
      `,${r.reason === undefined ? 'null' : JSON.stringify(r.reason)},${num(r.u)},${num(r.k)},${c}${r.rawUnit === undefined ? '' : ',' + str(r.rawUnit)}]`;
  }
  const calText = cals.map((t) => JSON.stringify(storedCal(t))).join(',');
  return `[${CODEC_VERSION},${str(batch.site)},${str(batch.instrument)},[${calText}],[${rows}]]`;
}

/** Throws with a message naming the problem when the payload is not a stored batch. */
export function decodeBatch(payload: string): ReadingBatch {
  const doc = JSON.parse(payload) as StoredBatch;
  if (!Array.isArray(doc) || doc[0] !== CODEC_VERSION || !Array.isArray(doc[3]) || !Array.isArray(doc[4])) {
    throw new Error(`not a spooled batch of version ${CODEC_VERSION}`);
  }
  const [, site, instrument, storedCals, rows] = doc;
  const cals: CalTag[] = storedCals.map(([status, certificate, due, daysToDue, traceable, calReason, laboratory]) => {
    const tag: CalTag = { status, certificate, due, daysToDue, traceable };
    // null is the contract's "no laboratory stated", kept as such; absent only in older entries.
    if (laboratory !== undefined) tag.laboratory = laboratory;
    if (typeof calReason === 'string') tag.reason = calReason;
    return Object.freeze(tag);
  });
  const readings: Reading[] = new Array<Reading>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [channel, quantity, unit, ts, seq, raw, val, quality, reason, u, k, c, rawUnit] = rows[i]!;
    const r: Reading = { site, instrument, channel, quantity, unit, ts, seq, raw, value: val, quality, cal: cals[c]! };
    if (reason !== null) r.reason = reason;
    if (rawUnit !== undefined) r.rawUnit = rawUnit;
    if (u !== null) r.u = u;
    if (k !== null) r.k = k;
    readings[i] = r;
  }
  return { site, instrument, readings };
}
