/**
 * A fixed grid of poll times for one instrument: cycle k is due at start + k·interval. A cycle
 * that starts late keeps the grid (no drift); cycles that a late one overran are counted as
 * skipped, never queued, so a slow device or a full line cannot build up a backlog.
 */
export class PollGrid {
  private due = 0;

  constructor(readonly intervalMs: number) {}

  /** The first cycle is due at `at` (now plus a phase that spreads instruments over the interval). */
  start(at: number): void {
    this.due = at;
  }

  get nextDue(): number {
    return this.due;
  }

  isDue(now: number): boolean {
    return now >= this.due;
  }

  /** After a cycle: moves to the first grid point at or after `now`; returns how many it passed. */
  advance(now: number): number {
    const interval = this.intervalMs;
    this.due += interval;
    if (this.due >= now) return 0;
    const missed = Math.ceil((now - this.due) / interval);
    this.due += missed * interval;
    return missed;
  }
}
