import { describe, expect, it } from 'vitest';
import { missingRanges, StreamGaps, type GapPolicy } from '../../gateway/repair/gap-tracker.js';
import { mergeRanges } from '../../gateway/ingest/audit-sequences.js';

const policy: GapPolicy = { retryMs: 10_000, maxAttempts: 3, maxRangeReadings: 100, maxRequestsPerCheck: 4 };

describe('missingRanges', () => {
  it('finds holes inside, at the start and at the tail of (after, upTo]', () => {
    expect(missingRanges([1, 2, 3, 4, 5], 0, 5)).toEqual([]);
    expect(missingRanges([2, 3, 7], 0, 10)).toEqual([
      [1, 1],
      [4, 6],
      [8, 10],
    ]);
    expect(missingRanges([], 4, 6)).toEqual([[5, 6]]);
  });

  it('ignores duplicates and seqs outside the window', () => {
    expect(missingRanges([1, 3, 3, 3, 4, 12], 2, 6)).toEqual([[5, 6]]);
  });
});

describe('mergeRanges (the audit counts a range two ingesters asked for once)', () => {
  it('joins overlapping and adjacent ranges, in any order', () => {
    expect(
      mergeRanges([
        [10, 20],
        [1, 3],
        [15, 25],
        [4, 5],
        [30, 30],
      ]),
    ).toEqual([
      [1, 5],
      [10, 25],
      [30, 30],
    ]);
    expect(mergeRanges([])).toEqual([]);
  });
});

describe('StreamGaps', () => {
  it('asks for a new gap at once, counts what arrives after the ask as repaired, and moves the watermark', () => {
    const g = new StreamGaps(policy);
    const first = g.update(
      1000,
      [
        [4, 6],
        [9, 10],
      ],
      10,
    );
    expect(first).toEqual({
      ask: [
        [4, 6],
        [9, 10],
      ],
      repaired: 0,
      lost: [],
      open: 5,
      watermark: 3,
    });
    // 4..6 and 10 came back; 9 still missing and not yet due again.
    const second = g.update(2000, [[9, 9]], 10);
    expect(second).toEqual({ ask: [], repaired: 4, lost: [], open: 1, watermark: 8 });
    const third = g.update(12_000, [], 12);
    expect(third).toEqual({ ask: [], repaired: 1, lost: [], open: 0, watermark: 12 });
  });

  it('a loss at the tail is a gap like any other', () => {
    const g = new StreamGaps(policy, 50);
    expect(g.update(0, [[91, 100]], 100)).toMatchObject({ ask: [[91, 100]], open: 10, watermark: 90 });
  });

  it('asks again after retryMs, and gives a range up as lost after maxAttempts asks', () => {
    const g = new StreamGaps(policy);
    expect(g.update(0, [[5, 5]], 10).ask).toEqual([[5, 5]]);
    expect(g.update(5_000, [[5, 5]], 10).ask).toEqual([]);
    expect(g.update(10_000, [[5, 5]], 10).ask).toEqual([[5, 5]]);
    expect(g.update(20_000, [[5, 5]], 10).ask).toEqual([[5, 5]]);
    const gaveUp = g.update(30_000, [[5, 5]], 12);
    expect(gaveUp).toEqual({ ask: [], repaired: 0, lost: [[5, 5]], open: 0, watermark: 12 });
  });

  it('splits a long gap into request-sized parts and asks for a few per check', () => {
    const g = new StreamGaps(policy);
    const u = g.update(0, [[1, 1000]], 1000);
    expect(u.ask).toEqual([
      [1, 100],
      [101, 200],
      [201, 300],
      [301, 400],
    ]);
    expect(u.open).toBe(1000);
    // The parts not asked yet are asked at the next check, not after retryMs.
    expect(g.update(1000, [[1, 1000]], 1000).ask).toEqual([
      [401, 500],
      [501, 600],
      [601, 700],
      [701, 800],
    ]);
  });

  it('a gap that fills in part keeps its attempts for what is still missing', () => {
    const g = new StreamGaps(policy);
    g.update(0, [[10, 20]], 20);
    const u = g.update(1000, [[15, 16]], 20);
    expect(u).toMatchObject({ ask: [], repaired: 9, open: 2, watermark: 14 });
    expect(g.update(10_000, [[15, 16]], 20).ask).toEqual([[15, 16]]);
  });

  it('does not count as repaired what arrived late without being asked for', () => {
    const g = new StreamGaps({ ...policy, maxRequestsPerCheck: 1 });
    g.update(
      0,
      [
        [1, 1],
        [5, 5],
      ],
      5,
    );
    expect(g.update(100, [], 5)).toMatchObject({ repaired: 1, open: 0, watermark: 5 });
  });
});
