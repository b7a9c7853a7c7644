import { describe, expect, it } from 'vitest';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { intervalReports, monthsBetween } from '../../gateway/checks/interval-history.js';
import { driftingHistory, YEAR } from '../support/calibration-history.js';

describe('recalibration interval from the certificate history', () => {
  it('staircase and drift by hand: 12 → 15 → 15 → 15 months; (0.5 − 0.05 − 0.30014) / 0.1 per year = 17.98 → 17 months', () => {
    const [report] = intervalReports(driftingHistory());
    expect(report).toMatchObject({ instrument: 'gauge-01', channel: null, certificates: 3, lastCertificate: 'P-2026', currentMonths: 12, skipped: [] });
    const [staircase, drift] = report!.suggestions;
    // Shares (|E| + U)/MPE: 0.30 → lengthen ×1.25; 0.5004 and 0.7003 → keep.
    expect(staircase).toMatchObject({ method: 'staircase', months: 15 });
    expect(staircase!.evidence).toHaveLength(3);
    expect(staircase!.evidence[0]).toMatch(/2024-01-01: as found 0.1 ± 0.05 against MPE 0.5 \(30 %\).*12 → 15 months/);
    const last = 0.1 + 0.1 * (731 / YEAR);
    expect(drift).toMatchObject({ method: 'control-chart', months: Math.floor(((0.5 - 0.05 - last) / 0.1) * 12) });
    expect(drift!.months).toBe(17);
  });

  it('an adjustment restarts the drift: too little history since, and the report says so', () => {
    const history = driftingHistory();
    // The 2026 certificate found 0.30 and left 0.0: adjusted.
    history[2] = { ...history[2]!, asFound: history[2]!.errorTable, errorTable: [{ reference: 100, indication: 100, error: 0, U: 0.05, k: 2 }] };
    const [report] = intervalReports(history);
    const drift = report!.suggestions.find((s) => s.method === 'control-chart')!;
    expect(drift.months).toBeNull();
    expect(drift.evidence[0]).toMatch(/0 calibration\(s\) since the last adjustment/);
  });

  it('a certificate with nothing to judge against is listed as not used, the others still count', () => {
    const history = driftingHistory();
    const { mpe: _none, ...withoutMpe } = history[0]!;
    const [report] = intervalReports([withoutMpe as CalibrationRecord, ...history.slice(1)]);
    expect(report!.skipped).toEqual(['P-2024 (2024-01-01): no error point with an MPE or tolerance to judge']);
    expect(report!.suggestions[0]!.evidence).toHaveLength(2);
  });

  it('counts months by the calendar', () => {
    expect(monthsBetween('2026-01-01', '2027-01-01')).toBe(12);
    expect(monthsBetween('2026-01-31', '2026-07-31')).toBe(6);
  });
});
