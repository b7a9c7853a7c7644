import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineWith, reading, record } from '../support/calibration-fixture.js';

// Calibration dates are local calendar dates: run in a zone far from UTC to prove it.
let savedTz: string | undefined;
beforeEach(() => {
  savedTz = process.env.TZ;
  process.env.TZ = 'Asia/Shanghai';
});
afterEach(() => {
  process.env.TZ = savedTz;
});

/** Local wall-clock time in the test's zone (UTC+8), written the way a lab would say it. */
const at = (iso: string) => new Date(`${iso}+08:00`).getTime();
const CERT = record({ certificate: 'CNAS-T-2026-0042', calibrated: '2026-01-10', due: '2026-12-15', range: { min: -40, max: 250 } });

describe('calibration status by the calendar', () => {
  it('is valid inside the interval, with the certificate, due date and days to due', () => {
    const { engine } = engineWith([CERT], { t: 0 });
    expect(engine.statusOf('bath', undefined, at('2026-06-01T12:00:00'))).toEqual({
      status: 'valid',
      certificate: 'CNAS-T-2026-0042',
      laboratory: null,
      due: '2026-12-15',
      daysToDue: 197,
      traceable: true,
    });
  });

  it('turns due_soon 30 days before the due date by default, or as the site policy says', () => {
    const { engine } = engineWith([CERT], { t: 0 });
    expect(engine.statusOf('bath', undefined, at('2026-11-15T23:59:59')).status).toBe('valid');
    const soon = engine.statusOf('bath', undefined, at('2026-11-16T00:00:00'));
    expect(soon).toMatchObject({ status: 'due_soon', traceable: true, daysToDue: 29 });
  });

  it('is due_soon through the due date and expired from the first reading after local midnight, with no restart', () => {
    const now = { t: at('2026-12-15T23:59:59.999') };
    const { engine, events } = engineWith([CERT], now);
    const before = reading(now.t, 20);
    engine.tag(before);
    expect(before.cal).toMatchObject({ status: 'due_soon', daysToDue: 0, traceable: true });
    now.t = at('2026-12-16T00:00:00.5');
    const after = reading(now.t, 20);
    engine.tag(after);
    expect(after.cal).toEqual({ status: 'expired', certificate: 'CNAS-T-2026-0042', laboratory: null, due: '2026-12-15', daysToDue: -1, traceable: false });
    // The transition is dated at the boundary, not at the reading that noticed it.
    expect(events).toEqual([
      expect.objectContaining({ kind: 'transition', from: 'due_soon', to: 'expired', ts: at('2026-12-16T00:00:00'), reason: 'calendar' }),
    ]);
  });

  it('reports a transition with no readings at all when the calendar tick runs (an offline instrument expires too)', () => {
    const now = { t: at('2026-12-15T12:00:00') };
    const { engine, events } = engineWith([CERT], now);
    engine.tick();
    expect(events).toEqual([]);
    now.t = at('2026-12-16T00:00:30');
    engine.tick();
    expect(events.map((e) => [e.from, e.to])).toEqual([['due_soon', 'expired']]);
  });

  it('honours dueSoonShare and takes the earlier of share and days', () => {
    const share = record({ certificate: 'C', calibrated: '2026-01-01', due: '2026-12-31', dueSoonShare: 0.9 });
    const { engine } = engineWith([share], { t: 0 });
    // Interval 2026-01-01 .. 2027-01-01 (365 days): 90 % used on day 328.5 → 2026-11-25 12:00.
    expect(engine.statusOf('bath', undefined, at('2026-11-25T11:00:00')).status).toBe('valid');
    expect(engine.statusOf('bath', undefined, at('2026-11-25T13:00:00')).status).toBe('due_soon');
    const both = engineWith([{ ...share, dueSoonDays: 60 }], { t: 0 }).engine;
    expect(both.statusOf('bath', undefined, at('2026-11-02T12:00:00')).status).toBe('due_soon');
    expect(both.statusOf('bath', undefined, at('2026-11-01T12:00:00')).status).toBe('valid');
  });

  it('tags a reading by the record valid at its own timestamp: history, before the first, and a renewal', () => {
    const renewed = record({ certificate: 'CNAS-T-2027-0007', calibrated: '2026-12-10', due: '2027-12-10' });
    const { engine } = engineWith([renewed, CERT], { t: 0 });
    expect(engine.statusOf('bath', undefined, at('2026-01-09T23:00:00'))).toEqual({
      status: 'uncalibrated',
      certificate: null,
      laboratory: null,
      due: null,
      daysToDue: null,
      traceable: false,
    });
    expect(engine.statusOf('bath', undefined, at('2026-12-09T10:00:00'))).toMatchObject({ status: 'due_soon', certificate: 'CNAS-T-2026-0042' });
    expect(engine.statusOf('bath', undefined, at('2026-12-10T10:00:00'))).toMatchObject({
      status: 'valid',
      certificate: 'CNAS-T-2027-0007',
      due: '2027-12-10',
    });
    expect(engine.records('bath').map((r) => r.certificate)).toEqual(['CNAS-T-2027-0007', 'CNAS-T-2026-0042']);
  });

  it('reuses one tag object within a day and status, and a new one the next day', () => {
    const { engine } = engineWith([CERT], { t: 0 });
    const a = engine.statusOf('bath', undefined, at('2026-06-01T08:00:00'));
    expect(engine.statusOf('bath', undefined, at('2026-06-01T20:00:00'))).toBe(a);
    const c = engine.statusOf('bath', undefined, at('2026-06-02T08:00:00'));
    expect(c).not.toBe(a);
    expect(c.daysToDue).toBe(a.daysToDue! - 1);
  });
});

describe('statuses from the certificate and by hand', () => {
  it('is out_of_tolerance when the instrument fails as left, and its readings are not traceable', () => {
    const failed = record({ certificate: 'F', calibrated: '2026-01-10', due: '2026-12-15', conformity: 'fail' });
    const r = reading(at('2026-03-01T10:00:00'), 20);
    engineWith([failed], { t: 0 }).engine.tag(r);
    expect(r.cal).toMatchObject({ status: 'out_of_tolerance', certificate: 'F', traceable: false });
    const overMpe = record({
      certificate: 'M',
      calibrated: '2026-01-10',
      due: '2026-12-15',
      mpe: 0.05,
      errorTable: [{ reference: 20, indication: 20.08, error: 0.08 }],
    });
    expect(engineWith([overMpe], { t: 0 }).engine.statusOf('bath', undefined, at('2026-03-01T10:00:00')).status).toBe('out_of_tolerance');
  });

  it('is limited (准用) with allowed ranges: readings inside are traceable, outside are not', () => {
    const limited = record({ certificate: 'L', calibrated: '2026-01-10', due: '2026-12-15', range: { min: 0, max: 100 }, limitedTo: [{ min: 0, max: 50 }] });
    const { engine } = engineWith([limited], { t: 0 });
    const inside = reading(at('2026-03-01T10:00:00'), 25);
    const outside = reading(at('2026-03-01T10:00:01'), 80);
    engine.tag(inside);
    engine.tag(outside);
    expect(inside.cal).toMatchObject({ status: 'limited', traceable: true });
    expect(outside.cal).toMatchObject({ status: 'limited', traceable: false });
  });

  it('quarantine applies from the moment it is set, is an event, and release returns to the calendar status', () => {
    const now = { t: at('2026-03-01T10:00:00') };
    const { engine, events } = engineWith([CERT], now);
    engine.tick();
    engine.setManualStatus({ instrument: 'bath', status: 'quarantined', reason: 'failed intermediate check', by: 'alice' });
    const earlier = reading(now.t - 1000, 20);
    const later = reading(now.t + 1000, 20);
    engine.tag(earlier);
    engine.tag(later);
    expect(earlier.cal.status).toBe('valid');
    expect(later.cal).toMatchObject({ status: 'quarantined', traceable: false, certificate: 'CNAS-T-2026-0042' });
    now.t += 60_000;
    engine.setManualStatus({ instrument: 'bath', status: null, reason: 'check repeated, passed', by: 'bob' });
    expect(engine.statusOf('bath').status).toBe('valid');
    expect(events.map((e) => [e.from, e.to, e.reason])).toEqual([
      ['valid', 'quarantined', 'quarantined by alice: failed intermediate check'],
      ['quarantined', 'valid', 'released by bob: check repeated, passed'],
    ]);
  });

  it('a new record changes the status at once and says so', async () => {
    const now = { t: at('2026-12-20T10:00:00') };
    const { engine, events } = engineWith([CERT], now);
    engine.tick();
    expect(engine.statusOf('bath').status).toBe('expired');
    await engine.addRecord(record({ certificate: 'NEW-1', calibrated: '2026-12-19', due: '2027-12-19' }));
    expect(engine.statusOf('bath')).toMatchObject({ status: 'valid', certificate: 'NEW-1' });
    expect(events).toEqual([expect.objectContaining({ from: 'expired', to: 'valid', reason: 'new record NEW-1', certificate: 'NEW-1' })]);
    await expect(engine.addRecord(record({ certificate: 'NEW-1', calibrated: '2026-12-19', due: '2027-12-19' }))).rejects.toThrow('already recorded');
    await expect(engine.addRecord(record({ certificate: 'X', channel: 'nope', calibrated: '2026-12-19', due: '2027-12-19' }))).rejects.toThrow(
      'no channel "nope"',
    );
  });

  it('a channel with a record of its own follows it; the other channels follow the instrument', () => {
    const own = record({ certificate: 'CH-1', channel: 'power', unit: '%', calibrated: '2026-02-01', due: '2026-03-01' });
    const { engine } = engineWith([CERT, own], { t: 0 });
    const t = at('2026-06-01T10:00:00');
    const temperature = reading(t, 20);
    const power = reading(t, 40, 'power', '%');
    engine.tag(temperature);
    engine.tag(power);
    expect(temperature.cal).toMatchObject({ status: 'valid', certificate: 'CNAS-T-2026-0042' });
    expect(power.cal).toMatchObject({ status: 'expired', certificate: 'CH-1' });
    // Before the channel's own record, the instrument's applies to it.
    expect(engine.statusOf('bath', 'power', at('2026-01-20T10:00:00'))).toMatchObject({ certificate: 'CNAS-T-2026-0042' });
  });
});

/** Issue 12: records an assessor would check, each failing on the code before the issue. */
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
