/**
 * The rules an assessor checks by hand (issue 12): decision rules (ILAC-G8:09/2019), the
 * as-found / as-left truth table cell by cell, verification records, the uncertainty budget.
 * Every expected number is computed by hand in the comment beside it.
 */
import { describe, expect, it } from 'vitest';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import { judgeTable, mapStatement, mpeAt } from '../../gateway/calibration/decision.js';
import type { CalibrationRecord, DecisionRule, ErrorTablePoint } from '../../gateway/calibration/record.js';
import { roundUncertaintyUp } from '../../gateway/calibration/uncertainty.js';
import { silentLogger } from '../../gateway/log.js';
import { BATH, engineWith, reading, record } from '../support/calibration-fixture.js';

const T = new Date(2026, 5, 1, 12).getTime();
const point = (error: number, U?: number, reference = 50): ErrorTablePoint => ({
  reference,
  indication: reference + error,
  error,
  ...(U !== undefined && { U, k: 2 }),
});
const judge = (p: ErrorTablePoint, rule?: DecisionRule, mpe: CalibrationRecord['mpe'] = 0.15) =>
  judgeTable('as-left', [p], undefined, { mpe, ...(rule && { decisionRule: rule }) });

describe('decision rules (ILAC-G8:09/2019)', () => {
  const guarded: DecisionRule = { rule: 'guarded', r: 1 };

  it('simple acceptance: pass inside and on the tolerance limit, fail beyond it', () => {
    expect(judge(point(0.14)).result).toBe('pass');
    expect(judge(point(0.15)).result).toBe('pass'); // on the limit |E| = MPE
    expect(judge(point(-0.15)).result).toBe('pass');
    expect(judge(point(0.16))).toMatchObject({ result: 'fail', rule: 'simple acceptance against MPE ±0.15; point 1 (reference 50): error 0.16, limit 0.15' });
  });

  it('guarded acceptance w = r·U: pass inside and on the acceptance limit MPE − w, fail beyond it', () => {
    // MPE 0.15, U 0.04, r = 1: w = 0.04, acceptance limit 0.15 − 0.04 = 0.11.
    expect(judge(point(0.1, 0.04), guarded).result).toBe('pass'); // inside
    expect(judge(point(0.11, 0.04), guarded).result).toBe('pass'); // on (0.15 − 0.04 is 0.10999999999999999 in floats)
    expect(judge(point(-0.11, 0.04), guarded).result).toBe('pass');
    const beyond = judge(point(0.12, 0.04), guarded); // inside the tolerance, beyond the guard band
    expect(beyond).toMatchObject({
      result: 'fail',
      rule: 'guarded acceptance (w = 1·U) against MPE ±0.15; point 1 (reference 50): error 0.12 (U 0.04), limit 0.11',
    });
    expect(judge(point(0.12, 0.04)).result).toBe('pass'); // the same point passes simple acceptance
    // r = 0.5: w = 0.02, limit 0.13.
    expect(judge(point(0.12, 0.04), { rule: 'guarded', r: 0.5 }).result).toBe('pass');
    // Guarded acceptance needs U: a point without one cannot be judged (not a silent pass).
    expect(judge(point(0.01), guarded).result).toBe('not_stated');
  });

  it('an MPE that is a function of the value: ±(0.15 + 0.002·|t|) at the reference value', () => {
    expect(mpeAt({ constant: 0.15, proportional: 0.002 }, -50)).toBeCloseTo(0.25, 15); // 0.15 + 0.1
    const classA = { constant: 0.15, proportional: 0.002 };
    // At 100 °C: 0.15 + 0.2 = 0.35.
    expect(judge(point(0.35, undefined, 100), undefined, classA).result).toBe('pass');
    expect(judge(point(0.36, undefined, 100), undefined, classA)).toMatchObject({ result: 'fail', worst: { limit: 0.35 } });
    // At 0 °C the same error is far outside ±0.15.
    expect(judge(point(0.2, undefined, 0), undefined, classA).result).toBe('fail');
  });

  it("per-point tolerance limits (asymmetric) win over the MPE, and a certificate's acceptance limits are used as they are", () => {
    const tol = { ...point(-0.11), tolerance: { lower: -0.1, upper: 0.2 } };
    expect(judge(tol, undefined, 1).result).toBe('fail');
    expect(judge({ ...point(0.19), tolerance: { lower: -0.1, upper: 0.2 } }, undefined, 0.01).result).toBe('pass');
    const acc = { ...point(0.22, 0.04), acceptance: { lower: -0.23, upper: 0.23 } };
    expect(judge(acc, guarded)).toMatchObject({ result: 'pass', rule: expect.stringContaining("the certificate's acceptance limits") });
  });

  it("conditionalPass / conditionalFail are mapped by the record's rule, and the verdict says so", () => {
    expect(mapStatement('conditionalPass', undefined)).toBe('pass');
    expect(mapStatement('conditionalPass', guarded)).toBe('fail');
    expect(mapStatement('conditionalFail', undefined)).toBe('fail');
    expect(mapStatement('conditionalFail', guarded)).toBe('fail');
    const v = judgeTable('as-left', [point(0.01)], 'conditionalPass', { decisionRule: guarded });
    expect(v).toEqual({ state: 'as-left', result: 'fail', rule: 'the certificate states "conditionalPass" (guarded acceptance (w = 1·U): fail)' });
  });

  it('a computed failure is not overridden by a stated pass, nor a stated fail by a computed pass', () => {
    expect(judgeTable('as-left', [point(0.2)], 'pass', { mpe: 0.15 }).result).toBe('fail');
    expect(judgeTable('as-left', [point(0.01)], 'fail', { mpe: 0.15 }).result).toBe('fail');
  });
});

describe('the as-found / as-left truth table, cell by cell', () => {
  // Tolerance ±0.15 on every point; errors 0.05 pass, 0.30 fail; "not stated": no limits, no statement.
  const limits = { tolerance: { lower: -0.15, upper: 0.15 } };
  const asFound = { pass: [{ ...point(0.05, 0.02), ...limits }], fail: [{ ...point(0.3, 0.02), ...limits }], none: undefined };
  const asLeft = { pass: [{ ...point(0.05, 0.02), ...limits }], fail: [{ ...point(0.3, 0.02), ...limits }], not_stated: [point(0.05, 0.02)] };
  const cells: [keyof typeof asFound, keyof typeof asLeft, string, boolean][] = [
    // as found, as left → status from the calibration date on, suspect event for the past
    ['pass', 'pass', 'valid', false],
    ['pass', 'fail', 'out_of_tolerance', false],
    ['pass', 'not_stated', 'valid', false],
    ['fail', 'pass', 'valid', true],
    ['fail', 'fail', 'out_of_tolerance', true],
    ['fail', 'not_stated', 'valid', true],
    ['none', 'pass', 'valid', false],
    ['none', 'fail', 'out_of_tolerance', false],
    ['none', 'not_stated', 'valid', false],
  ];
  for (const [found, left, status, suspect] of cells) {
    it(`as found ${found}, as left ${left} → ${status}${suspect ? ', readings since the last good calibration suspect' : ''}`, async () => {
      const old = record({ certificate: 'OLD', calibrated: '2025-06-01', due: '2026-12-01', range: { min: 0, max: 100 } });
      const { engine, events } = engineWith([old], { t: T });
      const r = record({ certificate: `${found}-${left}`, calibrated: '2026-06-01', due: '2027-06-01', range: { min: 0, max: 100 }, errorTable: asLeft[left] });
      if (asFound[found]) r.asFound = asFound[found];
      await engine.addRecord(r);
      expect(engine.statusOf('bath', undefined, T).status).toBe(status);
      const suspects = events.filter((e) => e.kind === 'suspect');
      expect(suspects).toHaveLength(suspect ? 1 : 0);
      if (suspect) {
        expect(suspects[0]).toMatchObject({
          suspectFrom: new Date(2025, 5, 1).getTime(),
          suspectTo: new Date(2026, 5, 1).getTime(),
          asFoundError: 0.3,
          mpe: 0.15,
          reason: expect.stringContaining('simple acceptance against tolerance -0.15 to 0.15; point 1 (reference 50): error 0.3 (U 0.02), limit 0.15'),
        });
      }
    });
  }
});

describe('verification (检定) versus calibration (校准)', () => {
  const table = [
    { reference: 0, indication: 0.1, error: 0.1, U: 0.04, k: 2 },
    { reference: 100, indication: 100.2, error: 0.2, U: 0.04, k: 2 },
  ];
  const common = { calibrated: '2026-01-10', due: '2027-01-10', range: { min: -50, max: 200 }, errorTable: table, resolution: 0.01 } as const;

  it('a verification applies no correction and u = √((MPE(x)/√3)² + (res/(2√3))²)', () => {
    const v = record({ certificate: 'JJG-1', kind: 'verification', mpe: { constant: 0.15, proportional: 0.002 }, ...common, errorTable: [...table] });
    const r = reading(T, 100);
    engineWith([v], { t: T }).engine.tag(r);
    // MPE(100) = 0.15 + 0.002·100 = 0.35; 0.35/√3 = 0.2020726; res 0.01/(2√3) = 0.0028868;
    // u = √(0.0408333 + 0.0000083) = 0.2020932. The table's U is the verification's own, not added.
    expect(r.value).toBe(100);
    expect(r.u).toBeCloseTo(0.2020932, 7);
    expect(r.k).toBe(2);
    expect(r.cal.traceable).toBe(true);
  });

  it('a calibration applies the correction and u = √((U/k)² + (res/(2√3))²)', () => {
    const c = record({ certificate: 'CAL-1', kind: 'calibration', ...common, errorTable: [...table] });
    const r = reading(T, 100.2);
    engineWith([c], { t: T }).engine.tag(r);
    // E(100.2) = 0.2 → 100.0; u = √(0.02² + 0.0028868²) = 0.0202073.
    expect(r.value).toBeCloseTo(100, 12);
    expect(r.u).toBeCloseTo(0.0202073, 7);
  });

  it('a verification record without an MPE is refused', async () => {
    const { engine } = engineWith([], { t: T });
    await expect(engine.addRecord(record({ certificate: 'JJG-2', kind: 'verification', ...common, errorTable: [...table] }))).rejects.toThrow(
      'mpe: a verification record certifies conformity with an MPE: give mpe',
    );
  });
});

describe('the uncertainty budget per channel', () => {
  it('adds drift per year since the calibration date, its resolution and named components, as a root sum of squares', () => {
    const bath = {
      ...BATH,
      uncertaintyBudget: [{ channel: 'temperature', driftPerYear: 0.02, resolution: 0.01, components: [{ name: 'gradient', u: 0.01 }] }],
    };
    const cal = record({
      certificate: 'B-1',
      calibrated: '2026-01-10',
      due: '2027-06-10',
      resolution: 1,
      range: { min: 0, max: 100 },
      errorTable: [{ reference: 49.8, indication: 50, error: 0.2, U: 0.06, k: 2 }],
    });
    const engine = new CalibrationEngine({ site: 'lab', instruments: [bath], records: [cal], log: silentLogger(), now: () => T });
    // Half a year (182.625 days) after the calibration date: drift 0.02·0.5 = 0.01.
    const ts = new Date(2026, 0, 10).getTime() + 182.625 * 86_400_000;
    const r = reading(ts, 50);
    engine.tag(r);
    // u_cert = 0.06/2 = 0.03; u_res = 0.01/(2√3) = 0.0028868 (the budget's, not the record's 1);
    // u = √(0.03² + 0.0028868² + 0.01² + 0.01²) = √(0.0011083) = 0.0332916.
    expect(r.u).toBeCloseTo(0.0332916, 7);
    // The channel without a budget keeps the record's own terms: u_res = 1/(2√3) = 0.2886751.
    const other = { ...reading(ts, 50) };
    const plain = engineWith([cal], { t: T });
    plain.engine.tag(other);
    expect(other.u).toBeCloseTo(Math.sqrt(0.03 ** 2 + 0.2886751 ** 2), 6);
  });

  it('reported uncertainties round UP to two significant digits (GUM 7.2.6)', () => {
    expect(roundUncertaintyUp(0.0301386)).toBe(0.031);
    expect(roundUncertaintyUp(0.0332916)).toBe(0.034);
    expect(roundUncertaintyUp(0.12)).toBe(0.12);
    expect(roundUncertaintyUp(0.1200001)).toBe(0.13);
    expect(roundUncertaintyUp(1234)).toBe(1300);
    expect(roundUncertaintyUp(0.00057)).toBe(0.00057);
  });
});

describe('computed errors carry no float noise (finding 8)', () => {
  it('a config error computed from indication − reference is the decimal difference', async () => {
    const { recordFromConfig } = await import('../../gateway/calibration/record-from-config.js');
    const r = recordFromConfig('bath', '°C', {
      certificate: 'N',
      calibrated: '2026-01-10',
      due: '2027-01-10',
      errorTable: [{ reference: 50.129, indication: 50.12 }],
    });
    // 50.12 − 50.129 is −0.009000000000000341 in floats.
    expect(r.errorTable[0]!.error).toBe(-0.009);
  });
});
