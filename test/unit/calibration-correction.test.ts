import { describe, expect, it } from 'vitest';
import { combine, resolutionU } from '../../gateway/calibration/uncertainty.js';
import { engineWith, reading, record } from '../support/calibration-fixture.js';

const T = new Date(2026, 5, 1, 12).getTime();

/**
 * A thermometer's certificate: errors +0.10 °C at 0, +0.20 at 50, −0.10 at 100 (indication −
 * reference), U = 0.04 / 0.06 / 0.08 °C with k = 2; validity 0 to 100 °C; resolution 0.01 °C.
 */
const THERMOMETER = record({
  certificate: 'T-1', calibrated: '2026-01-10', due: '2027-01-10', range: { min: 0, max: 100 }, resolution: 0.01,
  errorTable: [
    { reference: 49.8, indication: 50, error: 0.2, U: 0.06, k: 2 },
    { reference: -0.1, indication: 0, error: 0.1, U: 0.04, k: 2 },
    { reference: 100.1, indication: 100, error: -0.1, U: 0.08, k: 2 },
  ],
});

function tagged(raw: number | null, rec = THERMOMETER) {
  const r = reading(T, raw);
  engineWith([rec], { t: T }).engine.tag(r);
  return r;
}

describe('correction value = raw − E(raw)', () => {
  it('at a table point subtracts that point\'s error', () => {
    expect(tagged(50).value).toBeCloseTo(49.8, 12);
    expect(tagged(0).value).toBeCloseTo(-0.1, 12);
    expect(tagged(100).value).toBeCloseTo(100.1, 12);
  });

  it('between points interpolates linearly (hand-computed)', () => {
    // E(25) = 0.1 + (0.2 − 0.1)·25/50 = 0.15 → 24.85;  E(75) = 0.2 + (−0.1 − 0.2)·25/50 = 0.05 → 74.95.
    expect(tagged(25).value).toBeCloseTo(24.85, 12);
    expect(tagged(75).value).toBeCloseTo(74.95, 12);
    expect(tagged(75).raw).toBe(75);
  });

  it('outside the validity range keeps the raw value and marks the reading not traceable', () => {
    const r = tagged(120);
    expect(r.value).toBe(120);
    expect(r.u).toBeUndefined();
    expect(r.cal).toMatchObject({ status: 'valid', traceable: false });
    expect(tagged(-5).value).toBe(-5);
  });

  it('leaves bad readings and other units alone', () => {
    const bad = tagged(null);
    expect(bad.value).toBeNull();
    expect(bad.cal.status).toBe('valid');
    const power = reading(T, 40, 'power', '%');
    engineWith([THERMOMETER], { t: T }).engine.tag(power);
    expect(power.value).toBe(40);
    expect(power.u).toBeUndefined();
  });
});

describe('uncertainty (GUM)', () => {
  it('combines the certificate\'s U/k and the resolution as a root sum of squares, and reports k = 2', () => {
    // At 50: u_cert = 0.06/2 = 0.03; u_res = 0.01/(2√3) = 0.0028868; u = √(0.03² + 0.0028868²) = 0.0301386.
    const r = tagged(50);
    expect(r.u).toBeCloseTo(0.0301386, 6);
    expect(r.k).toBe(2);
    // Between points u_cert interpolates: at 25, (0.02 + 0.03)/2 = 0.025 → √(0.025² + 0.0028868²) = 0.0251661.
    expect(tagged(25).u).toBeCloseTo(0.0251661, 6);
  });

  it('adds configured extra components as standard uncertainties, never expanded ones', () => {
    const r = tagged(50, { ...THERMOMETER, extraUncertainty: [{ name: 'bath gradient', u: 0.04 }] });
    // √(0.03² + 0.0028868² + 0.04²) = 0.0500833
    expect(r.u).toBeCloseTo(0.0500833, 6);
  });

  it('the helpers match the GUM formulas', () => {
    expect(resolutionU(0.01)).toBeCloseTo(0.01 / (2 * Math.sqrt(3)), 15);
    expect(combine([3, 4, Number.NaN])).toBe(5);
  });
});
