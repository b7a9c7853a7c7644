/**
 * A channel's capability catalogue entry: what the certificate in force says the channel can
 * measure and how well (the measuring range, the expanded uncertainty U over that range with
 * its coverage factor k, and how it was established). It changes only with the certificate,
 * never with the latest reading, so a platform can publish it to customers as it stands.
 */
import type { CalibrationRecord } from '../../calibration/record.js';
import type { Capability } from '../../contract/roster.js';

export type { Capability } from '../../contract/roster.js';

/**
 * Rounds up to two significant digits, as GUM 7.2.6 asks of a reported uncertainty (rounding to
 * nearest could state a smaller uncertainty than was found). Exact two-digit values stay.
 */
export function roundUpTwoDigits(x: number): number {
  if (!Number.isFinite(x) || x <= 0) return x;
  const step = 10 ** (Math.floor(Math.log10(x)) - 1);
  const scaled = x / step;
  // Float noise in x/step (0.012 / 0.001 = 11.999999999999998) is not a third digit.
  const units = Math.abs(scaled - Math.round(scaled)) < 1e-9 ? Math.round(scaled) : Math.ceil(scaled);
  return Number((units * step).toPrecision(2));
}

export function capabilityOf(record: CalibrationRecord | undefined): Capability | null {
  if (!record) return null;
  const stated = record.errorTable.filter((p) => p.U !== undefined && p.k !== undefined && p.k > 0);
  if (stated.length === 0) return null;
  // The worst point is the one with the largest standard uncertainty: a larger U may only carry a larger k.
  const worst = stated.reduce((a, b) => (b.U! / b.k! > a.U! / a.k! ? b : a));
  const refs = record.errorTable.map((p) => p.reference);
  return {
    range: record.range ?? { min: Math.min(...refs), max: Math.max(...refs) },
    U: roundUpTwoDigits(worst.U!),
    k: worst.k!,
    u: roundUpTwoDigits(worst.U! / worst.k!),
    method: `${record.kind} certificate error table`,
    certificate: record.certificate,
    laboratory: record.laboratory ?? null,
  };
}
