/**
 * A characteristic stated as a table by the certificate: the measurand (reference temperature)
 * against the sensor's indication (Ω, mV, mA). Readings are turned into the measurand by inverse
 * linear interpolation; the table must be strictly monotonic in the indication, and nothing is
 * extrapolated beyond its outermost points.
 */

export interface CharacteristicPoint {
  /** The measurand (e.g. °C). */
  reference: number;
  /** The sensor's indication (e.g. Ω). */
  indication: number;
}

export class CharacteristicError extends Error {
  override readonly name = 'CharacteristicError';
}

export interface TableCharacteristic {
  /** Measurand for an indication; NaN outside the table. */
  measurand(indication: number): number;
  /** d measurand / d indication of the segment holding it; NaN outside. */
  sensitivity(indication: number): number;
  readonly indicationRange: { min: number; max: number };
}

export function tableCharacteristic(points: readonly CharacteristicPoint[]): TableCharacteristic {
  if (points.length < 2) throw new CharacteristicError(`a characteristic table needs at least 2 points, got ${points.length}`);
  const sorted = [...points].sort((a, b) => a.indication - b.indication);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.indication === a.indication) throw new CharacteristicError(`the indication ${a.indication} appears twice: the table cannot be inverted`);
    const rising = sorted[1]!.reference > sorted[0]!.reference;
    if (b.reference === a.reference || b.reference > a.reference !== rising) {
      throw new CharacteristicError(
        `the table is not monotonic between the indications ${a.indication} and ${b.indication} (references ${a.reference}, ${b.reference}): it cannot be inverted`,
      );
    }
  }
  const xs = sorted.map((p) => p.indication);
  const ys = sorted.map((p) => p.reference);
  const segment = (x: number): number => {
    if (!(x >= xs[0]! && x <= xs[xs.length - 1]!)) return -1;
    let lo = 0;
    let hi = xs.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! <= x) lo = mid;
      else hi = mid;
    }
    return lo;
  };
  return {
    indicationRange: { min: xs[0]!, max: xs[xs.length - 1]! },
    measurand(x) {
      const i = segment(x);
      if (i < 0) return NaN;
      return ys[i]! + ((ys[i + 1]! - ys[i]!) * (x - xs[i]!)) / (xs[i + 1]! - xs[i]!);
    },
    sensitivity(x) {
      const i = segment(x);
      return i < 0 ? NaN : (ys[i + 1]! - ys[i]!) / (xs[i + 1]! - xs[i]!);
    },
  };
}
