import { describe, expect, it } from 'vitest';
import { findRanges, type Probe } from '../../drivers/modbus/scan/find-ranges.js';

/** A device that maps `ranges` and refuses any read touching anything else, counting the reads. */
function device(ranges: Array<[number, number]>): { probe: Probe; reads: () => number } {
  let reads = 0;
  const readable = (a: number): boolean => ranges.some(([from, to]) => a >= from && a < to);
  return {
    probe: async (address, count) => {
      reads++;
      for (let a = address; a < address + count; a++) if (!readable(a)) return 'refused';
      return 'ok';
    },
    reads: () => reads,
  };
}

describe('finding readable ranges for metrogate scan', () => {
  it('finds each range that a probe point falls in, edges exact, with a binary search per edge', async () => {
    const map: Array<[number, number]> = [
      [0, 4],
      [16, 24],
      [300, 700],
      [999, 1000],
    ];
    const d = device(map);
    const grid = Array.from({ length: 100 }, (_, i) => i * 10);
    const visible = map.filter(([from, to]) => grid.some((g) => g >= from && g < to));
    expect(visible).toHaveLength(3); // 999 lies between two probe points
    expect(await findRanges(d.probe, { maxCount: 125, step: 10, end: 1000 })).toEqual(visible);
    // 100 grid probes plus about log2(10) + log2(125) per edge, not one read per address.
    expect(d.reads()).toBeLessThan(100 + 3 * 20 + 10);
  });

  it('misses a range shorter than the step that lies between two probe points, as documented', async () => {
    expect(await findRanges(device([[3, 6]]).probe, { maxCount: 125, step: 10, end: 100 })).toEqual([]);
    expect(await findRanges(device([[3, 6]]).probe, { maxCount: 125, step: 1, end: 100 })).toEqual([[3, 6]]);
  });

  it('stops at the end of the scanned span, and reports a table the device does not have', async () => {
    expect(await findRanges(device([[0, 5000]]).probe, { maxCount: 125, step: 50, end: 1000 })).toEqual([[0, 1000]]);
    expect(await findRanges(async () => 'unsupported', { maxCount: 2000, step: 10, end: 100 })).toBeNull();
  });
});
