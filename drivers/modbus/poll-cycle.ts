/**
 * The transport-agnostic half of polling one Modbus instrument: the read plan, and turning the
 * outcome of each planned read into Readings. Modbus TCP (one connection per instrument) and the
 * serial-line scheduler (many instruments taking turns on one line) both drive it, one read at a
 * time, so every transport keeps the same contract: each cycle yields exactly one reading per
 * channel, good or bad with a reason, numbered gap-free in channel order.
 */
import type { ModbusChannelConfig } from './config.js';
import { newReading, type UntaggedReading } from '../../gateway/reading.js';
import type { DriverStats } from '../driver.js';
import { applyScale, decodeBit, decodeRegisters } from './decode.js';
import type { ReadFailure } from './read-failure.js';
import { planReads, type PlannedRead } from './plan.js';

/** What a transport returns for one read: register bytes as on the wire, or bits. */
export type ReadResult = { bytes: Uint8Array } | { bits: boolean[] };

/** The part of an instrument's config the poller needs, whatever its transport. */
export interface PolledInstrument {
  id: string;
  channels: ModbusChannelConfig[];
  maxGap: number;
  maxRegistersPerRead: number;
}

/** How far a reading's timestamp may be moved forward to keep a channel's stamps apart. */
const MAX_NUDGE_MS = 10;

/** One instrument's plan, sequence numbers and counters; begin() starts a cycle. */
export class InstrumentPoll {
  readonly stats: DriverStats;
  readonly plan: readonly PlannedRead[];
  private seq = 0;
  /** The timestamp of each channel's last reading: a channel's readings get strictly increasing ones. */
  private readonly lastTs: number[] = [];

  constructor(
    readonly site: string,
    readonly cfg: PolledInstrument,
  ) {
    this.plan = planReads(cfg.channels, { maxGap: cfg.maxGap, maxRegistersPerRead: cfg.maxRegistersPerRead });
    this.stats = { instrument: cfg.id, polls: 0, readings: 0, errors: 0, timeouts: 0, skippedCycles: 0, lastCycleMs: 0 };
  }

  begin(now = Date.now()): PollCycle {
    this.stats.polls++;
    return new PollCycle(this, now);
  }

  /** Numbered in channel order (not read order) so a batch's seqs run without a gap. */
  number(readings: UntaggedReading[]): void {
    for (const r of readings) r.seq = ++this.seq;
    this.stats.readings += readings.length;
  }

  /**
   * InfluxDB keeps one point per series and millisecond, so two readings of one channel stamped
   * in the same millisecond would leave one: a cycle that runs late is followed at once by the
   * next, and on loopback both can finish within a millisecond (seen: seq 365 and 369 of a bath
   * both at .532, one overwritten). Such a reading is stamped 1 ms after the previous one, well
   * inside the timing uncertainty of a receive-time stamp. A clock stepped back further than that
   * is taken as it is: shifting every later reading would falsify them.
   */
  reading(index: number, ts: number, raw: UntaggedReading['raw'], quality: UntaggedReading['quality'], reason?: string): UntaggedReading {
    const last = this.lastTs[index] ?? -Infinity;
    const stamped = ts > last || last - ts >= MAX_NUDGE_MS ? ts : last + 1;
    this.lastTs[index] = stamped;
    return newReading(this.site, this.cfg.id, this.cfg.channels[index]!, stamped, raw, quality, reason);
  }
}

/** One cycle: the planned reads in order, each settled once by succeed, fail or skip. */
export class PollCycle {
  private position = 0;
  private readonly readings: UntaggedReading[];

  constructor(
    private readonly poll: InstrumentPoll,
    readonly startedAt: number,
  ) {
    this.readings = new Array<UntaggedReading>(poll.cfg.channels.length);
  }

  /** The read to do next, or undefined once every read is settled. */
  get next(): PlannedRead | undefined {
    return this.poll.plan[this.position];
  }

  get done(): boolean {
    return this.position >= this.poll.plan.length;
  }

  /** True before the first read is settled: a probe of a silent slave is the cycle's first read. */
  get first(): boolean {
    return this.position === 0;
  }

  succeed(res: ReadResult, ts = Date.now()): void {
    const read = this.take();
    const { cfg } = this.poll;
    for (const item of read.items) {
      const ch = cfg.channels[item.index]!;
      let raw;
      try {
        raw = 'bits' in res ? decodeBit(res.bits, item.offset) : applyScale(decodeRegisters(item.spec, ch.order, res.bytes, item.offset), ch.scale, ch.offset);
      } catch (err) {
        this.readings[item.index] = this.poll.reading(item.index, ts, null, 'bad', `invalid response: ${(err as Error).message}`);
        continue;
      }
      this.readings[item.index] = this.poll.reading(item.index, ts, raw, 'good');
    }
  }

  /** The read was tried and failed: counted as an error (and a timeout when it was one). */
  fail(failure: ReadFailure, ts = Date.now()): void {
    this.poll.stats.errors++;
    if (failure.kind === 'timeout') this.poll.stats.timeouts++;
    this.settle(this.take(), failure.reason, ts);
  }

  /** Every read not yet settled was not tried (disconnected, backed off): bad, not counted as errors. */
  skipRest(reason: string, ts = Date.now()): void {
    while (!this.done) this.settle(this.take(), reason, ts);
  }

  /** Numbers the readings and hands them over; call once, when done. */
  finish(now = Date.now()): UntaggedReading[] {
    if (!this.done) throw new Error(`cycle of ${this.poll.cfg.id} finished with reads still open`);
    this.poll.number(this.readings);
    this.poll.stats.lastCycleMs = now - this.startedAt;
    return this.readings;
  }

  private take(): PlannedRead {
    const read = this.poll.plan[this.position++];
    if (!read) throw new Error(`cycle of ${this.poll.cfg.id} has no read left to settle`);
    return read;
  }

  private settle(read: PlannedRead, reason: string, ts: number): void {
    for (const item of read.items) this.readings[item.index] = this.poll.reading(item.index, ts, null, 'bad', reason);
  }
}
