import { describe, expect, it } from 'vitest';
import { summariseInstrument } from '../../gateway/calibration/instrument-summary.js';
import type { CalStatus, CalTag } from '../../gateway/reading.js';
import { BATH, engineWith, record } from '../support/calibration-fixture.js';

const tag = (status: CalStatus, certificate: string | null = null): CalTag => ({
  status,
  certificate,
  due: certificate ? '2027-01-01' : null,
  daysToDue: certificate ? 30 : null,
  traceable: status === 'valid' || status === 'due_soon' || status === 'limited',
});
const ch = (_channel: string, status: CalStatus, hasRecord: boolean, certificate: string | null = null) => ({ hasRecord, tag: tag(status, certificate) });
const NONE = tag('uncalibrated');

describe('instrument summary from its channels (issue 12 item 7)', () => {
  it('is the worst of the channels that have a record; channels without one do not count', () => {
    expect(summariseInstrument([ch('t', 'valid', true, 'A'), ch('setpoint', 'uncalibrated', false)], NONE)).toEqual(tag('valid', 'A'));
    expect(summariseInstrument([ch('t', 'valid', true, 'A'), ch('p', 'due_soon', true, 'B')], NONE)).toEqual(tag('due_soon', 'B'));
    expect(summariseInstrument([ch('t', 'limited', true, 'A'), ch('p', 'expired', true, 'B'), ch('q', 'out_of_tolerance', true, 'C')], NONE).status).toBe(
      'out_of_tolerance',
    );
    // A channel whose record starts later is uncalibrated now: worse than a limited one.
    expect(summariseInstrument([ch('t', 'limited', true, 'A'), ch('p', 'uncalibrated', true)], NONE).status).toBe('uncalibrated');
  });

  it('is uncalibrated (or the manual status) only when no channel has a record', () => {
    expect(summariseInstrument([ch('t', 'uncalibrated', false)], NONE)).toBe(NONE);
    const q = tag('quarantined');
    expect(summariseInstrument([ch('t', 'quarantined', false)], q)).toBe(q);
    expect(summariseInstrument([], NONE)).toBe(NONE);
  });

  it('the engine: a certificate of one channel makes the instrument valid, the other channel stays uncalibrated', () => {
    const now = { t: new Date('2026-06-01T12:00:00').getTime() };
    const { engine } = engineWith([record({ certificate: 'T-1', channel: 'temperature', calibrated: '2026-01-10', due: '2027-01-10' })], now);
    expect(engine.statusOf('bath')).toMatchObject({ status: 'valid', certificate: 'T-1' });
    expect(engine.channelStatuses('bath')).toEqual([
      expect.objectContaining({ channel: 'temperature', hasRecord: true, status: 'valid', certificate: 'T-1' }),
      expect.objectContaining({ channel: 'power', hasRecord: false, status: 'uncalibrated', certificate: null }),
    ]);
    expect(BATH.channels.map((c) => c.id)).toEqual(['temperature', 'power']);
  });

  it('the engine: an instrument-wide record covers every channel, and the worst channel record rules the summary', () => {
    const now = { t: new Date('2026-06-01T12:00:00').getTime() };
    const { engine } = engineWith(
      [
        record({ certificate: 'W-1', calibrated: '2026-01-10', due: '2027-01-10' }),
        record({ certificate: 'P-1', channel: 'power', unit: '%', calibrated: '2025-01-10', due: '2026-05-01' }),
      ],
      now,
    );
    expect(engine.channelStatuses('bath').map((c) => [c.channel, c.hasRecord, c.status])).toEqual([
      ['temperature', true, 'valid'],
      ['power', true, 'expired'],
    ]);
    expect(engine.statusOf('bath')).toMatchObject({ status: 'expired', certificate: 'P-1' });
  });
});
