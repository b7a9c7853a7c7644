/**
 * What the driver keeps of an OPC UA DataValue, in plain types, and how it becomes a Reading.
 * Nothing here knows node-opcua: ua-values.ts converts its DataValues into UaSamples.
 */
import { newReading, type Quality, type UntaggedReading, type ReadingValue } from '../../gateway/reading.js';
import type { TimestampSource } from './config.js';

export interface UaSample {
  /** The decoded scalar; null when the status is Bad or the value has no Reading form. */
  value: ReadingValue;
  /** Why a Good or Uncertain value could not be represented (arrays, structures, byte strings). */
  unsupported?: string;
  /** The 32-bit OPC UA StatusCode. */
  status: number;
  /** Its name, e.g. `BadSensorFailure`, `UncertainLastUsableValue`. */
  statusName: string;
  /** ms since epoch, null when the server sent none. */
  sourceTs: number | null;
  serverTs: number | null;
}

export interface ChannelLabel {
  id: string;
  quantity: string;
  unit: string;
}

/** The top two bits of a StatusCode are its severity: 00 Good, 01 Uncertain, 10 and 11 Bad. */
export function qualityOf(status: number): Quality {
  const severity = status >>> 30;
  if (severity === 0) return 'good';
  return severity === 1 ? 'uncertain' : 'bad';
}

export function timestampOf(sample: UaSample, source: TimestampSource, receivedAt: number): number {
  if (source === 'gateway') return receivedAt;
  if (source === 'server') return sample.serverTs ?? receivedAt;
  return sample.sourceTs ?? sample.serverTs ?? receivedAt;
}

/**
 * A Bad value is never published as a good one: its raw is null and its reason is the code's
 * name. An Uncertain value keeps its number, flagged. `seq` is set by the caller.
 */
export function sampleToReading(
  site: string,
  instrument: string,
  ch: ChannelLabel,
  sample: UaSample,
  timestamps: TimestampSource,
  receivedAt: number,
): UntaggedReading {
  let quality = qualityOf(sample.status);
  let raw: ReadingValue = quality === 'bad' ? null : sample.value;
  let reason: string | undefined = quality === 'good' ? undefined : sample.statusName;
  if (quality !== 'bad' && sample.unsupported !== undefined) {
    quality = 'bad';
    raw = null;
    reason = `unsupported value: ${sample.unsupported}`;
  } else if (quality !== 'bad' && raw === null) {
    quality = 'bad';
    reason = reason === undefined ? 'empty value' : `${reason}, empty value`;
  }
  return newReading(site, instrument, ch, timestampOf(sample, timestamps, receivedAt), raw, quality, reason);
}

/** A reading that carries no value, e.g. `disconnected: …` or a monitored item the server refused. */
export function badReading(site: string, instrument: string, ch: ChannelLabel, ts: number, reason: string): UntaggedReading {
  return newReading(site, instrument, ch, ts, null, 'bad', reason);
}
