import type { ModbusTcpInstrumentConfig as InstrumentConfig } from './config.js';
import type { Logger } from '../../gateway/log.js';
import type { DriverOutput, DriverStats } from '../driver.js';

/** A Modbus TCP instrument's counters. */
export interface ModbusTcpStats extends DriverStats {
  /** Late answers to requests that had timed out, matched by transaction id and dropped. */
  staleAnswers: number;
}
import { ModbusTcpLink } from './modbus-tcp-link.js';
import { OnlineStatus } from './online-status.js';
import { InstrumentPoll } from './poll-cycle.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { PollGrid } from './poll-grid.js';
import { classifyError } from './read-failure.js';

/** Consecutive timeouts after which the connection is presumed stale and rebuilt. */
const TIMEOUTS_BEFORE_RECONNECT = 3;

/**
 * Polls one Modbus TCP instrument on its own schedule over its own connection, so a slow or dead
 * device only ever delays itself. The cycle itself (plan, decode, one reading per channel, seq)
 * is the shared InstrumentPoll; this class owns the timer and the connection.
 */
export class DevicePoller {
  private readonly poll: InstrumentPoll;
  private readonly grid: PollGrid;
  private readonly link: ModbusTcpLink;
  private readonly status: OnlineStatus;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private consecutiveTimeouts = 0;
  private readonly reconnect = new ReconnectBackoff();
  private lastError: string | undefined;
  private cycle: Promise<void> | null = null;

  constructor(
    site: string,
    private readonly cfg: InstrumentConfig,
    private readonly output: DriverOutput,
    private readonly log: Logger,
  ) {
    this.poll = new InstrumentPoll(site, cfg);
    this.grid = new PollGrid(cfg.pollIntervalMs);
    const c = cfg.connection;
    this.link = new ModbusTcpLink(c.host, c.port, c.unitId, c.timeoutMs);
    this.status = new OnlineStatus(cfg.id, output, log);
  }

  get stats(): ModbusTcpStats {
    return { ...this.poll.stats, staleAnswers: this.link.staleAnswers };
  }

  /** `phaseMs` spreads instruments over the interval so a thousand devices do not poll in one burst. */
  start(phaseMs = 0): void {
    this.running = true;
    this.grid.start(Date.now() + phaseMs);
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.cycle;
    this.link.close();
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = setTimeout(
      () => {
        this.cycle = this.runCycle().finally(() => {
          this.cycle = null;
          this.poll.stats.skippedCycles += this.grid.advance(Date.now());
          this.arm();
        });
      },
      Math.max(0, this.grid.nextDue - Date.now()),
    );
  }

  private async runCycle(): Promise<void> {
    const cycle = this.poll.begin();
    if (!this.link.isOpen) await this.tryConnect(cycle.startedAt);
    for (let read = cycle.next; read; read = cycle.next) {
      if (!this.link.isOpen) {
        cycle.skipRest(`disconnected: ${this.lastError ?? 'not connected'}`);
        break;
      }
      try {
        const res = await this.link.read(read.fn, read.address, read.count);
        this.consecutiveTimeouts = 0;
        cycle.succeed(res);
        this.status.set(true);
      } catch (err) {
        const failure = classifyError(err);
        this.log.debug({ instrument: this.cfg.id, fn: read.fn, address: read.address, count: read.count, reason: failure.reason }, 'modbus read failed');
        cycle.fail(failure);
        this.afterFailure(failure.kind, failure.reason);
      }
    }
    this.output.readings(this.cfg.id, cycle.finish());
  }

  private afterFailure(kind: string, reason: string): void {
    if (kind === 'timeout') {
      if (++this.consecutiveTimeouts >= TIMEOUTS_BEFORE_RECONNECT) {
        this.lastError = `${this.consecutiveTimeouts} timeouts in a row`;
        this.link.close();
        this.status.set(false, this.lastError);
      }
    } else if (kind === 'disconnected') {
      this.lastError = reason;
      this.link.close();
      this.status.set(false, this.lastError);
    }
  }

  private async tryConnect(now: number): Promise<void> {
    if (!this.reconnect.mayTry(now)) return;
    const { host, port, unitId } = this.cfg.connection;
    try {
      await this.link.connect(() => {
        this.lastError = 'connection closed by peer';
        this.status.set(false, this.lastError);
      });
      this.reconnect.succeeded();
      this.consecutiveTimeouts = 0;
      this.log.info({ instrument: this.cfg.id, host, port, unitId }, 'modbus connected');
    } catch (err) {
      this.lastError = (err as Error).message;
      this.reconnect.failed(now);
      this.status.set(false, this.lastError);
    }
  }
}
