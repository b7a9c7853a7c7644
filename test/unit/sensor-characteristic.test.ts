import { describe, expect, it } from 'vitest';
import { cvdResistance, cvdSlope, cvdTemperature, fitCvd, IEC_60751 } from '../../gateway/calibration/characteristic/callendar-van-dusen.js';
import { buildCharacteristic } from '../../gateway/calibration/characteristic/characteristic.js';
import { CharacteristicError, tableCharacteristic } from '../../gateway/calibration/characteristic/table-characteristic.js';
import {
  thermocoupleEmf,
  thermocoupleRange,
  thermocoupleSeebeck,
  thermocoupleTemperature,
  THERMOCOUPLE_TYPES,
  type ThermocoupleType,
} from '../../gateway/calibration/characteristic/thermocouple-reference.js';

const PT100 = { R0: 100, ...IEC_60751 };

describe('IEC 60751 Pt100 (Callendar–Van Dusen)', () => {
  // IEC 60751 table values: 100 °C → 138.5055 Ω, −100 °C → 60.2558 Ω, 0 °C → 100 Ω, 200 °C → 175.8560 Ω.
  it.each([
    [100, 138.5055],
    [-100, 60.2558],
    [0, 100],
    [200, 175.856],
    [-200, 18.52008],
    [850, 390.4811],
  ])('%s °C ↔ %s Ω, both ways to 1 mK', (t, r) => {
    expect(Math.abs(cvdResistance(PT100, t) - r)).toBeLessThan(0.0001 * 5);
    // 1 mK at ~0.39 Ω/K is 0.4 mΩ; the table is given to 0.1 mΩ.
    expect(Math.abs(cvdTemperature(PT100, r) - t)).toBeLessThan(0.001);
  });

  it("the slope is the sensitivity a reading's u is propagated with: 0.3851 Ω/K at 0 °C, 0.3793 at 100 °C", () => {
    // dR/dt = R0 (A + 2Bt): at 0 °C 100 × 3.9083e-3 = 0.39083 Ω/K; at 100 °C 100 × (3.9083e-3 − 2 × 5.775e-5) = 0.37928.
    expect(cvdSlope(PT100, 0)).toBeCloseTo(0.39083, 6);
    expect(cvdSlope(PT100, 100)).toBeCloseTo(0.37928, 6);
    // Below 0 °C the C term adds R0·C·(4t³ − 300t²): at −100 °C, 100 × (3.9083e-3 + 1.155e-4 − 4.183e-12 × (−4e6 − 3e6)).
    expect(cvdSlope(PT100, -100)).toBeCloseTo(100 * (3.9083e-3 + 2 * 5.775e-7 * 100 + 4.183e-12 * 7e6), 9);
  });

  it('u by the sensitivity coefficient: a certificate U of 4 mΩ (k = 2) at 100 °C is 5.27 mK standard uncertainty', () => {
    // GUM 5.1.3: u(t) = |dt/dR| · u(R) = (2 mΩ) / 0.37928 Ω/K = 5.273 mK.
    expect((0.004 / 2 / cvdSlope(PT100, 100)) * 1000).toBeCloseTo(5.273, 3);
  });

  it('a fit to a table made from the nominal curve gives the nominal coefficients back', () => {
    const ts = [-196, -80, -40, 0, 50, 100, 200, 300, 420];
    const fit = fitCvd(ts.map((t) => ({ t, r: cvdResistance(PT100, t) })));
    expect(fit.coefficients.R0).toBeCloseTo(100, 9);
    expect(fit.coefficients.A).toBeCloseTo(IEC_60751.A, 12);
    expect(fit.coefficients.B).toBeCloseTo(IEC_60751.B, 14);
    expect(fit.coefficients.C / IEC_60751.C).toBeCloseTo(1, 6);
    expect(fit.maxResidualK).toBeLessThan(1e-9);
  });

  it("a fit to a real sensor's table reproduces it within its residuals", () => {
    // An individual PRT: R0 = 100.012 Ω, slightly off-nominal A and B, with ±0.3 mK of scatter.
    const sensor = { R0: 100.012, A: 3.9079e-3, B: -5.79e-7, C: 0 };
    const scatter = [0.0001, -0.00012, 0.00008, -0.00005, 0.0001];
    const table = [0, 50, 100, 150, 200].map((t, i) => ({ t, r: cvdResistance(sensor, t) + scatter[i]! }));
    const fit = fitCvd(table);
    expect(fit.coefficients.C).toBe(0);
    expect(fit.residuals).toHaveLength(5);
    for (const p of fit.residuals) {
      expect(Math.abs(cvdTemperature(fit.coefficients, p.r) - p.t)).toBeLessThanOrEqual(fit.maxResidualK + 1e-9);
    }
    expect(fit.maxResidualK).toBeGreaterThan(0);
    expect(fit.maxResidualK).toBeLessThan(0.001);
  });

  it('too few points to fit is a clear error', () => {
    expect(() =>
      fitCvd([
        { t: 0, r: 100 },
        { t: 100, r: 138.5 },
      ]),
    ).toThrow(/needs at least 3 points/);
    expect(() =>
      fitCvd([
        { t: -50, r: 80 },
        { t: 0, r: 100 },
        { t: 100, r: 138.5 },
      ]),
    ).toThrow(/at least 4 points .* C is fitted too/);
  });
});

describe('IEC 60584 thermocouple reference functions (NIST ITS-90)', () => {
  // NIST Monograph 175 table values, mV against a 0 °C reference junction.
  const TABLE: [ThermocoupleType, number, number][] = [
    ['K', 100, 4.096],
    ['K', 500, 20.644],
    ['K', 1000, 41.276],
    ['K', -100, -3.554],
    ['J', 100, 5.269],
    ['J', 500, 27.393],
    ['T', 100, 4.279],
    ['T', -100, -3.379],
    ['E', 100, 6.319],
    ['N', 100, 2.774],
    ['S', 1000, 9.587],
    ['R', 1000, 10.506],
    ['B', 1000, 4.834],
  ];

  it.each(TABLE)("type %s at %s °C is %s mV (to the table's 1 µV)", (type, t, mv) => {
    expect(Math.abs(thermocoupleEmf(type, t) - mv)).toBeLessThanOrEqual(0.0005);
  });

  it.each(THERMOCOUPLE_TYPES)('type %s: emf → temperature → emf round-trips to 1 mK over its range', (type) => {
    const { min, max } = thermocoupleRange(type);
    const lo = type === 'B' ? 50 : min + 10;
    for (let i = 0; i <= 20; i++) {
      const t = lo + ((max - lo) * i) / 20;
      expect(Math.abs(thermocoupleTemperature(type, thermocoupleEmf(type, t)) - t)).toBeLessThan(0.001);
    }
  });

  it('the Seebeck coefficient is the derivative: type K ≈ 41.4 µV/K at 100 °C', () => {
    const h = 1e-4;
    const numeric = (thermocoupleEmf('K', 100 + h) - thermocoupleEmf('K', 100 - h)) / (2 * h);
    expect(thermocoupleSeebeck('K', 100)).toBeCloseTo(numeric, 8);
    expect(thermocoupleSeebeck('K', 100) * 1000).toBeCloseTo(41.4, 1);
  });

  it('outside the reference function is a RangeError naming the range', () => {
    expect(() => thermocoupleEmf('T', 500)).toThrow(/outside its reference function \(-270 to 400 °C\)/);
    expect(() => thermocoupleTemperature('K', 60)).toThrow(/60 mV is outside/);
  });
});

describe("a certificate's characteristic table", () => {
  const table = tableCharacteristic([
    { reference: 0, indication: 100.012 },
    { reference: 100, indication: 138.51 },
    { reference: 200, indication: 175.86 },
  ]);

  it("inverts by linear interpolation, and gives the segment's sensitivity", () => {
    expect(table.measurand(100.012)).toBe(0);
    expect(table.measurand(138.51)).toBe(100);
    // Halfway between 138.51 and 175.86 Ω is halfway between 100 and 200 °C.
    expect(table.measurand((138.51 + 175.86) / 2)).toBeCloseTo(150, 12);
    expect(table.sensitivity(150)).toBeCloseTo(100 / (175.86 - 138.51), 12);
  });

  it('never extrapolates', () => {
    expect(table.measurand(99)).toBeNaN();
    expect(table.measurand(176)).toBeNaN();
    expect(table.sensitivity(176)).toBeNaN();
  });

  it('a table that is not monotonic, or repeats an indication, is refused', () => {
    expect(() =>
      tableCharacteristic([
        { reference: 0, indication: 100 },
        { reference: 100, indication: 138 },
        { reference: 50, indication: 150 },
      ]),
    ).toThrow(CharacteristicError);
    expect(() =>
      tableCharacteristic([
        { reference: 0, indication: 100 },
        { reference: 100, indication: 100 },
      ]),
    ).toThrow(/appears twice/);
  });
});

describe('buildCharacteristic: config to measurand and sensitivity', () => {
  it('cvd: 138.5055 Ω is 100 °C, sensitivity 1/0.37928 K/Ω', () => {
    const c = buildCharacteristic({ type: 'cvd', sensorUnit: 'Ω', R0: 100, ...IEC_60751 });
    expect(c.measurand(138.5055)).toBeCloseTo(100, 3);
    expect(c.sensitivity(138.5055)).toBeCloseTo(1 / 0.37928, 3);
    expect(c.measurand(-5)).toBeNaN();
  });

  it('thermocouple K in µV with a 23 °C cold junction: 3.174 mV measured is 100 °C', () => {
    // E(100) − E(23) = 4.096 − 0.919 = 3.177 mV (NIST: E(23 °C) = 0.919 mV).
    const c = buildCharacteristic({ type: 'thermocouple', thermocouple: 'K', sensorUnit: 'µV', coldJunction: { channel: 'cj' } });
    expect(c.coldJunctionChannel).toBe('cj');
    const e = (thermocoupleEmf('K', 100) - thermocoupleEmf('K', 23)) * 1000;
    expect(e).toBeCloseTo(3177, 0);
    expect(c.measurand(e, 23)).toBeCloseTo(100, 6);
    expect(c.sensitivity(e, 23)).toBeCloseTo(1e-3 / thermocoupleSeebeck('K', 100), 9);
    expect(c.measurand(e)).toBeNaN(); // no cold junction reading: no temperature
  });

  it('linear 4–20 mA onto −50…150 °C: 12 mA is 50 °C; below the live zero is no value', () => {
    const c = buildCharacteristic({ type: 'linear', sensorUnit: 'mA', sensor: { min: 4, max: 20 }, measurand: { min: -50, max: 150 } });
    expect(c.measurand(12)).toBe(50);
    expect(c.sensitivity(12)).toBe(12.5);
    expect(c.measurand(3.2)).toBeNaN();
  });
});
