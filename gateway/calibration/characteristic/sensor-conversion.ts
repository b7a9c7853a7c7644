/**
 * The pipeline stage that turns a sensor's quantity into the measurand: a channel with a
 * `characteristic` keeps the device's number in `raw` (with `rawUnit`: Ω, mV, mA) and gets the
 * measurand (°C) in `value`, before the calibration engine corrects and tags it. Nothing is
 * dropped: an indication the characteristic does not cover keeps its raw value and becomes
 * `uncertain` with value null and a reason.
 */
import type { Reading } from '../../reading.js';
import type { CharacteristicConfig } from './characteristic-config.js';
import { buildCharacteristic, type Characteristic } from './characteristic.js';

interface CharacteristicInstrument {
  id: string;
  channels: readonly { id: string; characteristic?: CharacteristicConfig }[];
}

export type TagWith = (r: Reading, characteristic: Characteristic | undefined) => void;

function noMeasurand(r: Reading, reason: string): void {
  r.value = null;
  if (r.quality === 'good') r.quality = 'uncertain';
  r.reason = r.reason === undefined ? reason : `${r.reason}; ${reason}`;
}

/** Sets value to the measurand (or explains why there is none); raw stays as the device gave it. */
export function convertReading(r: Reading, c: Characteristic, coldJunction?: number): void {
  r.rawUnit = c.sensorUnit;
  if (r.quality === 'bad' || r.raw === null) return;
  if (typeof r.raw !== 'number' || !Number.isFinite(r.raw)) return noMeasurand(r, 'not a number: the sensor characteristic needs one');
  const m = c.measurand(r.raw, coldJunction);
  if (Number.isFinite(m)) r.value = m;
  else noMeasurand(r, `${r.raw} ${c.sensorUnit} is outside the sensor characteristic`);
}

/**
 * The cold junction channel's own u enters the thermocouple's by ∂t/∂t_cj = S(t_cj)/S(t) (GUM
 * 5.1.3), root sum of squares. Only onto a u already known: alone it would pass for the whole.
 */
function addColdJunctionU(r: Reading, c: Characteristic, cj: Reading): void {
  if (r.u === undefined || cj.u === undefined || typeof r.value !== 'number' || typeof cj.value !== 'number') return;
  const ratio = c.coldJunctionSensitivity?.(r.value, cj.value) ?? NaN;
  if (Number.isFinite(ratio)) r.u = Math.hypot(r.u, ratio * cj.u);
}

/**
 * The characteristic with this cycle's junction temperature bound in: a readout's certificate in
 * mV makes the calibration engine convert the corrected emf itself, and without the junction
 * every reading came out outside the characteristic (not traceable).
 */
function atJunction(c: Characteristic, t0: number): Characteristic {
  return { ...c, measurand: (e) => c.measurand(e, t0), sensitivity: (e) => c.sensitivity(e, t0) };
}

export class SensorCharacteristics {
  /** Per instrument, its channels with a characteristic; instruments without one are absent. */
  private readonly byInstrument = new Map<string, Map<string, Characteristic>>();

  constructor(instruments: readonly CharacteristicInstrument[]) {
    this.setInstruments(instruments);
  }

  /** The config checks (check-characteristics.ts) already refused what cannot be built. */
  setInstruments(instruments: readonly CharacteristicInstrument[]): void {
    this.byInstrument.clear();
    for (const inst of instruments) {
      const own = new Map<string, Characteristic>();
      for (const ch of inst.channels) if (ch.characteristic) own.set(ch.id, buildCharacteristic(ch.characteristic));
      if (own.size > 0) this.byInstrument.set(inst.id, own);
    }
  }

  of(instrument: string, channel: string): Characteristic | undefined {
    return this.byInstrument.get(instrument)?.get(channel);
  }

  /**
   * Converts and tags one instrument's batch in place. A thermocouple whose cold junction is
   * another channel is done last, with that channel's calibrated value from the same batch (the
   * same poll cycle): a junction temperature from another cycle would be a guess.
   */
  convertAndTag(instrument: string, readings: readonly Reading[], tag: TagWith): void {
    const own = this.byInstrument.get(instrument);
    if (own === undefined) {
      for (const r of readings) tag(r, undefined);
      return;
    }
    let later: Reading[] | undefined;
    for (const r of readings) {
      const c = own.get(r.channel);
      if (c?.coldJunctionChannel !== undefined) (later ??= []).push(r);
      else {
        if (c) convertReading(r, c);
        tag(r, c);
      }
    }
    for (const r of later ?? []) {
      const c = own.get(r.channel)!;
      const cj = readings.find((x) => x.channel === c.coldJunctionChannel);
      if (cj && typeof cj.value === 'number' && cj.quality !== 'bad') {
        convertReading(r, c, cj.value);
        tag(r, atJunction(c, cj.value));
        addColdJunctionU(r, c, cj);
        continue;
      }
      r.rawUnit = c.sensorUnit;
      if (r.quality !== 'bad' && r.raw !== null) noMeasurand(r, `no cold junction temperature from channel ${c.coldJunctionChannel} in this cycle`);
      tag(r, c);
    }
  }
}
