/**
 * A sensor's certificate: reference values in the measurand (°C) against the sensor's indication
 * in another quantity (Ω, mV, mA), as PRT and thermocouple certificates state them. The channel's
 * characteristic turns each indication into the measurand, so the record is an error table in the
 * channel's unit (what the characteristic reads at each reference), exact at every calibrated point;
 * a U stated in the sensor quantity is carried into the measurand by the sensitivity at that point
 * (GUM 5.1.3: U_t = |dt/dR| · U_R).
 */
import type { Characteristic } from '../characteristic/characteristic.js';
import { type CharacteristicConfig } from '../characteristic/characteristic-config.js';
import { buildCharacteristic } from '../characteristic/characteristic.js';
import { fitCvd, type CvdFit } from '../characteristic/callendar-van-dusen.js';
import type { ErrorTablePoint } from '../record.js';
import { DccError } from './dcc-error.js';
import { perPoint, readReps, readValues } from './si-values.js';
import { canConvert, clean, parseSymbolUnit, unitLabel, type Unit } from './units.js';
import type { XmlElement } from './xml-tree.js';

/** The table as the certificate states it, in the sensor's quantity. */
export interface SensorTable {
  /** The sensor quantity's symbol: Ω, mV, mA. */
  unit: string;
  points: { reference: number; indication: number; U?: number; k?: number }[];
  /** The channel's characteristic the indications were read through (absent: not imported, shown only). */
  characteristic?: CharacteristicConfig;
  /** Callendar–Van Dusen fitted to the table, for a resistance thermometer (Ω against °C). */
  fit?: CvdFit;
  /** Why no fit was made for a table in Ω (too few points). */
  fitProblem?: string;
}

/** Whether the indication is stated in another quantity than the measurand (and so needs a characteristic). */
export function inSensorQuantity(indication: XmlElement | undefined, unit: Unit): boolean {
  if (!indication) return false;
  const reps = readReps(indication);
  return reps.length > 0 && !reps.some((r) => canConvert(r.unit, unit));
}

function sensorUnitOf(indication: XmlElement, characteristic: CharacteristicConfig | undefined): Unit {
  const own = readReps(indication)[0]!.unit;
  const sensorUnit = characteristic?.sensorUnit ?? (characteristic?.type === 'thermocouple' ? 'mV' : characteristic?.type === 'cvd' ? 'Ω' : undefined);
  if (sensorUnit === undefined) return own;
  const target = parseSymbolUnit(sensorUnit);
  if (!canConvert(own, target))
    throw new DccError(indication.path, `the indication is in ${unitLabel(own)}, but the channel's characteristic reads ${sensorUnit}`);
  return target;
}

function fitOf(points: SensorTable['points'], unit: Unit): Pick<SensorTable, 'fit' | 'fitProblem'> {
  if (!canConvert(unit, parseSymbolUnit('Ω'))) return {};
  const ohm = parseSymbolUnit('Ω');
  try {
    return { fit: fitCvd(points.map((p) => ({ t: p.reference, r: (p.indication * unit.factor) / ohm.factor }))) };
  } catch (err) {
    if (err instanceof RangeError) return { fitProblem: err.message };
    throw err;
  }
}

/**
 * Reads the sensor table and, with the channel's characteristic, the error table in the measurand.
 * Without one it throws a DccError naming both units (the import needs a characteristic to know
 * what the sensor's Ω mean in °C), unless `showOnly` asks for the sensor table alone.
 */
export function readSensorTable(
  c: { reference: XmlElement; indication?: XmlElement; error?: XmlElement },
  unit: Unit,
  characteristic: CharacteristicConfig | undefined,
): { points: ErrorTablePoint[] | null; sensor: SensorTable } {
  const indicationQ = c.indication!;
  if (c.error) {
    throw new DccError(
      c.error.path,
      `an error column beside an indication in ${unitLabel(readReps(indicationQ)[0]!.unit)}: the importer computes the error through the channel's characteristic; a certificate stating both is not supported`,
    );
  }
  const sensorUnit = sensorUnitOf(indicationQ, characteristic);
  const ref = readValues(c.reference, unit, 'absolute');
  const ind = readValues(indicationQ, sensorUnit, 'absolute');
  if (ind.values.length !== ref.values.length)
    throw new DccError(indicationQ.path, `${ind.values.length} values, but the reference value has ${ref.values.length}`);
  const Us = perPoint(ind.U, ind.values.length);
  const ks = perPoint(ind.k, ind.values.length);
  const sensorPoints = ref.values.map((reference, i) => ({ reference, indication: ind.values[i]!, ...(Us[i] !== undefined && { U: Us[i], k: ks[i] }) }));
  const sensor: SensorTable = { unit: unitLabel(sensorUnit), points: sensorPoints, ...fitOf(sensorPoints, sensorUnit) };
  if (!characteristic) return { points: null, sensor };
  sensor.characteristic = characteristic;
  const built = buildCharacteristic(characteristic);
  const points = sensorPoints.map((p, i) => toMeasurand(p, built, `${indicationQ.path} point ${i + 1}`, sensorUnit.text));
  return { points, sensor };
}

function toMeasurand(p: SensorTable['points'][number], c: Characteristic, at: string, unit: string): ErrorTablePoint {
  const indication = c.measurand(p.indication);
  const sensitivity = Math.abs(c.sensitivity(p.indication));
  if (!Number.isFinite(indication) || !Number.isFinite(sensitivity))
    throw new DccError('', `${at}: ${p.indication} ${unit} is outside the channel's characteristic`);
  // Kept to 1 µK (1 nV, 1 nA): far below any certificate's digits, without binary noise; U is
  // rounded up so the record never states less uncertainty than the certificate (GUM 7.2.6).
  const point: ErrorTablePoint = { reference: p.reference, indication: micro(indication), error: micro(indication - p.reference) };
  if (p.U !== undefined) Object.assign(point, { U: clean(Math.ceil(clean(p.U * sensitivity * 1e6)) / 1e6), k: p.k });
  return point;
}

function micro(x: number): number {
  return clean(Math.round(x * 1e6) / 1e6);
}
