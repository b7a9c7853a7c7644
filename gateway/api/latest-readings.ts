import type { Quality, ReadingBatch, ReadingValue } from '../reading.js';
import type { InstrumentInfo } from './api-deps.js';

/** The latest reading of one channel, as the API shows it. */
export interface LatestReading {
  value: ReadingValue;
  raw: ReadingValue;
  /** The unit of raw when the channel's sensor is read in another quantity (a characteristic); null when raw is in unit. */
  rawUnit: string | null;
  unit: string;
  u: number | null;
  k: number | null;
  quality: Quality;
  reason: string | null;
  ts: number;
  seq: number;
}

interface ChannelSlot {
  latest: LatestReading | null;
  /** Ring of the last numeric values, for the page's trend. */
  trend: Float64Array;
  trendStart: number;
  trendLength: number;
}

/**
 * The latest reading per channel and a short trend, fed by the pipeline's live batches. The
 * pipeline owns the Reading objects, so their fields are copied into slots allocated once per
 * channel: keeping up costs no allocation per reading.
 */
export class LatestReadings {
  private readonly slots = new Map<string, Map<string, ChannelSlot>>();

  constructor(
    instruments: readonly InstrumentInfo[],
    private readonly trendPoints: number,
  ) {
    this.setInstruments(instruments);
  }

  /** After a hot reload: slots for new instruments and channels; what is gone is forgotten. */
  setInstruments(instruments: readonly InstrumentInfo[]): void {
    const keep = new Set(instruments.map((i) => i.id));
    for (const id of [...this.slots.keys()]) if (!keep.has(id)) this.slots.delete(id);
    for (const inst of instruments) {
      const before = this.slots.get(inst.id);
      const channels = new Map<string, ChannelSlot>();
      for (const ch of inst.channels) {
        channels.set(ch.id, before?.get(ch.id) ?? { latest: null, trend: new Float64Array(this.trendPoints), trendStart: 0, trendLength: 0 });
      }
      this.slots.set(inst.id, channels);
    }
  }

  readonly take = (batch: ReadingBatch): void => {
    const channels = this.slots.get(batch.instrument);
    if (!channels) return;
    for (const r of batch.readings) {
      const slot = channels.get(r.channel);
      if (!slot) continue;
      const l = (slot.latest ??= { value: null, raw: null, rawUnit: null, unit: '', u: null, k: null, quality: 'bad', reason: null, ts: 0, seq: 0 });
      l.value = r.value;
      l.raw = r.raw;
      l.rawUnit = r.rawUnit ?? null;
      l.unit = r.unit;
      l.u = r.u ?? null;
      l.k = r.k ?? null;
      l.quality = r.quality;
      l.reason = r.reason ?? null;
      l.ts = r.ts;
      l.seq = r.seq;
      if (typeof r.value === 'number' && Number.isFinite(r.value)) this.push(slot, r.value);
    }
  };

  latest(instrument: string, channel: string): LatestReading | null {
    const l = this.slots.get(instrument)?.get(channel)?.latest;
    return l ? { ...l } : null;
  }

  /** Oldest first. */
  trend(instrument: string, channel: string): number[] {
    const slot = this.slots.get(instrument)?.get(channel);
    if (!slot) return [];
    const out = new Array<number>(slot.trendLength);
    for (let i = 0; i < slot.trendLength; i++) out[i] = slot.trend[(slot.trendStart + i) % this.trendPoints]!;
    return out;
  }

  private push(slot: ChannelSlot, v: number): void {
    if (slot.trendLength < this.trendPoints) {
      slot.trend[(slot.trendStart + slot.trendLength) % this.trendPoints] = v;
      slot.trendLength++;
    } else {
      slot.trend[slot.trendStart] = v;
      slot.trendStart = (slot.trendStart + 1) % this.trendPoints;
    }
  }
}
