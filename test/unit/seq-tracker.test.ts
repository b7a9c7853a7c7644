import { describe, expect, it } from 'vitest';
import { SeqTracker } from '../../gateway/ingest/seq-tracker.js';

describe('SeqTracker', () => {
  it('counts nothing for an unbroken stream', () => {
    const t = new SeqTracker();
    for (let q = 1; q <= 1000; q++) t.note('a', q);
    expect(t.totals()).toEqual({ streams: 1, gaps: 0, duplicates: 0 });
  });

  it('counts a gap, and takes it back when the missing reading arrives late', () => {
    const t = new SeqTracker();
    for (const q of [1, 2, 5, 6]) t.note('a', q);
    expect(t.of('a')).toEqual({ gaps: 2, duplicates: 0, max: 6 });
    t.note('a', 3);
    expect(t.of('a')!.gaps).toBe(1);
    t.note('a', 4);
    expect(t.of('a')!.gaps).toBe(0);
  });

  it('counts redeliveries as duplicates, per stream', () => {
    const t = new SeqTracker();
    for (const q of [1, 2, 3, 2, 3, 4]) t.note('a', q);
    for (const q of [1, 1]) t.note('b', q);
    expect(t.of('a')).toEqual({ gaps: 0, duplicates: 2, max: 4 });
    expect(t.of('b')).toEqual({ gaps: 0, duplicates: 1, max: 1 });
    expect(t.totals()).toEqual({ streams: 2, gaps: 0, duplicates: 3 });
  });

  it('stays exact across the window wrap', () => {
    const t = new SeqTracker();
    for (let q = 1; q <= 200_000; q++) if (q !== 150_000) t.note('a', q);
    t.note('a', 199_999);
    expect(t.of('a')).toEqual({ gaps: 1, duplicates: 1, max: 200_000 });
  });
});
