import { describe, expect, it } from 'vitest';
import { combine, resolutionU } from '../../gateway/calibration/uncertainty.js';
import { engineWith, reading, record } from '../support/calibration-fixture.js';

const T = new Date(2026, 5, 1, 12).getTime();

/**
 * A thermometer's certificate: errors +0.10 °C at 0, +0.20 at 50, −0.10 at 100 (indication −
 * reference), U = 0.04 / 0.06 / 0.08 °C with k = 2; validity 0 to 100 °C; resolution 0.01 °C.
 */
const THERMOMETER = record({
  certificate: 'T-1',
  calibrated: '2026-01-10',
  due: '2027-01-10',
  range: { min: 0, max: 100 },
  resolution: 0.01,
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
  it("at a table point subtracts that point's error", () => {
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
  it("combines the certificate's U/k and the resolution as a root sum of squares, and reports k = 2", () => {
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

/** Issue 12: the findings on the correction and uncertainty of one reading, each failing before. */
describe('no silent loss, no extrapolation, the measurand compared with the range (issue 12)', () => {
  const at = (raw: number, rec: ReturnType<typeof record>, unit = '°C') => {
    const r = reading(T, raw, 'temperature', unit);
    engineWith([rec], { t: T }).engine.tag(r);
    return r;
  };

  it("finding 3: a point without U leaves its neighbours' points their u, and the region around it says it has none", () => {
    const gap = record({
      certificate: 'GAP',
      calibrated: '2026-01-10',
      due: '2027-01-10',
      errorTable: [
        { reference: -0.1, indication: 0, error: 0.1, U: 0.04, k: 2 },
        { reference: 49.8, indication: 50, error: 0.2 },
        { reference: 100.1, indication: 100, error: -0.1, U: 0.08, k: 2 },
      ],
    });
    // Exactly at 0 and 100 the certificate states U: u = 0.04/2 = 0.02 and 0.08/2 = 0.04.
    expect(at(0, gap)).toMatchObject({ u: 0.02, k: 2, cal: { traceable: true } });
    expect(at(100, gap).u).toBe(0.04);
    // Between 0 and 100 one end has no U: no certificate u there, not traceable, and why.
    const between = at(25, gap);
    expect(between.u).toBeUndefined();
    expect(between.cal).toMatchObject({ status: 'valid', traceable: false, reason: 'no uncertainty stated by the certificate at this value' });
    expect(between.value).toBeCloseTo(24.85, 12); // the correction still applies: E(25) = 0.15
  });

  it('finding 4: beyond the outermost points E and u are held, never extrapolated (u could reach 0)', () => {
    const wide = record({
      certificate: 'WIDE',
      calibrated: '2026-01-10',
      due: '2027-01-10',
      range: { min: -50, max: 150 },
      errorTable: [
        { reference: -0.1, indication: 0, error: 0.1, U: 0.08, k: 2 },
        { reference: 49.8, indication: 50, error: 0.2, U: 0.04, k: 2 },
      ],
    });
    // A line through the two points would give E(100) = 0.3 and u(100) = 0.04 − 0.02·2 = 0.
    const high = at(100, wide);
    expect(high.value).toBeCloseTo(99.8, 12); // E held at 0.2
    expect(high.u).toBe(0.02); // the nearest point's u = 0.04/2
    const low = at(-40, wide);
    expect(low.value).toBeCloseTo(-40.1, 12); // E held at 0.1
    expect(low.u).toBe(0.04);
  });

  it('finding 6: another unit, NaN, and a record with neither table nor range are not traceable, with the reason', () => {
    const inRange = record({ certificate: 'R', calibrated: '2026-01-10', due: '2027-01-10', range: { min: 0, max: 100 } });
    expect(at(20, inRange, 'K').cal).toMatchObject({ traceable: false, reason: 'unit "K" is not the record\'s unit "°C"' });
    expect(at(Number.NaN, inRange).cal).toMatchObject({ traceable: false, reason: 'not a number' });
    const flag = reading(T, null);
    flag.raw = true;
    flag.value = true;
    flag.quality = 'good';
    engineWith([inRange], { t: T }).engine.tag(flag);
    expect(flag.cal).toMatchObject({ status: 'valid', traceable: false, reason: 'not a numeric measurement (a flag or a text): no calibration covers it' });
    const bare = record({ certificate: 'BARE', calibrated: '2026-01-10', due: '2027-01-10' });
    expect(at(-1e6, bare).cal).toMatchObject({ status: 'valid', traceable: false, reason: 'the record states neither a validity range nor an error table' });
    // The status itself stays what the calendar says; a reading that fits is traceable.
    expect(at(20, inRange).cal).toEqual({ status: 'valid', certificate: 'R', laboratory: null, due: '2027-01-10', daysToDue: 223, traceable: true });
  });

  it("finding 9: the validity range is the measurand's: a calibrated point's indication past it is still inside", () => {
    // Range 0 to 100 °C; at the top point the instrument indicated 100.3 for a reference of 100.0.
    const top = record({
      certificate: 'TOP',
      calibrated: '2026-01-10',
      due: '2027-01-10',
      range: { min: 0, max: 100 },
      errorTable: [
        { reference: 0, indication: 0.2, error: 0.2, U: 0.04, k: 2 },
        { reference: 100, indication: 100.3, error: 0.3, U: 0.04, k: 2 },
      ],
    });
    const r = at(100.3, top);
    expect(r.value).toBeCloseTo(100, 12);
    expect(r.cal.traceable).toBe(true);
    // Conversely an indication inside the range whose measurand is not: 0.1 − E(0.1) = 0.1 − 0.2 = −0.1.
    expect(at(0.1, top).cal).toMatchObject({ traceable: false, reason: 'outside the validity range' });
  });
});
