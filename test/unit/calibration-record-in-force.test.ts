/**
 * Which of an instrument's records is in force, and what its status says: records an assessor
 * would check (issue 12), each failing on the code before the issue.
 */
import { describe, expect, it } from 'vitest';
import { engineWith, reading, record } from '../support/calibration-fixture.js';
import { at, inLabTimeZone } from '../support/lab-time-zone.js';

inLabTimeZone();

describe('which record rules, and what it says (issue 12)', () => {
  const T0 = at('2026-06-01T12:00:00');

  it('finding 2: an as-left failure beside an as-found table makes the instrument out_of_tolerance', () => {
    // The certificate states "fail" for the instrument as left; its as-found data passed.
    const failed = record({
      certificate: 'AL-FAIL',
      calibrated: '2026-03-01',
      due: '2027-03-01',
      range: { min: 0, max: 100 },
      asFound: [{ reference: 50, indication: 50.02, error: 0.02, U: 0.02, k: 2 }],
      errorTable: [{ reference: 50, indication: 50.01, error: 0.01, U: 0.02, k: 2 }],
      conformity: 'fail',
      asFoundConformity: 'pass',
    });
    const { engine } = engineWith([failed], { t: T0 });
    const r = reading(T0, 50);
    engine.tag(r);
    expect(r.cal).toMatchObject({ status: 'out_of_tolerance', certificate: 'AL-FAIL', traceable: false });
  });

  it('finding 8: two records with one calibration date: the later issue rules, whatever the input order', () => {
    const first = record({ certificate: 'ISSUE-1', calibrated: '2026-03-01', issued: '2026-03-02', due: '2027-03-01', range: { min: 0, max: 100 } });
    const reissued = record({ certificate: 'ISSUE-2', calibrated: '2026-03-01', issued: '2026-03-09', due: '2027-03-01', range: { min: 0, max: 100 } });
    for (const order of [
      [first, reissued],
      [reissued, first],
    ]) {
      expect(engineWith(order, { t: T0 }).engine.statusOf('bath', undefined, T0).certificate).toBe('ISSUE-2');
    }
  });

  it('finding 8: a true tie (same calibration and issue dates) is refused with both certificates named', async () => {
    const a = record({ certificate: 'TIE-A', calibrated: '2026-03-01', due: '2027-03-01' });
    const b = record({ certificate: 'TIE-B', calibrated: '2026-03-01', due: '2027-03-01' });
    expect(() => engineWith([a, b], { t: T0 })).toThrow(
      'certificates TIE-A and TIE-B of bath are both calibrated 2026-03-01 with no issue date: which one is in force cannot be decided',
    );
    const { engine } = engineWith([a], { t: T0 });
    await expect(engine.addRecord(b)).rejects.toThrow('TIE-A and TIE-B');
    expect(engine.records('bath').map((r) => r.certificate)).toEqual(['TIE-A']);
  });

  it('finding 8: a limited (准用) instrument shows due_soon in its last 30 days, and its ranges still hold', () => {
    const limited = record({ certificate: 'L', calibrated: '2026-01-10', due: '2026-12-15', range: { min: 0, max: 100 }, limitedTo: [{ min: 0, max: 50 }] });
    const { engine } = engineWith([limited], { t: 0 });
    expect(engine.statusOf('bath', undefined, at('2026-11-15T12:00:00')).status).toBe('limited');
    const inside = reading(at('2026-11-20T12:00:00'), 25);
    const outside = reading(at('2026-11-20T12:00:01'), 80);
    engine.tag(inside);
    engine.tag(outside);
    expect(inside.cal).toMatchObject({ status: 'due_soon', traceable: true });
    expect(outside.cal).toMatchObject({ status: 'due_soon', traceable: false, reason: 'outside the ranges the limited instrument may be used in' });
  });

  it('records loaded from disk get the same checks: an invalid one and one tied with a record in force are not used', () => {
    const a = record({ certificate: 'DISK-A', calibrated: '2026-03-01', due: '2027-03-01', range: { min: 0, max: 100 } });
    const tie = record({ certificate: 'DISK-B', calibrated: '2026-03-01', due: '2027-03-01', range: { min: 0, max: 100 } });
    const sign = record({
      certificate: 'DISK-C',
      calibrated: '2026-04-01',
      due: '2027-04-01',
      errorTable: [{ reference: -40, indication: -39.92, error: -0.08, U: 0.1, k: 2 }],
    });
    const { engine } = engineWith([a], { t: T0 });
    engine.load([tie, sign]);
    expect(engine.records('bath').map((r) => r.certificate)).toEqual(['DISK-A']);
    expect(engine.statusOf('bath', undefined, T0).certificate).toBe('DISK-A');
  });

  it('a new record that fails as left says which rule failed it in its transition event', async () => {
    const { engine, events } = engineWith([], { t: T0 });
    engine.tick(); // uncalibrated noted
    await engine.addRecord(
      record({
        certificate: 'OOT',
        calibrated: '2026-03-01',
        due: '2027-03-01',
        mpe: 0.15,
        range: { min: 0, max: 100 },
        errorTable: [{ reference: 50, indication: 50.2, error: 0.2, U: 0.04, k: 2 }],
      }),
    );
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'transition',
        from: 'uncalibrated',
        to: 'out_of_tolerance',
        reason: 'new record OOT: as left fail by simple acceptance against MPE ±0.15; point 1 (reference 50): error 0.2 (U 0.04), limit 0.15',
      }),
    ]);
  });

  it('finding 5 (API): a record the engine is given is validated like config and DCC records', async () => {
    const { engine } = engineWith([], { t: T0 });
    const correction = record({
      certificate: 'SIGN',
      calibrated: '2026-03-01',
      due: '2027-03-01',
      errorTable: [{ reference: -40, indication: -39.92, error: -0.08, U: 0.1, k: 2 }],
    });
    await expect(engine.addRecord(correction)).rejects.toThrow(
      'errorTable[0].error: indication -39.92 − reference -40 = 0.08, but the error is -0.08: it looks like a correction (reference − indication)',
    );
    const repeated = record({
      certificate: 'REP',
      calibrated: '2026-03-01',
      due: '2027-03-01',
      range: { min: 0, max: 10 },
      limitedTo: [{ min: 5, max: 20 }],
      errorTable: [
        { reference: 1, indication: 1.1, error: 0.1, U: 0.1, k: 2 },
        { reference: 1.05, indication: 1.1, error: 0.05, U: 0.1, k: 2 },
      ],
    });
    await expect(engine.addRecord(repeated)).rejects.toThrow(
      'errorTable[1].indication: indication 1.1 repeats point 1: one indication cannot have two errors; limitedTo[0]: 5 to 20 is not inside the validity range 0 to 10',
    );
    expect(engine.records('bath')).toEqual([]);
  });
});
