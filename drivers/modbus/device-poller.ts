import type { ModbusTcpInstrumentConfig as InstrumentConfig } from '../../config/schema.js';
import type { Logger } from '../../gateway/log.js';
import { UNTAGGED, type Reading } from '../../gateway/reading.js';
import type { DeviceStatus, DriverOutput, DriverStats } from '../driver.js';
import { applyScale, decodeBit, decodeRegisters } from './decode.js';
import { classifyError, ModbusTcpLink, type ReadFailure } from './modbus-tcp-link.js';
import { planReads, type PlannedRead } from './plan.js';

/** Consecutive timeouts after which the connection is presumed stale and rebuilt. */
const TIMEOUTS_BEFORE_RECONNECT = 3;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/**
 * Polls one instrument on its own schedule over its own connection, so a slow or dead device only
 * ever delays itself. Every scheduled cycle yields exactly one reading per channel: good, or bad
 * with a reason (timeout, exception, disconnected); a failed read never repeats an old value.
 */
export class DevicePoller {
  readonly stats: DriverStats;
  private readonly plan: PlannedRead[];
  private readonly link: ModbusTcpLink;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private seq = 0;
  private nextDue = 0;
  private online: boolean | null = null;
  private consecutiveTimeouts = 0;
  private backoffMs = BACKOFF_MIN_MS;
  private nextConnectAt = 0;
  private lastError: string | undefined;
  private cycle: Promise<void> | null = null;

  constructor(
    private readonly site: string,
    private readonly cfg: InstrumentConfig,
    private readonly output: DriverOutput,
    private readonly log: Logger,
  ) {
    this.plan = planReads(cfg.channels, { maxGap: cfg.maxGap, maxRegistersPerRead: cfg.maxRegistersPerRead });
    const c = cfg.connection;
    this.link = new ModbusTcpLink(c.host, c.port, c.unitId, c.timeoutMs);
    this.stats = { instrument: cfg.id, polls: 0, readings: 0, errors: 0, timeouts: 0, skippedCycles: 0, lastCycleMs: 0 };
  }

  /** `phaseMs` spreads instruments over the interval so a thousand devices do not poll in one burst. */
  start(phaseMs = 0): void {
    this.running = true;
    this.nextDue = Date.now() + phaseMs;
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
    this.timer = setTimeout(() => {
      this.cycle = this.runCycle().finally(() => {
        this.cycle = null;
        this.scheduleNext();
      });
    }, Math.max(0, this.nextDue - Date.now()));
  }

  /** Keeps the cycle on its grid; cycles that the previous one overran are counted, not queued. */
  private scheduleNext(): void {
    const interval = this.cfg.pollIntervalMs;
    const now = Date.now();
    this.nextDue += interval;
    if (this.nextDue <= now) {
      const missed = Math.ceil((now - this.nextDue) / interval);
      this.stats.skippedCycles += missed;
      this.nextDue += missed * interval;
      if (this.nextDue <= now) this.nextDue += interval;
    }
    this.arm();
  }

  private async runCycle(): Promise<void> {
    const started = Date.now();
    this.stats.polls++;
    const readings = new Array<Reading>(this.cfg.channels.length);
    if (!this.link.isOpen) await this.tryConnect(started);
    for (const read of this.plan) {
      if (!this.link.isOpen) {
        this.fail(read, readings, { kind: 'disconnected', reason: `disconnected: ${this.lastError ?? 'not connected'}` }, Date.now());
        continue;
      }
      try {
        const res = await this.link.read(read.fn, read.address, read.count);
        this.consecutiveTimeouts = 0;
        this.succeed(read, res, readings, Date.now());
      } catch (err) {
        this.onReadError(read, readings, classifyError(err));
      }
    }
    // Numbered in channel order (not read order) so a batch's seqs run without a gap.
    for (const r of readings) r.seq = ++this.seq;
    this.stats.readings += readings.length;
    this.stats.lastCycleMs = Date.now() - started;
    this.output.readings(this.cfg.id, readings);
  }

  private succeed(read: PlannedRead, res: { bytes: Uint8Array } | { bits: boolean[] }, out: Reading[], ts: number): void {
    for (const item of read.items) {
      const ch = this.cfg.channels[item.index]!;
      let raw;
      try {
        raw = 'bits' in res
          ? decodeBit(res.bits, item.offset)
          : applyScale(decodeRegisters(item.spec, ch.order, res.bytes, item.offset), ch.scale, ch.offset);
      } catch (err) {
        out[item.index] = this.reading(item.index, ts, null, 'bad', `invalid response: ${(err as Error).message}`);
        continue;
      }
      out[item.index] = this.reading(item.index, ts, raw, 'good');
    }
    this.setOnline(true);
  }

  private onReadError(read: PlannedRead, out: Reading[], failure: ReadFailure): void {
    this.stats.errors++;
    if (failure.kind === 'timeout') {
      this.stats.timeouts++;
      if (++this.consecutiveTimeouts >= TIMEOUTS_BEFORE_RECONNECT) {
        this.lastError = `${this.consecutiveTimeouts} timeouts in a row`;
        this.link.close();
        this.setOnline(false);
      }
    } else if (failure.kind === 'disconnected') {
      this.lastError = failure.reason;
      this.link.close();
      this.setOnline(false);
    }
    this.log.debug({ instrument: this.cfg.id, fn: read.fn, address: read.address, count: read.count, reason: failure.reason }, 'modbus read failed');
    this.fail(read, out, failure, Date.now());
  }

  private fail(read: PlannedRead, out: Reading[], failure: ReadFailure, ts: number): void {
    for (const item of read.items) out[item.index] = this.reading(item.index, ts, null, 'bad', failure.reason);
  }

  private async tryConnect(now: number): Promise<void> {
    if (now < this.nextConnectAt) return;
    const { host, port, unitId } = this.cfg.connection;
    try {
      await this.link.connect(() => {
        this.lastError = 'connection closed by peer';
        this.setOnline(false);
      });
      this.backoffMs = BACKOFF_MIN_MS;
      this.consecutiveTimeouts = 0;
      this.log.info({ instrument: this.cfg.id, host, port, unitId }, 'modbus connected');
    } catch (err) {
      this.lastError = (err as Error).message;
      // Jitter keeps a rack of devices that failed together from retrying in lockstep.
      this.nextConnectAt = now + this.backoffMs * (0.8 + Math.random() * 0.4);
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
      this.setOnline(false);
    }
  }

  private setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    const status: DeviceStatus = { instrument: this.cfg.id, online, since: Date.now() };
    if (!online && this.lastError) status.error = this.lastError;
    if (online) this.log.info({ instrument: this.cfg.id }, 'instrument online');
    else this.log.warn({ instrument: this.cfg.id, err: this.lastError }, 'instrument offline');
    this.output.status(status);
  }

  private reading(index: number, ts: number, raw: Reading['raw'], quality: Reading['quality'], reason?: string): Reading {
    const ch = this.cfg.channels[index]!;
    const r: Reading = {
      site: this.site,
      instrument: this.cfg.id,
      channel: ch.id,
      quantity: ch.quantity,
      unit: ch.unit,
      ts,
      seq: 0,
      raw,
      value: raw,
      quality,
      cal: UNTAGGED,
    };
    if (reason !== undefined) r.reason = reason;
    return r;
  }
}
