/**
 * Which batch ids one consumer has acknowledged: everything ≤ cursor, plus disjoint ranges above
 * it. Acknowledgements come out of order (live batches overtake a replay, a retried batch comes
 * back late); the cursor only moves over a gap-free prefix, so a crash re-sends at most what was
 * above it. Each ack episode (a run of live batches while a replay is behind) is one range, so
 * memory stays small even when millions of ids are acknowledged above the cursor.
 */
export class AckedRanges {
  /** Sorted, disjoint, non-adjacent [lo, hi] pairs, all with lo > cursor + 1. */
  private readonly ranges: [number, number][] = [];

  constructor(private cursorId = 0) {}

  get cursor(): number {
    return this.cursorId;
  }

  /** Number of ranges above the cursor (a measure of fragmentation). */
  get fragments(): number {
    return this.ranges.length;
  }

  has(id: number): boolean {
    if (id <= this.cursorId) return true;
    const i = this.indexAfter(id) - 1;
    return i >= 0 && this.ranges[i]![1] >= id;
  }

  /** Returns false when it was already acknowledged. */
  add(id: number): boolean {
    if (this.has(id)) return false;
    const i = this.indexAfter(id); // ranges[i - 1].lo <= id < ranges[i].lo
    const left = i > 0 && this.ranges[i - 1]![1] === id - 1;
    const right = i < this.ranges.length && this.ranges[i]![0] === id + 1;
    if (left && right) {
      this.ranges[i - 1]![1] = this.ranges[i]![1];
      this.ranges.splice(i, 1);
    } else if (left) {
      this.ranges[i - 1]![1] = id;
    } else if (right) {
      this.ranges[i]![0] = id;
    } else {
      this.ranges.splice(i, 0, [id, id]);
    }
    this.absorb();
    return true;
  }

  /** The smallest id ≥ from that is not acknowledged. */
  nextUnacked(from: number): number {
    let id = Math.max(from, this.cursorId + 1);
    const i = this.indexAfter(id) - 1;
    if (i >= 0 && this.ranges[i]![1] >= id) id = this.ranges[i]![1] + 1;
    return id;
  }

  /** The first acknowledged id above `from` (Infinity when there is none): where a scan can stop. */
  nextAckedAbove(from: number): number {
    const i = this.indexAfter(from);
    return i < this.ranges.length ? this.ranges[i]![0] : Infinity;
  }

  /** Index of the first range with lo > id. */
  private indexAfter(id: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid]![0] <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private absorb(): void {
    const first = this.ranges[0];
    if (first && first[0] === this.cursorId + 1) {
      this.cursorId = first[1];
      this.ranges.shift();
    }
  }
}
