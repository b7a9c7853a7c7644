/**
 * How full a shared line is, and saying so when cycles fall behind, with the right cause. Each
 * instrument's cycle costs the line the time of its answered transactions (wire time, the
 * slave's turnaround, the gaps); the line's load is the sum over instruments of cost / interval.
 * Above 1 the line cannot keep every interval: cycles are skipped (never queued), the line is
 * flagged over capacity and a warning names the instruments that fall behind. Time spent
 * waiting for a slave that does not answer is not load: when that is what made cycles slip, the
 * warning names the silent slave instead (a faster line would not help).
 */
import type { Logger } from '../../gateway/log.js';

const WARN_EVERY_MS = 60_000;
/** Weight of the newest cycle in each instrument's cost estimate. */
const EWMA = 0.2;

export interface LoadMember {
  id: string;
  unitId: number;
  intervalMs: number;
  timeoutMs: number;
}

interface MemberLoad {
  cost: number;
  busyThisCycle: number;
  /** A backed-off slave uses the line only for its rare probes: it counts for nothing. */
  active: boolean;
  skippedInWindow: number;
  /** Line time spent this window waiting for this slave's answers that never came. */
  silentMsInWindow: number;
}

type Cause = 'capacity' | 'silence';

export class LineLoad {
  private readonly loads: MemberLoad[];
  private readonly windowMs: number;
  private windowStart: number;
  private windowBusy = 0;
  private lastWindowBusy = 0;
  private lastWindowMs = 1;
  private over = false;
  private readonly lastWarnAt: Record<Cause, number> = { capacity: -Infinity, silence: -Infinity };

  constructor(
    private readonly line: string,
    private readonly members: readonly LoadMember[],
    /** Already carries the line's name as a field. */
    private readonly log: Logger,
    now: number,
  ) {
    this.loads = members.map(() => ({ cost: 0, busyThisCycle: 0, active: true, skippedInWindow: 0, silentMsInWindow: 0 }));
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

  /** `unanswered`: the slave never answered; the time went to its timeout, not to its load. */
  transaction(member: number, ms: number, unanswered: boolean): void {
    const l = this.loads[member]!;
    if (unanswered) l.silentMsInWindow += ms;
    else l.busyThisCycle += ms;
    this.windowBusy += ms;
  }

  /** A cycle ended: `usedLine` false for a backed-off slave's cycle that sent nothing. */
  cycleDone(member: number, usedLine: boolean, backedOff: boolean, skipped: number, now: number): void {
    const l = this.loads[member]!;
    l.active = !backedOff;
    if (usedLine && !backedOff && l.busyThisCycle > 0) {
      l.cost = l.cost === 0 ? l.busyThisCycle : l.cost + EWMA * (l.busyThisCycle - l.cost);
    }
    l.busyThisCycle = 0;
    if (skipped > 0 && !backedOff) {
      l.skippedInWindow += skipped;
      const cause: Cause = this.load <= 1 && this.loads.some((x) => x.silentMsInWindow > 0) ? 'silence' : 'capacity';
      if (cause === 'capacity') {
        if (!this.over || now - this.lastWarnAt.capacity >= WARN_EVERY_MS) this.warnCapacity(now);
        this.over = true;
      } else if (now - this.lastWarnAt.silence >= WARN_EVERY_MS) this.warnSilence(now);
    }
    this.roll(now);
  }

  private roll(now: number): void {
    if (now - this.windowStart < this.windowMs) return;
    const skipped = this.loads.some((l) => l.skippedInWindow > 0);
    if (this.over && !skipped) {
      this.over = false;
      this.log.info({ load: round(this.load) }, `modbus line ${this.line} back within capacity`);
    }
    for (const l of this.loads) {
      l.skippedInWindow = 0;
      l.silentMsInWindow = 0;
    }
    this.lastWindowBusy = this.windowBusy;
    this.lastWindowMs = now - this.windowStart;
    this.windowBusy = 0;
    this.windowStart = now;
  }

  private lagging(): string[] {
    return this.members.filter((_, i) => this.loads[i]!.skippedInWindow > 0).map((m) => m.id);
  }

  private warnCapacity(now: number): void {
    this.lastWarnAt.capacity = now;
    const lagging = this.lagging();
    const instruments = this.members.map((m, i) => ({
      id: m.id,
      intervalMs: m.intervalMs,
      lineMsPerCycle: round(this.loads[i]!.cost),
      share: round(this.loads[i]!.active ? this.loads[i]!.cost / m.intervalMs : 0),
    }));
    this.log.warn(
      { load: round(this.load), lagging, instruments },
      `modbus line ${this.line} over capacity: ${lagging.join(', ')} polled slower than configured (cycles skipped); ` +
        'lengthen pollIntervalMs, raise the baud rate or split the line',
    );
  }

  private warnSilence(now: number): void {
    this.lastWarnAt.silence = now;
    const lagging = this.lagging();
    const silent = this.members
      .map((m, i) => ({ id: m.id, unitId: m.unitId, timeoutMs: m.timeoutMs, waitedMs: Math.round(this.loads[i]!.silentMsInWindow) }))
      .filter((s) => s.waitedMs > 0);
    const names = silent.map((s) => `${s.id} (unit ${s.unitId}, timeoutMs ${s.timeoutMs})`).join(', ');
    this.log.warn(
      { load: round(this.load), lagging, silent },
      `modbus line ${this.line}: ${lagging.join(', ')} polled slower than configured while the line waited for ${names}, ` +
        'which did not answer; the line has room (load ' +
        round(this.load) +
        '): check that slave (power, wiring, unit id) ' +
        'or shorten its timeoutMs',
    );
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
