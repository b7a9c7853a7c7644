import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../gateway/checks/comparison.js';
import { NoResultError, resultFromReadings, type ResultIdentity, type WindowReading } from '../../gateway/checks/comparison-result.js';
import { mergeResults } from '../../gateway/checks/merge-results.js';

const id: ResultIdentity = {
  comparison: 'PT-1',
  artefact: 'gauge block 50 mm',
  lab: 'lab-A',
  site: 's',
  gateway: 'g',
  instrument: 'cmm',
  channel: 'length',
  quantity: 'length',
  unit: 'mm',
  nominal: 50,
  from: new Date('2026-12-01T08:00:00Z'),
  to: new Date('2026-12-01T09:00:00Z'),
};
const good = (value: number, u = 0.0003): WindowReading => ({ value, u, quality: 'good', traceable: true, certificate: 'C-1' });

describe('a comparison result from stored readings', () => {
  it('is the mean with U = 2·√(ū_cal² + s²/n), by hand', () => {
    // 50.0010, 50.0014, 50.0012, 50.0016: mean 50.0013, s = √(((−3)²+1²+(−1)²+3²)·10⁻⁸ / 3) = 2.5820e-4.
    const readings = [good(50.001), good(50.0014), good(50.0012, 0.0005), good(50.0016, 0.0005)];
    const r = resultFromReadings(id, readings);
    expect(r.value).toBeCloseTo(50.0013, 12);
    expect(r.s).toBeCloseTo(Math.sqrt(20e-8 / 3), 12);
    expect(r.u.calibration).toBeCloseTo(0.0004, 12); // the mean of the readings' u: correlated, not divided by √n
    expect(r.u.repeatability).toBeCloseTo(Math.sqrt(20e-8 / 3) / 2, 12);
    expect(r.U).toBeCloseTo(2 * Math.sqrt(0.0004 ** 2 + 20e-8 / 3 / 4), 12);
    expect(r).toMatchObject({ v: 1, n: 4, k: 2, certificates: ['C-1'], excluded: { notGood: 0, notTraceable: 0 } });
  });

  it('leaves out readings that are not good or not traceable, and counts them', () => {
    const readings: WindowReading[] = [
      good(10),
      good(12),
      { value: 999, u: 0.1, quality: 'bad', traceable: true, certificate: 'C-1' },
      { value: null, u: null, quality: 'uncertain', traceable: false, certificate: null },
      { value: 11, u: 0.1, quality: 'good', traceable: false, certificate: 'C-1' }, // e.g. outside the calibrated range
      { value: 11, u: null, quality: 'good', traceable: true, certificate: 'C-1' },
    ];
    const r = resultFromReadings(id, readings);
    expect(r.value).toBe(11);
    expect(r.excluded).toEqual({ notGood: 2, notTraceable: 2 });
  });

  it('refuses fewer than two traceable readings, naming the window and the counts', () => {
    expect(() => resultFromReadings(id, [good(1), { ...good(2), traceable: false }])).toThrow(NoResultError);
    expect(() => resultFromReadings(id, [good(1)])).toThrow(
      'cmm/length from 2026-12-01T08:00:00.000Z to 2026-12-01T09:00:00.000Z: 1 good traceable readings (need at least 2; 1 stored, 0 not good, 0 not traceable)',
    );
  });
});

describe('merging received results into the coordinator’s comparison', () => {
  const comparison: Comparison = {
    comparison: 'PT-1',
    artefact: 'gb',
    quantity: 'length',
    unit: 'mm',
    points: [{ nominal: 50, results: [{ lab: 'pilot', value: 50.0012, U: 0.0004, k: 2 }] }],
  };
  const result = resultFromReadings(id, [good(50.001), good(50.0014)]);

  it('adds each result to its point, keeping the stated ones', () => {
    const merged = mergeResults(comparison, [result]);
    expect(merged.points[0]!.results.map((x) => x.lab)).toEqual(['pilot', 'lab-A']);
    expect(comparison.points[0]!.results).toHaveLength(1); // the input is not changed
  });

  it.each([
    [{ comparison: 'PT-2' }, /belongs to comparison PT-2, not PT-1/],
    [{ unit: 'µm' }, /stated in µm, the comparison in mm/],
    [{ nominal: 100 }, /has no point at 100 \(points: 50\)/],
    [{ lab: 'pilot' }, /pilot already has a result at 50/],
  ])('refuses a result that does not belong: %o', (change, message) => {
    expect(() => mergeResults(comparison, [{ ...result, ...change }])).toThrow(message);
  });
});
