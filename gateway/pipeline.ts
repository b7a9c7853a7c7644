import type { DeviceStatus, DriverOutput } from '../drivers/driver.js';
import type { CalEvent } from './calibration/cal-event.js';
import type { CalibrationEngine } from './calibration/calibration-engine.js';
import type { Logger } from './log.js';
import type { Reading, ReadingBatch, UntaggedReading } from './contract/reading.js';
import type { GatewayStats, InstrumentState, Sink } from './sinks/sink.js';
import { DEFAULT_SPOOL, type SpoolConfig } from './spool/spool-config.js';
import { SpoolDelivery, type DeliveryTarget } from './spool/spool-delivery.js';
import type { Retention, SpoolStats } from './spool/spool.js';
import type { ResendSource } from './repair/resend-responder.js';

export interface InstrumentCounters {
  /** Readings produced by the driver (good and bad). */
  polled: number;
  /** Of those, readings whose quality was not good. */
  notGood: number;
  /** Readings acknowledged, per sink name (including those replayed from the spool). */
  delivered: Record<string, number>;
  /** Readings a sink will never get, per sink name: dropped by the spool's quota or refused as malformed. */
  dropped: Record<string, number>;
}

export type ReadingListener = (batch: ReadingBatch) => void;

/**
 * Driver → calibration tagging → spool → sinks. Drivers call readings()/status(); the pipeline
 * tags every reading in place, stores the batch in the spool and offers it to every sink (see
 * gateway/spool/), and keeps the counters the API and the demo summary report.
 *
 * Sequence numbers continue across restarts: a driver numbers its readings from 1 each time it
 * starts, and the pipeline adds the highest seq the spool holds for the instrument, so a gap in
 * seq always means lost readings, also across a crash.
 */
export class Pipeline implements DriverOutput {
  readonly counters = new Map<string, InstrumentCounters>();
  private readonly states = new Map<string, InstrumentState>();
  private readonly listeners = new Set<ReadingListener>();
  private readonly sinks: readonly Sink[];
  private readonly delivery: SpoolDelivery;
  private readonly seqBase = new Map<string, number>();
  /** The last seq passed on per instrument: where a restarted driver's numbering continues. */
  private readonly lastSeq = new Map<string, number>();

  constructor(
    private readonly site: string,
    instruments: readonly { id: string }[],
    private readonly calibration: CalibrationEngine,
    targets: readonly DeliveryTarget[],
    log: Logger,
    spool: SpoolConfig = DEFAULT_SPOOL,
  ) {
    this.sinks = targets.map((t) => t.sink);
    for (const inst of instruments) {
      const zero = () => Object.fromEntries(this.sinks.map((s) => [s.name, 0]));
      this.counters.set(inst.id, { polled: 0, notGood: 0, delivered: zero(), dropped: zero() });
    }
    this.delivery = new SpoolDelivery({
      config: spool,
      site,
      targets,
      log,
      hooks: {
        delivered: (sink, instrument, n) => {
          const c = this.counters.get(instrument);
          if (c) c.delivered[sink] = (c.delivered[sink] ?? 0) + n;
        },
        dropped: (sink, instrument, n) => {
          const c = this.counters.get(instrument);
          if (c) c.dropped[sink] = (c.dropped[sink] ?? 0) + n;
        },
      },
    });
    calibration.onEvent((e) => this.onCalEvent(e));
    calibration.onRecordApplied((instrument) => this.publishCal(instrument, Date.now()));
  }

  /**
   * Opens the spool, connects the sinks and starts replaying what earlier runs left in the
   * spool. Call before the drivers start: their sequence numbers continue the stored ones.
   */
  async start(): Promise<void> {
    if (this.sinks.length === 0) return;
    this.delivery.open();
    for (const id of this.counters.keys()) this.seqBase.set(id, this.delivery.lastSeq(id));
    await this.delivery.start();
  }

  /** Live readings for the API and the demo; listeners must not keep the batch. */
  onReadings(listener: ReadingListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readings(instrument: string, untagged: UntaggedReading[]): void {
    const counters = this.counters.get(instrument);
    if (!counters) throw new Error(`readings from unknown instrument ${instrument}`);
    const calibration = this.calibration;
    const base = this.seqBase.get(instrument) ?? 0;
    // The one place an UntaggedReading becomes a Reading: tagBatch() fills cal (and value, u, k) of
    // the very objects the driver made. A tagged copy of every reading would double the hot path's
    // allocations, so the type changes here, not the object; nothing reads them before tagBatch.
    const readings = untagged as unknown as Reading[];
    for (const r of readings) r.seq += base;
    calibration.tagBatch(instrument, readings);
    for (const r of readings) if (r.quality !== 'good') counters.notGood++;
    counters.polled += readings.length;
    if (readings.length > 0) this.lastSeq.set(instrument, readings[readings.length - 1]!.seq);
    const batch: ReadingBatch = { site: this.site, instrument, readings };
    const epoch = this.sinks.length > 0 ? this.delivery.epoch : undefined;
    if (epoch !== undefined) batch.epoch = epoch;
    for (const l of this.listeners) l(batch);
    if (this.sinks.length > 0) this.delivery.accept(batch);
  }

  status(status: DeviceStatus): void {
    if (!this.counters.has(status.instrument)) return;
    const state: InstrumentState = { ...status, ...this.calState(status.instrument) };
    this.states.set(status.instrument, state);
    for (const sink of this.sinks) sink.state?.(state);
  }

  /**
   * Hot reload: the instruments now configured. New ones get counters, removed ones stop counting
   * (what they produced stays in the spool and is delivered). Returns the removed ids.
   */
  setInstruments(ids: readonly string[]): string[] {
    const keep = new Set(ids);
    const removed = [...this.counters.keys()].filter((id) => !keep.has(id));
    for (const id of removed) this.counters.delete(id);
    for (const id of ids) {
      if (!this.counters.has(id)) {
        const zero = () => Object.fromEntries(this.sinks.map((s) => [s.name, 0]));
        this.counters.set(id, { polled: 0, notGood: 0, delivered: zero(), dropped: zero() });
      }
    }
    return removed;
  }

  /**
   * The last state of each removed instrument, once more, marked removed and offline: each sink
   * retracts what it holds for it (the retained MQTT status, the direct sink's waiting status, the
   * roster's entry) instead of showing it live forever. Call after the sinks took the new list.
   */
  announceRemoved(ids: readonly string[]): void {
    for (const id of ids) {
      const last = this.states.get(id);
      this.states.delete(id);
      // Never announced, nothing to retract (and no calibration left to tell).
      if (!last) continue;
      const state: InstrumentState = { ...last, online: false, since: Date.now(), channels: [], removed: true };
      for (const sink of this.sinks) sink.state?.(state);
    }
  }

  /**
   * A driver restarted for this instrument numbers from 1 again: continue after what was passed on,
   * in this run or (for an instrument added back by a reload) in an earlier one the spool remembers.
   */
  rebase(instrument: string): void {
    const stored = this.sinks.length > 0 ? this.delivery.lastSeq(instrument) : 0;
    this.seqBase.set(instrument, Math.max(this.lastSeq.get(instrument) ?? 0, this.seqBase.get(instrument) ?? 0, stored));
  }

  instrumentState(instrument: string): InstrumentState | undefined {
    return this.states.get(instrument);
  }

  /** The spool's stream epoch (undefined without sinks or before start()). */
  get epoch(): string | undefined {
    return this.sinks.length > 0 ? this.delivery.epoch : undefined;
  }

  /** Per instrument, the highest seq the spool accepted (what the gateway publishes as its last seqs). */
  acceptedSeqs(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.sinks.length === 0) return out;
    for (const id of this.counters.keys()) out[id] = this.delivery.lastSeq(id);
    return out;
  }

  /** Batches to re-send when a gap is found downstream (from the spool, acknowledged or not). */
  resendSource(): ResendSource {
    const delivery = this.delivery;
    return {
      get epoch() {
        return delivery.epoch;
      },
      readSeqs: (instrument, from, to, limit) => delivery.readSeqs(instrument, from, to, limit),
    };
  }

  /** What the spool keeps after delivery for re-sending (null without a spool). */
  retention(): Retention | null {
    return this.sinks.length > 0 ? this.delivery.retention() : null;
  }

  /** Per sink: what waits in the spool, what the quota dropped, whether it is replaying. */
  spoolStats(): SpoolStats[] {
    return this.delivery.stats();
  }

  /**
   * Resolves once every sink acknowledged everything stored, or after spool.drainTimeoutMs
   * (what is left stays in the spool for the next start); true when everything was taken.
   */
  async drain(timeoutMs?: number): Promise<boolean> {
    if (this.sinks.length === 0) return true;
    return this.delivery.drain(timeoutMs);
  }

  /** Stops the sinks and closes the spool (call drain() first to deliver what is pending). */
  async stop(): Promise<void> {
    if (this.sinks.length > 0) await this.delivery.stop();
  }

  /**
   * A transition of the instrument or of any channel changes the retained state (the summary and
   * the channel list); every event also goes to sinks that record events.
   */
  private onCalEvent(event: CalEvent): void {
    if (event.kind === 'transition') this.publishCal(event.instrument, event.ts);
    this.publishEvent(event);
  }

  /**
   * An event (also one raised outside the engine: the impact report's follow-up) goes through the
   * spool, in order with the readings, to every sink that records events.
   */
  publishEvent(event: CalEvent): void {
    if (this.sinks.length > 0) this.delivery.acceptEvent(event);
  }

  /** The gateway's periodic statistics, through the spool to every sink that records them. */
  publishStats(stats: GatewayStats): void {
    if (this.sinks.length > 0) this.delivery.acceptStats(stats);
  }

  private calState(instrument: string): Pick<InstrumentState, 'cal' | 'channels'> {
    return { cal: this.calibration.statusOf(instrument), channels: this.calibration.channelStatuses(instrument) };
  }

  private publishCal(instrument: string, ts: number): void {
    if (!this.counters.has(instrument)) return;
    const prev = this.states.get(instrument);
    const state: InstrumentState = { ...(prev ?? { instrument, online: false, since: ts }), ...this.calState(instrument) };
    this.states.set(instrument, state);
    for (const sink of this.sinks) sink.state?.(state);
  }
}
