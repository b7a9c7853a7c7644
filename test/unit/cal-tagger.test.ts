import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalTagger } from '../../gateway/calibration/cal-tagger.js';
import type { CalibrationConfig } from '../../config/schema.js';
import type { CalStatus } from '../../gateway/reading.js';

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

const record: CalibrationConfig = {
  certificate: 'CNAS-T-2026-0042',
  calibrated: '2026-01-10',
  due: '2026-12-15',
};

describe('CalTagger (first cut: one record per instrument)', () => {
  it('is valid inside the interval, with the certificate, due date and days to due', () => {
    const tag = new CalTagger('bath', record).tagAt(at('2026-06-01T12:00:00'));
    expect(tag).toEqual({ status: 'valid', certificate: 'CNAS-T-2026-0042', due: '2026-12-15', daysToDue: 197, traceable: true });
  });

  it('turns due_soon 30 days before the due date by default', () => {
    const t = new CalTagger('bath', record);
    // Expires at 2026-12-16 00:00, so due_soon starts at 2026-11-16 00:00.
    expect(t.tagAt(at('2026-11-15T23:59:59')).status).toBe('valid');
    const soon = t.tagAt(at('2026-11-16T00:00:00'));
    expect(soon.status).toBe('due_soon');
    expect(soon.traceable).toBe(true);
    expect(soon.daysToDue).toBe(29);
  });

  it('is still due_soon on the due date and expired from the first reading after local midnight, without a restart', () => {
    const t = new CalTagger('bath', record);
    const last = t.tagAt(at('2026-12-15T23:59:59.999'));
    expect(last.status).toBe('due_soon');
    expect(last.daysToDue).toBe(0);
    const first = t.tagAt(at('2026-12-16T00:00:00'));
    expect(first).toEqual({ status: 'expired', certificate: 'CNAS-T-2026-0042', due: '2026-12-15', daysToDue: -1, traceable: false });
  });

  it('honours dueSoonShare (share of the interval used) and takes the earlier of share and days', () => {
    // Interval 2026-01-01 .. 2027-01-01 (365 days): 90 % used on day 328.5 → 2026-11-25 12:00.
    const share = new CalTagger('x', { certificate: 'C', calibrated: '2026-01-01', due: '2026-12-31', dueSoonShare: 0.9 });
    expect(share.tagAt(at('2026-11-25T11:00:00')).status).toBe('valid');
    expect(share.tagAt(at('2026-11-25T13:00:00')).status).toBe('due_soon');
    const both = new CalTagger('x', { certificate: 'C', calibrated: '2026-01-01', due: '2026-12-31', dueSoonShare: 0.9, dueSoonDays: 60 });
    expect(both.tagAt(at('2026-11-02T12:00:00')).status).toBe('due_soon');
    expect(both.tagAt(at('2026-11-01T12:00:00')).status).toBe('valid');
  });

  it('tags a reading taken before the calibration date as uncalibrated, without the certificate', () => {
    const tag = new CalTagger('bath', record).tagAt(at('2026-01-09T23:00:00'));
    expect(tag).toEqual({ status: 'uncalibrated', certificate: null, due: null, daysToDue: null, traceable: false });
  });

  it('tags every reading of an instrument without a record as uncalibrated and not traceable', () => {
    const tag = new CalTagger('bath', undefined).tagAt(at('2026-06-01T00:00:00'));
    expect(tag.status).toBe('uncalibrated');
    expect(tag.traceable).toBe(false);
  });

  it('reuses one tag object within a day and status (no allocation per reading)', () => {
    const t = new CalTagger('bath', record);
    const a = t.tagAt(at('2026-06-01T08:00:00'));
    const b = t.tagAt(at('2026-06-01T20:00:00'));
    const c = t.tagAt(at('2026-06-02T08:00:00'));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(c.daysToDue).toBe(a.daysToDue! - 1);
  });

  it('reports each status transition once, in order, with the previous status', () => {
    const seen: [CalStatus | null, CalStatus][] = [];
    const t = new CalTagger('bath', record, (_id, from, tag) => seen.push([from, tag.status]));
    for (const d of ['2026-06-01', '2026-06-02', '2026-11-20', '2026-11-21', '2026-12-16', '2026-12-17']) t.tagAt(at(`${d}T10:00:00`));
    expect(seen).toEqual([
      [null, 'valid'],
      ['valid', 'due_soon'],
      ['due_soon', 'expired'],
    ]);
  });
});
