/**
 * How full a shared line is, and saying so when it is too full. Each instrument's cycle costs
 * the line the time of its transactions (wire time, the slave's turnaround, the gaps); the
 * line's load is the sum over instruments of cost / interval. Above 1 the line cannot keep every
 * interval: cycles are skipped (never queued), the line is flagged over capacity in the stats and
 * a warning names the instruments that fall behind, repeated while it lasts.
 */
import type { Logger } from '../../gateway/log.js';

const WARN_EVERY_MS = 60_000;
/** Weight of the newest cycle in each instrument's cost estimate. */
const EWMA = 0.2;

export interface LoadMember {
  id: string;
  intervalMs: number;
}

interface MemberLoad {
  cost: number;
  busyThisCycle: number;
  /** A backed-off slave uses the line only for its rare probes: it counts for nothing. */
  active: boolean;
  skippedInWindow: number;
}

export class LineLoad {
  private readonly loads: MemberLoad[];
  private readonly windowMs: number;
  private windowStart: number;
  private windowBusy = 0;
  private lastWindowBusy = 0;
  private lastWindowMs = 1;
  private over = false;
  private lastWarnAt = -Infinity;

  constructor(
    private readonly line: string,
    private readonly members: readonly LoadMember[],
    private readonly log: Logger,
    now: number,
  ) {
    this.loads = members.map(() => ({ cost: 0, busyThisCycle: 0, active: true, skippedInWindow: 0 }));
    // Long enough to hold a few cycles of the slowest instrument.
    this.windowMs = Math.max(2000, 3 * Math.max(...members.map((m) => m.intervalMs)));
    this.windowStart = now;
  }

  get overCapacity(): boolean {
    return this.over;
  }

  /** Estimated share of the line's time the instruments need; above 1 is over capacity. */
  get load(): number {
    return this.loads.reduce((sum, l, i) => sum + (l.active ? l.cost / this.members[i]!.intervalMs : 0), 0);
  }

  /** Share of the last full window the line was busy with transactions. */
  get utilisation(): number {
    return this.lastWindowBusy / this.lastWindowMs;
  }

  transaction(member: number, ms: number): void {
    this.loads[member]!.busyThisCycle += ms;
    this.windowBusy += ms;
  }

  /** A cycle ended: `usedLine` false for a backed-off slave's cycle that sent nothing. */
  cycleDone(member: number, usedLine: boolean, backedOff: boolean, skipped: number, now: number): void {
    const l = this.loads[member]!;
    l.active = !backedOff;
    if (usedLine && !backedOff) l.cost = l.cost === 0 ? l.busyThisCycle : l.cost + EWMA * (l.busyThisCycle - l.cost);
    l.busyThisCycle = 0;
    if (skipped > 0 && !backedOff) {
      l.skippedInWindow += skipped;
      if (!this.over || now - this.lastWarnAt >= WARN_EVERY_MS) this.warn(now);
      this.over = true;
    }
    this.roll(now);
  }

  private roll(now: number): void {
    if (now - this.windowStart < this.windowMs) return;
    const skipped = this.loads.some((l) => l.skippedInWindow > 0);
    if (this.over && !skipped) {
      this.over = false;
      this.log.info({ line: this.line, load: round(this.load) }, 'modbus line back within capacity');
    }
    for (const l of this.loads) l.skippedInWindow = 0;
    this.lastWindowBusy = this.windowBusy;
    this.lastWindowMs = now - this.windowStart;
    this.windowBusy = 0;
    this.windowStart = now;
  }

  private warn(now: number): void {
    this.lastWarnAt = now;
    const lagging = this.members.filter((_, i) => this.loads[i]!.skippedInWindow > 0).map((m) => m.id);
    const instruments = this.members.map((m, i) => ({
      id: m.id,
      intervalMs: m.intervalMs,
      lineMsPerCycle: round(this.loads[i]!.cost),
      share: round(this.loads[i]!.active ? this.loads[i]!.cost / m.intervalMs : 0),
    }));
    this.log.warn(
      { line: this.line, load: round(this.load), lagging, instruments },
      `modbus line ${this.line} over capacity: ${lagging.join(', ')} polled slower than configured (cycles skipped); ` +
        'lengthen pollIntervalMs, raise the baud rate or split the line',
    );
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
