import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDcc } from '../../gateway/calibration/dcc/parse-dcc.js';
import { addToDate, dccToRecord, parsePeriod } from '../../gateway/calibration/dcc/to-record.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import { judgeRecord } from '../../gateway/calibration/decision.js';
import { silentLogger } from '../../gateway/log.js';
import { BATH, reading } from '../support/calibration-fixture.js';
import { ROOT } from '../support/e2e-fixture.js';

const own = (name: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'dcc', name), 'utf8');

describe('a DCC becomes a CalibrationRecord', () => {
  it('Pt100 with adjustment: the whole record, due 12 months after the calibration date', () => {
    const { record, dueFrom } = dccToRecord(parseDcc(own('pt100-adjustment.xml'), { unit: '°C' }), {
      instrument: 'bath-01',
      channel: 'temperature',
      sourceFile: '/data/pt100-adjustment.xml',
    });
    expect(dueFrom).toBe('recalibration period P12M in the certificate');
    expect(record).toEqual({
      certificate: 'MT-2026-0318/A',
      instrument: 'bath-01',
      channel: 'temperature',
      kind: 'calibration',
      calibrated: '2026-03-18',
      issued: '2026-03-20',
      due: '2027-03-18',
      laboratory: 'Musterlabor Temperatur GmbH (D-K-99999-01-00)',
      unit: '°C',
      range: { min: 0, max: 150 },
      errorTable: [
        { reference: 0.012, indication: 0.02, error: 0.008, U: 0.025, k: 2 },
        { reference: 50.006, indication: 50.01, error: 0.004, U: 0.025, k: 2 },
        { reference: 100.003, indication: 99.99, error: -0.013, U: 0.03, k: 2 },
        { reference: 150.01, indication: 150.03, error: 0.02, U: 0.035, k: 2 },
      ],
      asFound: [
        { reference: 0.011, indication: 0.09, error: 0.079, U: 0.025, k: 2 },
        { reference: 50.004, indication: 50.12, error: 0.116, U: 0.025, k: 2 },
        { reference: 100.005, indication: 100.16, error: 0.155, U: 0.03, k: 2 },
        { reference: 150.008, indication: 150.25, error: 0.242, U: 0.035, k: 2 },
      ],
      mpe: 0.15,
      // As left pass, as found fail: kept apart (issue 12, finding 2).
      conformity: 'pass',
      asFoundConformity: 'fail',
      resolution: 0.01,
      traceability: [
        { standard: 'SPRT 5187', certificate: 'PTB-2025-1234' },
        { standard: 'Thermometry bridge, manufacturer: B12345', certificate: 'DKD-K-2025-0456' },
      ],
      source: 'dcc',
      sourceFile: '/data/pt100-adjustment.xml',
    });
  });

  it('a certificate without a recalibration statement needs the due date from the caller, and says so', () => {
    const dcc = parseDcc(own('pressure-gauge-dsi2.xml'), { unit: 'kPa' });
    expect(() => dccToRecord(dcc, { instrument: 'pressure-01' })).toThrow(
      'the certificate states no recalibration date or period (statement refType basic_recalibration): give the due date with --due YYYY-MM-DD or --interval-months N',
    );
    expect(dccToRecord(dcc, { instrument: 'pressure-01', due: '2027-02-01' })).toMatchObject({ record: { due: '2027-02-01' }, dueFrom: '--due' });
    expect(dccToRecord(dcc, { instrument: 'pressure-01', intervalMonths: 6 })).toMatchObject({
      record: { calibrated: '2026-02-05', due: '2026-08-05' },
      dueFrom: '--interval-months 6',
    });
  });

  it("the caller's due date wins over the certificate's; both at once is refused", () => {
    const dcc = parseDcc(own('pt100-adjustment.xml'), { unit: '°C' });
    expect(dccToRecord(dcc, { instrument: 'bath-01', intervalMonths: 24 }).record.due).toBe('2028-03-18');
    expect(() => dccToRecord(dcc, { instrument: 'bath-01', due: '2027-01-01', intervalMonths: 3 })).toThrow('give either --due or --interval-months, not both');
  });

  it('a due date on or before the calibration date is refused', () => {
    const dcc = parseDcc(own('pressure-gauge-dsi2.xml'), { unit: 'kPa' });
    expect(() => dccToRecord(dcc, { instrument: 'p', due: '2026-02-05' })).toThrow('due date 2026-02-05 (--due) must be after the calibration date 2026-02-05');
  });

  it('omits what the certificate does not state (no undefined keys in the stored JSON)', () => {
    const { record } = dccToRecord(parseDcc(own('pressure-gauge-dsi2.xml'), { unit: 'kPa' }), { instrument: 'p', due: '2027-02-05' });
    expect(Object.keys(record).sort()).toEqual(
      [
        'calibrated',
        'certificate',
        'conformity',
        'due',
        'errorTable',
        'instrument',
        'kind',
        'laboratory',
        'mpe',
        'range',
        'source',
        'traceability',
        'unit',
      ].sort(),
    );
  });
});

/** Issue 12: what a certificate says reaches the record, or the user is told it did not. */
describe('nothing a certificate states is lost on import (issue 12)', () => {
  const imported = (name: string) => dccToRecord(parseDcc(own(name), { unit: '°C' }), { instrument: 'bath', channel: 'temperature' });

  it('finding 2: an as-left failure beside a failing as-found table makes the instrument out_of_tolerance', () => {
    const { record } = imported('pt100-as-left-fail.xml');
    expect(record).toMatchObject({ conformity: 'fail', asFoundConformity: 'fail' });
    expect(judgeRecord(record).asLeft).toMatchObject({ result: 'fail', rule: expect.stringContaining('the certificate states "fail"') });
    expect(judgeRecord(record).asFound).toMatchObject({ result: 'fail', worst: { error: 0.242, limit: 0.15 } });
    const engine = new CalibrationEngine({ site: 'lab', instruments: [BATH], records: [record], log: silentLogger() });
    const r = reading(new Date(2026, 5, 1, 12).getTime(), 50);
    engine.tag(r);
    expect(r.cal).toMatchObject({ status: 'out_of_tolerance', certificate: 'MT-2026-0318/F', traceable: false });
  });

  it('finding 3: an error quantity identified by id= instead of refType= is still read, with its U, and the user is told', () => {
    const { record, warnings } = imported('error-by-id.xml');
    // 273.16 K → 0.01 °C, 323.15 K → 50 °C; errors +0.04 and −0.02 K, U 0.03 K (k = 2) on the error.
    expect(record.errorTable).toEqual([
      { reference: 0.01, indication: 0.05, error: 0.04, U: 0.03, k: 2 },
      { reference: 50, indication: 49.98, error: -0.02, U: 0.03, k: 2 },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/\/dcc:quantity[^/]*: identified by id="basic_measurementError" instead of refType: read as that quantity$/);
  });

  it('finding 3: every point without U is listed as a warning', () => {
    const { record, warnings } = imported('no-uncertainty.xml');
    expect(record.errorTable.every((p) => p.U === undefined)).toBe(true);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('as-left point 1 (reference 0.01) states no uncertainty: readings near it will not be traceable');
    expect(warnings[1]).toContain('as-left point 2 (reference 50) states no uncertainty');
  });

  it('per-point, asymmetric tolerance limits are read onto the points, and conditionalPass is kept for the rule to map', () => {
    const { record } = imported('per-point-limits.xml');
    expect(record.errorTable.map((p) => p.tolerance)).toEqual([
      { lower: -0.02, upper: 0.05 },
      { lower: -0.05, upper: 0.05 },
    ]);
    expect(record.mpe).toBeUndefined();
    expect(record.conformity).toBe('conditionalPass');
    // Simple acceptance: 0.04 inside −0.02..0.05 and −0.02 inside −0.05..0.05 → pass.
    expect(judgeRecord(record).asLeft.result).toBe('pass');
    // Guarded, r = 1, U 0.03: point 1 limit 0.05 − 0.03 = 0.02 < 0.04 → fail; conditionalPass → fail too.
    expect(judgeRecord({ ...record, decisionRule: { rule: 'guarded', r: 1 } }).asLeft.result).toBe('fail');
  });
});

describe('calendar arithmetic for due dates', () => {
  it('adds calendar months, clamping to the end of a shorter month', () => {
    expect(addToDate('2026-01-31', 1)).toBe('2026-02-28');
    expect(addToDate('2028-01-31', 1)).toBe('2028-02-29');
    expect(addToDate('2026-03-18', 12)).toBe('2027-03-18');
    expect(addToDate('2026-11-30', 3)).toBe('2027-02-28');
    expect(addToDate('2026-12-31', 0, 1)).toBe('2027-01-01');
  });

  it('reads recalibration periods in years, months and days', () => {
    expect(parsePeriod('P1Y')).toEqual({ months: 12, days: 0 });
    expect(parsePeriod('P1Y6M')).toEqual({ months: 18, days: 0 });
    expect(parsePeriod('P365D')).toEqual({ months: 0, days: 365 });
    expect(() => parsePeriod('PT12H')).toThrow('recalibration period "PT12H" is not a duration in years, months or days');
    expect(() => parsePeriod('P')).toThrow('is not a duration');
  });
});
