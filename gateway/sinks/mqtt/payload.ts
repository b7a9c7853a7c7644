import { PrefixCache } from '../../prefix-cache.js';
import { READING_BATCH_VERSION, type CalTag, type Reading, type ReadingBatch } from '../../contract/reading.js';

/**
 * The data message: the contract's ReadingBatchSchema (gateway/contract/reading.ts), published as
 * gateway/schemas/reading-batch.schema.json; test/unit/mqtt-payload.test.ts holds the two equal.
 * Hand-assembled instead of JSON.stringify over a mapped copy: it runs for every reading, the
 * batch-level fields (site, instrument) are written once rather than per reading, and the
 * calibration tag, shared by all readings in one status window, is serialised once per window.
 */
export const PAYLOAD_VERSION = READING_BATCH_VERSION;

const calJson = new WeakMap<CalTag, string>();

function serialiseCal(cal: CalTag): string {
  let s = calJson.get(cal);
  if (s === undefined) {
    s = JSON.stringify({
      status: cal.status,
      certificate: cal.certificate,
      ...(cal.laboratory !== undefined ? { laboratory: cal.laboratory } : {}),
      due: cal.due,
      daysToDue: cal.daysToDue,
      traceable: cal.traceable,
      ...(cal.reason !== undefined && { reason: cal.reason }),
    });
    calJson.set(cal, s);
  }
  return s;
}

function num(v: number): string {
  // JSON has no NaN/Infinity; a device can still send them (float32 0x7FC00000).
  return Number.isFinite(v) ? String(v) : 'null';
}

function value(v: Reading['value']): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

const identity = new PrefixCache(
  (channel, quantity, unit) => `{"channel":${JSON.stringify(channel)},"quantity":${JSON.stringify(quantity)},"unit":${JSON.stringify(unit)}`,
);

function serialiseReading(r: Reading): string {
  let s = identity.get(r.channel, r.quantity, r.unit) + `,"ts":${r.ts},"seq":${r.seq},"raw":${value(r.raw)},"value":${value(r.value)},"quality":"${r.quality}"`;
  if (r.rawUnit !== undefined) s += `,"rawUnit":${JSON.stringify(r.rawUnit)}`;
  if (r.reason !== undefined) s += `,"reason":${JSON.stringify(r.reason)}`;
  if (r.u !== undefined) s += `,"u":${num(r.u)}`;
  if (r.k !== undefined) s += `,"k":${num(r.k)}`;
  return s + `,"cal":${serialiseCal(r.cal)}}`;
}

export function serialiseBatch(batch: ReadingBatch, gateway: string): string {
  let s = `{"v":${PAYLOAD_VERSION},"site":${JSON.stringify(batch.site)},"gateway":${JSON.stringify(gateway)},"instrument":${JSON.stringify(batch.instrument)},`;
  if (batch.epoch !== undefined) s += `"epoch":${JSON.stringify(batch.epoch)},`;
  s += '"readings":[';
  const rs = batch.readings;
  for (let i = 0; i < rs.length; i++) {
    if (i > 0) s += ',';
    s += serialiseReading(rs[i]!);
  }
  return s + ']}';
}

/** The parsed form of a data message, as consumers (the ingest role) see it: the contract's. */
export type { WireBatch, WireReading } from '../../contract/reading.js';
