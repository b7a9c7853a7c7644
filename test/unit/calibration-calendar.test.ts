/**
 * A calibration's status as the calendar moves: valid, due soon, expired at the lab's midnight,
 * and which of several records applies to a reading's own timestamp.
 */
import { describe, expect, it } from 'vitest';
import { BATH_CERT, engineWith, reading, record } from '../support/calibration-fixture.js';
import { at, inLabTimeZone } from '../support/lab-time-zone.js';

inLabTimeZone();

describe('calibration status by the calendar', () => {
  it('is valid inside the interval, with the certificate, due date and days to due', () => {
    const { engine } = engineWith([BATH_CERT], { t: 0 });
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
    const { engine } = engineWith([BATH_CERT], { t: 0 });
    expect(engine.statusOf('bath', undefined, at('2026-11-15T23:59:59')).status).toBe('valid');
    const soon = engine.statusOf('bath', undefined, at('2026-11-16T00:00:00'));
    expect(soon).toMatchObject({ status: 'due_soon', traceable: true, daysToDue: 29 });
  });

  it('is due_soon through the due date and expired from the first reading after local midnight, with no restart', () => {
    const now = { t: at('2026-12-15T23:59:59.999') };
    const { engine, events } = engineWith([BATH_CERT], now);
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
    const { engine, events } = engineWith([BATH_CERT], now);
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
    const { engine } = engineWith([renewed, BATH_CERT], { t: 0 });
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
    const { engine } = engineWith([BATH_CERT], { t: 0 });
    const a = engine.statusOf('bath', undefined, at('2026-06-01T08:00:00'));
    expect(engine.statusOf('bath', undefined, at('2026-06-01T20:00:00'))).toBe(a);
    const c = engine.statusOf('bath', undefined, at('2026-06-02T08:00:00'));
    expect(c).not.toBe(a);
    expect(c.daysToDue).toBe(a.daysToDue! - 1);
  });
});
