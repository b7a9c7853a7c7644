import type { CalEvent } from '../calibration/cal-event.js';
import type { ReadingBatch } from '../reading.js';
import type { GatewayStats } from '../sinks/sink.js';
import { decodeBatch, encodeBatch } from './batch-codec.js';
import type { RecordKind, SpoolInput } from './spool.js';

/**
 * What the spool's one log holds, in order: reading batches (numbered by seq, the delivery
 * guarantee of gap repair and the audit), calibration events and gateway statistics. Events and
 * stats ride the same log and cursors so that a crash or an outage loses none of them either; they
 * carry no reading seq (count 0, lastSeq 0), so they never move an instrument's numbering.
 */
export type SpoolRecord = { kind: 'readings'; batch: ReadingBatch } | { kind: 'event'; event: CalEvent } | { kind: 'stats'; stats: GatewayStats };

/** The instrument an entry belongs to: events name theirs; stats belong to the whole gateway (''). */
export function recordInstrument(record: SpoolRecord): string {
  if (record.kind === 'readings') return record.batch.instrument;
  return record.kind === 'event' ? record.event.instrument : '';
}

/** Readings in the record (0 for events and stats: the spool's depth and drop counts are readings). */
export function recordReadings(record: SpoolRecord): number {
  return record.kind === 'readings' ? record.batch.readings.length : 0;
}

/** The record as the spool stores it (readings in the compact batch codec, the others as JSON). */
export function encodeRecord(record: SpoolRecord): SpoolInput {
  if (record.kind === 'readings') {
    const rs = record.batch.readings;
    let lastSeq = 0;
    for (const r of rs) if (r.seq > lastSeq) lastSeq = r.seq;
    return { instrument: record.batch.instrument, count: rs.length, lastSeq, payload: encodeBatch(record.batch) };
  }
  const payload = JSON.stringify(record.kind === 'event' ? record.event : record.stats);
  return { kind: record.kind, instrument: recordInstrument(record), count: 0, lastSeq: 0, payload };
}

/** Throws with a message naming the problem when the payload is not a stored record of that kind. */
export function decodeRecord(kind: RecordKind, payload: string): SpoolRecord {
  if (kind === 'readings') return { kind, batch: decodeBatch(payload) };
  const doc = JSON.parse(payload) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || typeof (doc as { ts?: unknown }).ts !== 'number') {
    throw new Error(`not a spooled ${kind} record (an object with a numeric ts)`);
  }
  return kind === 'event' ? { kind, event: doc as CalEvent } : { kind, stats: doc as GatewayStats };
}
