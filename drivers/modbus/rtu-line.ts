/**
 * One shared Modbus RTU line (a serial port, or a TCP socket to a serial-to-Ethernet converter)
 * and the instruments (slaves) on it. One loop owns the line: it does one transaction at a time,
 * taking turns among the instruments with a cycle in progress (round robin per transaction, so a
 * slave with many reads cannot hold the line for all of them), starts each instrument's cycle on
 * its own grid, backs off slaves that stopped answering and keeps count of the line's load.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../gateway/log.js';
import type { DriverOutput } from '../driver.js';
import type { ByteStream } from './byte-stream.js';
import { LineLoad } from './line-load.js';
import { OnlineStatus } from './online-status.js';
import { InstrumentPoll, type PollCycle, type PolledInstrument } from './poll-cycle.js';
import { PollGrid } from './poll-grid.js';
import type { PlannedRead } from './plan.js';
import { classifyError, type ReadFailure } from './read-failure.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { RtuMaster, type RtuCounters } from './rtu-master.js';
import type { LineTiming } from './rtu-timing.js';
import { SlaveHealth } from './slave-health.js';
import type { LineStats, RtuInstrumentStats } from './rtu-stats.js';

/** One instrument on a line, as the scheduler needs it. */
export interface LineSlave extends PolledInstrument {
  unitId: number;
  timeoutMs: number;
  pollIntervalMs: number;
  probeIntervalMs: number;
}

export interface LineEndpoint {
  /** `/dev/ttyUSB0` or `host:port`, for logs and stats. */
  name: string;
  stream: ByteStream;
  timing: LineTiming;
}

interface Member {
  index: number;
  cfg: LineSlave;
  poll: InstrumentPoll;
  grid: PollGrid;
  health: SlaveHealth;
  status: OnlineStatus;
  cycle: PollCycle | null;
  usedLine: boolean;
}

export class RtuLine {
  private readonly master: RtuMaster;
  private readonly members: Member[];
  private readonly load: LineLoad;
  private readonly log: Logger;
  private rr = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly reopen = new ReconnectBackoff();
  private lineError = 'not opened yet';
  private startedAt = 0;

  constructor(
    site: string,
    private readonly endpoint: LineEndpoint,
    slaves: readonly LineSlave[],
    private readonly output: DriverOutput,
    log: Logger,
  ) {
    this.log = log.child({ line: endpoint.name });
    this.master = new RtuMaster(endpoint.stream, endpoint.timing);
    this.members = slaves.map((cfg, index) => ({
      index,
      cfg,
      poll: new InstrumentPoll(site, cfg),
      grid: new PollGrid(cfg.pollIntervalMs),
      health: new SlaveHealth(cfg.pollIntervalMs, cfg.probeIntervalMs),
      status: new OnlineStatus(cfg.id, output, this.log),
      cycle: null,
      usedLine: false,
    }));
    const loadMembers = slaves.map((s) => ({ id: s.id, unitId: s.unitId, intervalMs: s.pollIntervalMs, timeoutMs: s.timeoutMs }));
    this.load = new LineLoad(endpoint.name, loadMembers, this.log, Date.now());
  }

  start(): void {
    this.running = true;
    this.startedAt = Date.now();
    const n = this.members.length;
    // Spread first cycles over the interval, as the TCP driver does, so they do not all queue at once.
    this.members.forEach((m, i) => m.grid.start(this.startedAt + Math.floor((i * m.cfg.pollIntervalMs) / n)));
    this.loop = this.run().catch((err: unknown) => this.log.error({ err }, 'modbus line loop failed'));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.endpoint.stream.close();
  }

  stats(): RtuInstrumentStats[] {
    return this.members.map((m) => ({
      ...m.poll.stats,
      line: this.endpoint.name,
      unitId: m.cfg.unitId,
      backedOff: m.health.backedOff,
      lineLoad: this.load.load,
      overCapacity: this.load.overCapacity,
    }));
  }

  lineStats(): LineStats {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const counters: RtuCounters = { ...this.master.counters };
    return {
      line: this.endpoint.name,
      instruments: this.members.map((m) => m.cfg.id),
      open: this.master.isOpen,
      load: this.load.load,
      utilisation: this.load.utilisation,
      overCapacity: this.load.overCapacity,
      transactionsPerSecond: counters.transactions / seconds,
      backedOff: this.members.filter((m) => m.health.backedOff).map((m) => m.cfg.id),
      counters,
    };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      if (!this.master.isOpen) {
        await this.open(now);
        if (!this.master.isOpen) {
          this.settleDue(`disconnected: ${this.lineError}`, Date.now());
          await this.sleepUntil(Math.min(this.reopen.nextAttemptAt, this.nextWake()));
          continue;
        }
      }
      const step = this.nextStep(now);
      if (step) await this.transact(step.member, step.read);
      else await this.sleepUntil(this.nextWake());
    }
    // Cycles cut short by stop() still deliver one reading per channel.
    for (const m of this.members) if (m.cycle) this.endCycle(m, 'not read: gateway stopping', Date.now());
  }

  /**
   * The next transaction in round-robin order, starting due cycles; null when nothing can use the
   * line now. A slave still waiting out an unanswered request (its late answer may yet come) is
   * passed over, so its wait never holds the line while another slave is due.
   */
  private nextStep(now: number): { member: Member; read: PlannedRead } | null {
    const n = this.members.length;
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n;
      const m = this.members[i]!;
      if (!m.cycle) {
        if (!m.grid.isDue(now)) continue;
        if (!m.health.mayAttempt(now)) {
          // Backed off: this cycle costs the line nothing, and still yields its readings.
          this.beginCycle(m, now);
          this.endCycle(m, `backed off: unit ${m.cfg.unitId} not answering`, now);
          continue;
        }
        if (this.master.settlingFor(m.cfg.unitId) > 0) continue;
        this.beginCycle(m, now);
      } else if (this.master.settlingFor(m.cfg.unitId) > 0) continue;
      this.rr = (i + 1) % n;
      return { member: m, read: m.cycle!.next! };
    }
    return null;
  }

  private beginCycle(m: Member, now: number): void {
    m.cycle = m.poll.begin(now);
    m.usedLine = false;
  }

  private async transact(m: Member, read: PlannedRead): Promise<void> {
    const cycle = m.cycle!;
    const started = performance.now();
    m.usedLine = true;
    try {
      const res = await this.master.read(m.cfg.unitId, read.fn, read.address, read.count, m.cfg.timeoutMs);
      cycle.succeed(res);
      this.present(m);
    } catch (err) {
      const failure = classifyError(err);
      cycle.fail(failure);
      this.log.debug(
        { instrument: m.cfg.id, unitId: m.cfg.unitId, fn: read.fn, address: read.address, count: read.count, reason: failure.reason },
        'modbus read failed',
      );
      this.afterFailure(m, cycle, failure);
    }
    // Unanswered (the master now waits out a late answer): line time lost to silence, not load.
    this.load.transaction(m.index, performance.now() - started, this.master.settlingFor(m.cfg.unitId) > 0);
    if (cycle.done && m.cycle === cycle) this.finish(m, Date.now());
  }

  private afterFailure(m: Member, cycle: PollCycle, failure: ReadFailure): void {
    if (failure.kind === 'disconnected') {
      this.lost(failure.reason);
      return;
    }
    const garbage = failure.kind === 'invalid' ? failure.garbage : undefined;
    if (failure.kind === 'timeout' || garbage === 'wrong-unit' || garbage === 'stale') {
      const now = Date.now();
      if (m.health.silent(now)) {
        const error = `no answer from unit ${m.cfg.unitId} to ${m.health.silence} requests in a row`;
        this.log.warn({ instrument: m.cfg.id, unitId: m.cfg.unitId, retryInMs: m.health.nextAttemptIn(now) }, 'slave backed off: it no longer delays the line');
        m.status.set(false, error);
      }
      // The rest of this cycle would most likely time out too, at the line's expense.
      cycle.skipRest(`not read: unit ${m.cfg.unitId} did not answer earlier in this cycle`);
    } else if (failure.kind === 'exception' || garbage === 'crc' || garbage === 'truncated') {
      this.present(m);
    }
  }

  private present(m: Member): void {
    if (m.health.answered()) this.log.info({ instrument: m.cfg.id, unitId: m.cfg.unitId }, 'slave answers again');
    m.status.set(true);
  }

  private finish(m: Member, now: number): void {
    const cycle = m.cycle!;
    m.cycle = null;
    this.output.readings(m.cfg.id, cycle.finish(now));
    const skipped = m.grid.advance(now);
    m.poll.stats.skippedCycles += skipped;
    this.load.cycleDone(m.index, m.usedLine, m.health.backedOff, skipped, now);
  }

  private endCycle(m: Member, reason: string, now: number): void {
    m.cycle!.skipRest(reason, now);
    this.finish(m, now);
  }

  /** Cycles due while the line is down: one bad reading per channel each, as on TCP. */
  private settleDue(reason: string, now: number): void {
    for (const m of this.members) {
      if (m.cycle || !m.grid.isDue(now)) continue;
      this.beginCycle(m, now);
      this.endCycle(m, reason, now);
    }
  }

  private lost(reason: string): void {
    this.lineError = reason.replace(/^disconnected: /, '');
    this.log.warn({ err: this.lineError }, 'modbus line lost');
    const now = Date.now();
    for (const m of this.members) {
      if (m.cycle) this.endCycle(m, reason, now);
      m.status.set(false, this.lineError);
    }
    void this.endpoint.stream.close();
    this.reopen.failed(now);
  }

  private async open(now: number): Promise<void> {
    if (!this.reopen.mayTry(now)) return;
    try {
      await this.endpoint.stream.open();
      this.reopen.succeeded();
      this.log.info({ instruments: this.members.map((m) => `${m.cfg.id}@${m.cfg.unitId}`) }, 'modbus line open');
    } catch (err) {
      this.lineError = (err as Error).message;
      this.reopen.failed(now);
      for (const m of this.members) m.status.set(false, this.lineError);
    }
  }

  /** When the loop next has work: a due cycle, or the end of a due slave's wait for a late answer. */
  private nextWake(): number {
    const now = Date.now();
    return Math.min(
      ...this.members.map((m) => {
        const due = m.cycle ? now : m.grid.nextDue;
        const settling = this.master.settlingFor(m.cfg.unitId);
        return settling > 0 ? Math.max(due, now + Math.ceil(settling)) : due;
      }),
    );
  }

  private sleepUntil(at: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, at - Date.now()));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
