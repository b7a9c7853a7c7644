import type { CalibrationRecord } from '../../gateway/calibration/record.js';

export const YEAR = 365.25;
const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;

/** A pressure gauge drifting 0.1 kPa per year exactly, U 0.05, MPE ±0.5 kPa, calibrated yearly. */
export function driftingHistory(instrument = 'gauge-01', unit = 'kPa'): CalibrationRecord[] {
  return ['2024-01-01', '2025-01-01', '2026-01-01'].map((calibrated, i) => {
    // Six decimals, as a certificate states them (the record check compares indication − reference digit by digit).
    const error = Number((0.1 + 0.1 * (days('2024-01-01', calibrated) / YEAR)).toFixed(6));
    return {
      certificate: `P-${2024 + i}`,
      instrument,
      kind: 'calibration',
      calibrated,
      due: `${2025 + i}-01-01`,
      unit,
      mpe: 0.5,
      errorTable: [
        { reference: 100, indication: Number((100 + error).toFixed(6)), error, U: 0.05, k: 2 },
        { reference: 0, indication: 0.01, error: 0.01, U: 0.05, k: 2 },
      ],
      traceability: [],
      source: 'api',
    };
  });
}
