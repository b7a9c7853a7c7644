/**
 * Finds the readable address ranges of one table of one slave, for `metrogate scan`. Most devices
 * refuse (exception 2, illegal data address) a read that touches any address they do not map,
 * so "read(a, n) succeeds" holds for every n up to the end of the range that contains a: the
 * edges of a range are found by binary search. Ranges are found from probes on a grid of
 * `step` addresses; a range that lies wholly between two grid points is not seen.
 */
export type ProbeResult = 'ok' | 'refused' | 'unsupported';

/** Reads [address, address + count): ok, refused (exception 2), or the table is not there at all. */
export type Probe = (address: number, count: number) => Promise<ProbeResult>;

export interface RangeSearch {
  /** Registers (or bits) one read may return: 125, or 2000 for coils and discrete inputs. */
  maxCount: number;
  /** Distance between probe points, 1 to maxCount. */
  step: number;
  /** Addresses from 0 up to, not including, this one. */
  end: number;
}

/** [start, end) pairs, ascending; null when the table answers "illegal function". */
export async function findRanges(probe: Probe, search: RangeSearch): Promise<Array<[number, number]> | null> {
  const { maxCount, end: limit } = search;
  const step = Math.max(1, Math.min(search.step, maxCount));
  const ranges: Array<[number, number]> = [];
  let covered = 0;
  for (let g = 0; g < limit; g += step) {
    if (g < covered) continue;
    const first = await probe(g, 1);
    if (first === 'unsupported') return ranges.length === 0 ? null : ranges;
    if (first !== 'ok') continue;
    // The grid point before g was refused (or lies in the last range): the range starts after it.
    const start = await lowest(Math.max(covered, g - step + 1), g, async (s) => (await probe(s, g - s + 1)) === 'ok');
    let end = g + 1;
    for (;;) {
      const n = Math.min(maxCount, limit - end);
      if (n <= 0) break;
      if ((await probe(end, n)) === 'ok') {
        end += n;
        continue;
      }
      end += await highest(0, n - 1, async (k) => k === 0 || (await probe(end, k)) === 'ok');
      break;
    }
    ranges.push([start, end]);
    covered = end;
  }
  return ranges;
}

/** The smallest x in [lo, hi] with ok(x), given ok(hi) and ok monotone (false … false true … true). */
async function lowest(lo: number, hi: number, ok: (x: number) => Promise<boolean>): Promise<number> {
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return hi;
}

/** The largest x in [lo, hi] with ok(x), given ok(lo) and ok monotone (true … true false … false). */
async function highest(lo: number, hi: number, ok: (x: number) => Promise<boolean>): Promise<number> {
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (await ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
