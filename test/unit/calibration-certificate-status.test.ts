/**
 * Statuses a certificate or a person sets: out of tolerance, limited (准用) to ranges,
 * quarantined and released by hand, a new record taking effect, a channel with its own record.
 */
import { describe, expect, it } from 'vitest';
import { BATH_CERT, engineWith, reading, record } from '../support/calibration-fixture.js';
import { at, inLabTimeZone } from '../support/lab-time-zone.js';

inLabTimeZone();

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
    const { engine, events } = engineWith([BATH_CERT], now);
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

  it('a quarantine or a record before any reading or calendar tick is an event from the status in force until then', async () => {
    const now = { t: at('2026-03-01T10:00:00') };
    const { engine, events } = engineWith([BATH_CERT], now);
    engine.setManualStatus({ instrument: 'bath', status: 'quarantined', reason: 'failed intermediate check', by: 'alice' });
    const first = reading(now.t + 1000, 20);
    engine.tag(first);
    expect(first.cal.status).toBe('quarantined');
    const fresh = engineWith([BATH_CERT], { t: at('2026-12-20T10:00:00') });
    await fresh.engine.addRecord(record({ certificate: 'NEW-1', calibrated: '2026-12-19', due: '2027-12-19' }));
    expect([...events, ...fresh.events].map((e) => [e.from, e.to, e.reason])).toEqual([
      ['valid', 'quarantined', 'quarantined by alice: failed intermediate check'],
      ['expired', 'valid', 'new record NEW-1'],
    ]);
  });

  it('a new record changes the status at once and says so', async () => {
    const now = { t: at('2026-12-20T10:00:00') };
    const { engine, events } = engineWith([BATH_CERT], now);
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
    const { engine } = engineWith([BATH_CERT, own], { t: 0 });
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
