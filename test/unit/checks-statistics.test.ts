/**
 * The statistics between calibrations, against hand calculations (written out beside each).
 */
import { describe, expect, it } from 'vitest';
import { chiSquaredUpper } from '../../gateway/checks/chi-squared.js';
import { evaluateComparison } from '../../gateway/checks/comparison.js';
import { evaluateRules, limitsFrom, rulesAt } from '../../gateway/checks/control-chart.js';
import { runCusum, stepDetectionDelay } from '../../gateway/checks/cusum.js';
import { driftInterval, staircaseInterval } from '../../gateway/checks/recalibration-interval.js';
import { weightedMean } from '../../gateway/checks/reference-value.js';
import { enNumber, judgeEn, judgeZ, zetaScore, zPrimeScore, zScore } from '../../gateway/checks/scores.js';

describe('scores (ISO 13528)', () => {
  it('En: 0.04 / √(0.04² + 0.03²) = 0.8, satisfactory; correlated: 0.04 / √(0.04² − 0.03²) = 1.512', () => {
    const x = { value: 10.04, U: 0.04, k: 2 };
    const ref = { value: 10.0, U: 0.03, k: 2 };
    expect(enNumber(x, ref)).toBeCloseTo(0.8, 12);
    expect(judgeEn(enNumber(x, ref))).toBe('satisfactory');
    expect(enNumber(x, ref, true)).toBeCloseTo(0.04 / Math.sqrt(0.0007), 12);
    expect(judgeEn(enNumber(x, ref, true))).toBe('unsatisfactory');
  });

  it('z = 0.3 / 0.1 = 3 unsatisfactory; 2.5 questionable; 2 satisfactory', () => {
    expect(zScore(10.3, 10, 0.1)).toBeCloseTo(3, 12);
    expect(judgeZ(3)).toBe('unsatisfactory');
    expect(judgeZ(2.5)).toBe('questionable');
    expect(judgeZ(-2)).toBe('satisfactory');
  });

  it('En on the stated expanded uncertainties, whatever k: 0.04 / √(0.06² + 0.03²) with U_x at k = 3', () => {
    expect(enNumber({ value: 10.04, U: 0.06, k: 3 }, { value: 10, U: 0.03, k: 2 })).toBeCloseTo(0.04 / Math.sqrt(0.0036 + 0.0009), 12);
  });

  it('ζ for a result inside a weighted-mean reference uses √(u_x² − u_X²): 0.05 / √(0.02² − 0.015²) = 3.78', () => {
    expect(zetaScore({ value: 10.05, U: 0.04, k: 2 }, { value: 10, U: 0.03, k: 2 }, true)).toBeCloseTo(0.05 / Math.sqrt(0.0004 - 0.000225), 12);
  });

  it('z′ = 0.3 / √(0.1² + 0.075²) = 0.3 / 0.125 = 2.4; ζ = 0.05 / √(0.02² + 0.015²) = 2', () => {
    expect(zPrimeScore(10.3, 10, 0.1, 0.075)).toBeCloseTo(2.4, 12);
    expect(zetaScore({ value: 10.05, U: 0.04, k: 2 }, { value: 10, U: 0.03, k: 2 })).toBeCloseTo(2, 12);
  });

  it('χ² upper 5 % quantiles: 3.8415 (ν = 1), 9.4877 (4), 18.307 (10)', () => {
    expect(chiSquaredUpper(0.05, 1)).toBeCloseTo(3.8415, 3);
    expect(chiSquaredUpper(0.05, 4)).toBeCloseTo(9.4877, 3);
    expect(chiSquaredUpper(0.05, 10)).toBeCloseTo(18.307, 2);
  });

  it('weighted mean of 10.0 (u 0.1) and 10.2 (u 0.2): X = (100·10 + 25·10.2)/125 = 10.04, u = 1/√125, χ² = 0.16 + 0.64 = 0.8', () => {
    const wm = weightedMean([
      { value: 10.0, U: 0.2, k: 2 },
      { value: 10.2, U: 0.4, k: 2 },
    ]);
    expect(wm.value).toBeCloseTo(10.04, 12);
    expect(wm.u).toBeCloseTo(1 / Math.sqrt(125), 12);
    expect(wm.chi2).toBeCloseTo(0.8, 12);
    expect(wm.consistent).toBe(true);
  });
});

describe('control charts', () => {
  it('limits from the first results: centre 11.6, σ = mean moving range 1.5 / 1.128 = 1.3298', () => {
    const l = limitsFrom([10, 12, 11, 13, 12]);
    expect(l.centre).toBeCloseTo(11.6, 12);
    expect(l.sigma).toBeCloseTo(1.5 / 1.128, 12);
  });

  const unit = { centre: 0, sigma: 1 };
  const rulesOf = (values: number[]) => evaluateRules(values, unit).map((h) => `${h.rule}@${h.at}`);

  it('Western Electric 1: a point beyond 3σ', () => expect(rulesOf([0, 0.5, 3.5])).toEqual(['WE1@2']));
  it('Western Electric 2: two of three beyond 2σ on one side', () => expect(rulesOf([0, 2.5, 0.2, 2.1])).toEqual(['WE2@3']));
  it('Western Electric 3: four of five beyond 1σ on one side', () => expect(rulesOf([1.5, 0.2, 1.2, 1.1, 1.3])).toEqual(['WE3@4']));
  it('Western Electric 4: eight on one side of the centre', () => expect(rulesOf([0.5, 0.2, 0.6, 0.1, 0.4, 0.3, 0.7, 0.2])).toEqual(['WE4@7']));
  it('trend: six steadily increasing', () => expect(rulesOf([-0.5, -0.3, -0.1, 0.1, 0.3, 0.5])).toEqual(['TREND@5']));
  it('no rule on points inside 1σ that alternate', () => expect(rulesOf([0.5, -0.5, 0.4, -0.6, 0.3, -0.2, 0.1, -0.3, 0.9])).toEqual([]));
  it('both sides do not add up for WE2', () => expect(rulesAt([2.5, -2.5, 0], unit, 1)).toEqual([]));
});

describe('CUSUM (k = 0.5, h = 5)', () => {
  it('a 1σ step signals at the 11th result: C grows by 1 − 0.5 per result, 11 × 0.5 = 5.5 > 5', () => {
    const { signal, path } = runCusum(Array(20).fill(1), { centre: 0, sigma: 1 });
    expect(stepDetectionDelay(1)).toBe(11);
    expect(signal).toEqual({ at: 10, direction: 'up', value: 5.5 });
    expect(path[9]!.high).toBeCloseTo(5, 12);
  });

  it('a drift of 0.1σ per result signals at the 15th, long before a Shewhart point beyond 3σ (the 31st)', () => {
    // zⱼ = 0.1 j: C stays 0 up to j = 5, then 0.1, 0.3, 0.6, 1.0, 1.5, 2.1, 2.8, 3.6, 4.5, 5.5 at j = 15.
    const drift = Array.from({ length: 40 }, (_, i) => 0.1 * (i + 1));
    const { signal } = runCusum(drift, { centre: 0, sigma: 1 });
    expect(signal?.at).toBe(14);
    expect(signal?.value).toBeCloseTo(5.5, 10);
    expect(evaluateRules(drift, { centre: 0, sigma: 1 }).find((h) => h.rule === 'WE1')?.at).toBe(30);
  });

  it('a downward step signals down', () => {
    expect(runCusum(Array(12).fill(-1.5), { centre: 0, sigma: 1 }).signal).toEqual({ at: 5, direction: 'down', value: 6 });
  });
});

describe('recalibration intervals', () => {
  it('staircase from 12 months: well inside → 15, close → 15, out of tolerance → 7.5 ≈ 8', () => {
    const s = staircaseInterval(
      [
        { calibrated: '2022-01-10', asFoundError: 0.1, U: 0.05, mpe: 1 },
        { calibrated: '2023-04-10', asFoundError: -0.6, U: 0.1, mpe: 1 },
        { calibrated: '2024-07-10', asFoundError: 1.2, U: 0.1, mpe: 1 },
      ],
      12,
    );
    expect(s.months).toBe(8);
    expect(s.evidence).toHaveLength(3);
    expect(s.evidence[0]).toMatch(/lengthened, 12 → 15 months/);
    expect(s.evidence[1]).toMatch(/kept/);
    expect(s.evidence[2]).toMatch(/out of tolerance: shortened, 15 → 7.5 months/);
  });

  it('control chart: 0.1 per year of drift, 0.15 of room left → about 18 months', () => {
    // E = 0.1, 0.2, 0.3 a year apart: drift ≈ 0.1/yr; room = MPE 0.5 − U 0.05 − 0.3 = 0.15 → 1.5 years.
    const s = driftInterval([
      { calibrated: '2021-01-01', asFoundError: 0.1, U: 0.05, mpe: 0.5 },
      { calibrated: '2022-01-01', asFoundError: 0.2, U: 0.05, mpe: 0.5 },
      { calibrated: '2023-01-01', asFoundError: 0.3, U: 0.05, mpe: 0.5 },
    ]);
    expect(s.months).toBeGreaterThanOrEqual(17);
    expect(s.months).toBeLessThanOrEqual(18);
    expect(s.evidence.join('\n')).toMatch(/fitted drift 0.100 per year/);
  });

  it('control chart: the drift is fitted after the last adjustment, not through its as-found error', () => {
    // Adjusted in 2022 (as found 0.45, set back to ~0); then 0.05, 0.10, 0.15 a year apart: +0.05/yr.
    const s = driftInterval([
      { calibrated: '2021-01-01', asFoundError: 0.3, U: 0.05, mpe: 0.5 },
      { calibrated: '2022-01-01', asFoundError: 0.45, U: 0.05, mpe: 0.5, adjusted: true },
      { calibrated: '2023-01-01', asFoundError: 0.05, U: 0.05, mpe: 0.5 },
      { calibrated: '2024-01-01', asFoundError: 0.1, U: 0.05, mpe: 0.5 },
      { calibrated: '2025-01-01', asFoundError: 0.15, U: 0.05, mpe: 0.5 },
    ]);
    expect(s.evidence[0]).toMatch(/3 calibrations from 2023-01-01/);
    expect(s.evidence[0]).toMatch(/fitted drift 0.0500 per year/);
  });

  it('control chart needs three calibrations since the last adjustment', () => {
    const s = driftInterval([
      { calibrated: '2021-01-01', asFoundError: 0.4, U: 0.05, mpe: 0.5 },
      { calibrated: '2022-01-01', asFoundError: 0.45, U: 0.05, mpe: 0.5, adjusted: true },
      { calibrated: '2023-01-01', asFoundError: 0.1, U: 0.05, mpe: 0.5 },
      { calibrated: '2024-01-01', asFoundError: 0.15, U: 0.05, mpe: 0.5 },
    ]);
    expect(s.months).toBeNaN();
    expect(s.evidence[0]).toMatch(/2 calibration\(s\) since the last adjustment/);
  });
});

describe('a comparison with five participants, one biased', () => {
  const results = [
    { lab: 'lab-A', value: 100.002, U: 0.01, k: 2 },
    { lab: 'lab-B', value: 99.998, U: 0.012, k: 2 },
    { lab: 'lab-C', value: 100.004, U: 0.015, k: 2 },
    { lab: 'lab-D', value: 100.0, U: 0.008, k: 2 },
    { lab: 'lab-E', value: 100.045, U: 0.01, k: 2 }, // biased by ~+0.045
  ];

  it('against a stated reference: only lab-E has |En| > 1', () => {
    const e = evaluateComparison({
      comparison: 'T-100',
      artefact: 'SPRT 1',
      quantity: 'temperature',
      unit: '°C',
      points: [{ nominal: 100, reference: { value: 100.0, U: 0.005, k: 2 }, results }],
    });
    const en = Object.fromEntries(e.points[0]!.scores.map((s) => [s.lab, s.en]));
    // lab-E: 0.045 / √(0.01² + 0.005²) = 0.045 / 0.01118 = 4.02
    expect(en['lab-E']).toBeCloseTo(0.045 / Math.sqrt(0.0001 + 0.000025), 6);
    for (const lab of ['lab-A', 'lab-B', 'lab-C', 'lab-D']) expect(Math.abs(en[lab]!)).toBeLessThanOrEqual(1);
    expect(e.flagged.map((f) => f.lab)).toEqual(['lab-E']);
  });

  it('against the weighted mean: inconsistent with lab-E, which procedure A leaves out; still only lab-E fails', () => {
    const e = evaluateComparison({ comparison: 'T-100', artefact: 'SPRT 1', quantity: 'temperature', unit: '°C', points: [{ nominal: 100, results }] });
    const p = e.points[0]!;
    expect(p.reference.method).toBe('weighted mean');
    expect(p.consistency?.excluded).toEqual(['lab-E']);
    expect(p.consistency?.consistent).toBe(true);
    expect(e.flagged.map((f) => f.lab)).toEqual(['lab-E']);
    expect(p.scores.find((s) => s.lab === 'lab-E')!.inReference).toBe(false);
    expect(p.scores.find((s) => s.lab === 'lab-A')!.inReference).toBe(true);
  });
});
