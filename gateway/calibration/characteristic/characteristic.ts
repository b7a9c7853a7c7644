/**
 * A sensor characteristic: the indication a device reports (Ω, mV, mA) turned into the measurand
 * the channel states (°C), with the sensitivity coefficient d(measurand)/d(indication) that
 * carries an uncertainty stated in the sensor quantity into the measurand (GUM 5.1.3).
 */
import { cvdSlope, cvdTemperature, type CvdCoefficients } from './callendar-van-dusen.js';
import type { CharacteristicConfig } from './characteristic-config.js';
import { CharacteristicError, tableCharacteristic } from './table-characteristic.js';
import { thermocoupleEmf, thermocoupleSeebeck, thermocoupleTemperature } from './thermocouple-reference.js';

export interface Characteristic {
  readonly sensorUnit: string;
  /**
   * The measurand for an indication; NaN when the indication is outside the characteristic.
   * `coldJunction` (°C) is required by thermocouples whose reference junction is a channel.
   */
  measurand(indication: number, coldJunction?: number): number;
  /** d measurand / d indication at that indication (NaN outside). */
  sensitivity(indication: number, coldJunction?: number): number;
  /** The channel of the same instrument that gives the cold junction, if any. */
  readonly coldJunctionChannel?: string;
  /**
   * Thermocouples: ∂t/∂t_cj = S(t_cj)/S(t), the Seebeck coefficients' ratio at the cold junction
   * and at the measurand t, which carries the junction's own u into t (GUM 5.1.3). NaN outside.
   */
  coldJunctionSensitivity?(measurand: number, coldJunction: number): number;
}

const MV_PER: Readonly<Record<string, number>> = { mV: 1, µV: 1e-3, V: 1e3 };

function guard(f: () => number): number {
  try {
    return f();
  } catch (err) {
    if (err instanceof RangeError) return NaN;
    throw err;
  }
}

/** IEC 60751 defines the equation from −200 °C to 850 °C; beyond it a result means nothing. */
const CVD_RANGE = { min: -200, max: 850 };

function cvd(k: CvdCoefficients): Characteristic {
  const temperature = (r: number): number => {
    const t = guard(() => cvdTemperature(k, r));
    return t >= CVD_RANGE.min && t <= CVD_RANGE.max ? t : NaN;
  };
  return {
    sensorUnit: 'Ω',
    measurand: temperature,
    sensitivity: (r) => 1 / cvdSlope(k, temperature(r)),
  };
}

function thermocouple(c: Extract<CharacteristicConfig, { type: 'thermocouple' }>): Characteristic {
  const unit = c.sensorUnit ?? 'mV';
  const scale = MV_PER[unit]!;
  const cj = c.coldJunction;
  const junction = (given: number | undefined): number => ('temperature' in cj ? cj.temperature : (given ?? NaN));
  // The measuring junction sees E(t) − E(t_cj): add the cold junction's emf back, then invert.
  const temperature = (e: number, t0: number): number => guard(() => thermocoupleTemperature(c.thermocouple, e * scale + thermocoupleEmf(c.thermocouple, t0)));
  return {
    sensorUnit: unit,
    coldJunctionChannel: 'channel' in cj ? cj.channel : undefined,
    measurand: (e, given) => temperature(e, junction(given)),
    sensitivity: (e, given) => guard(() => scale / thermocoupleSeebeck(c.thermocouple, temperature(e, junction(given)))),
    // E(t) − E(t_cj) is what the wire measures: t moves by S(t_cj)/S(t) per kelvin of junction error.
    coldJunctionSensitivity: (t, t0) => guard(() => thermocoupleSeebeck(c.thermocouple, t0) / thermocoupleSeebeck(c.thermocouple, t)),
  };
}

function linear(c: Extract<CharacteristicConfig, { type: 'linear' }>): Characteristic {
  if (c.sensor.max === c.sensor.min) throw new CharacteristicError(`the sensor span ${c.sensor.min}…${c.sensor.max} ${c.sensorUnit} is empty`);
  const slope = (c.measurand.max - c.measurand.min) / (c.sensor.max - c.sensor.min);
  const [lo, hi] = [Math.min(c.sensor.min, c.sensor.max), Math.max(c.sensor.min, c.sensor.max)];
  // A transmitter's live zero (4 mA) makes a reading below it a wiring fault, not a cold bath.
  const inside = (x: number): boolean => x >= lo && x <= hi;
  return {
    sensorUnit: c.sensorUnit,
    measurand: (x) => (inside(x) ? c.measurand.min + slope * (x - c.sensor.min) : NaN),
    sensitivity: (x) => (inside(x) ? slope : NaN),
  };
}

/** Throws CharacteristicError for a characteristic that cannot work (a non-monotonic table). */
export function buildCharacteristic(c: CharacteristicConfig): Characteristic {
  switch (c.type) {
    case 'cvd':
      return cvd({ R0: c.R0, A: c.A, B: c.B, C: c.C ?? 0 });
    case 'thermocouple':
      return thermocouple(c);
    case 'linear':
      return linear(c);
    case 'table': {
      const table = tableCharacteristic(c.points);
      return { sensorUnit: c.sensorUnit, measurand: (x) => table.measurand(x), sensitivity: (x) => table.sensitivity(x) };
    }
  }
}
