import type { DeviceStatus, DriverOutput } from '../drivers/driver.js';
import type { CalEvent } from './calibration/cal-event.js';
import type { CalibrationEngine } from './calibration/calibration-engine.js';
import type { Logger } from './log.js';
import type { Reading, ReadingBatch } from './reading.js';
import type { InstrumentState, Sink } from './sinks/sink.js';

export interface InstrumentCounters {
  /** Readings produced by the driver (good and bad). */
  polled: number;
  /** Of those, readings whose quality was not good. */
  notGood: number;
  /** Readings acknowledged, per sink name. */
  delivered: Record<string, number>;
  /** Readings a sink could not take (queue full or write failed), per sink name. */
  dropped: Record<string, number>;
}

export type ReadingListener = (batch: ReadingBatch) => void;

/**
 * Until the durable spool lands, a sink that cannot keep up holds at most this many batches in
 * memory; beyond it new batches are dropped and counted, never silently.
 */
const MAX_PENDING_BATCHES = 10_000;

/**
 * Driver → calibration tagging → sinks. Drivers call readings()/status(); the pipeline tags every
 * reading in place, fans the batch out to every sink and keeps the counters the API and the demo
 * summary report.
 */
export class Pipeline implements DriverOutput {
  readonly counters = new Map<string, InstrumentCounters>();
  private readonly states = new Map<string, InstrumentState>();
  private readonly pending = new Map<Sink, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly listeners = new Set<ReadingListener>();

  constructor(
    private readonly site: string,
    instruments: readonly { id: string }[],
    private readonly calibration: CalibrationEngine,
    private readonly sinks: readonly Sink[],
    private readonly log: Logger,
  ) {
    for (const inst of instruments) {
      const zero = () => Object.fromEntries(sinks.map((s) => [s.name, 0]));
      this.counters.set(inst.id, { polled: 0, notGood: 0, delivered: zero(), dropped: zero() });
    }
    for (const s of sinks) this.pending.set(s, 0);
    calibration.onEvent((e) => this.onCalEvent(e));
  }

  /** Live readings for the API and the demo; listeners must not keep the batch. */
  onReadings(listener: ReadingListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readings(instrument: string, readings: Reading[]): void {
    const counters = this.counters.get(instrument);
    if (!counters) throw new Error(`readings from unknown instrument ${instrument}`);
    const calibration = this.calibration;
    for (const r of readings) {
      calibration.tag(r);
      if (r.quality !== 'good') counters.notGood++;
    }
    counters.polled += readings.length;
    const batch: ReadingBatch = { site: this.site, instrument, readings };
    for (const l of this.listeners) l(batch);
    for (const sink of this.sinks) this.deliver(sink, batch, counters);
  }

  status(status: DeviceStatus): void {
    if (!this.counters.has(status.instrument)) return;
    const state: InstrumentState = { ...status, cal: this.calibration.statusOf(status.instrument) };
    this.states.set(status.instrument, state);
    for (const sink of this.sinks) sink.state?.(state);
  }

  instrumentState(instrument: string): InstrumentState | undefined {
    return this.states.get(instrument);
  }

  /** Resolves once every batch handed to a sink so far was acknowledged or dropped. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private deliver(sink: Sink, batch: ReadingBatch, counters: InstrumentCounters): void {
    const n = batch.readings.length;
    const pending = this.pending.get(sink)!;
    if (pending >= MAX_PENDING_BATCHES) {
      counters.dropped[sink.name]! += n;
      this.log.warn({ sink: sink.name, instrument: batch.instrument, readings: n }, 'sink backlog full: batch dropped');
      return;
    }
    this.pending.set(sink, pending + 1);
    const p = sink.write(batch).then(
      () => {
        counters.delivered[sink.name]! += n;
      },
      (err: Error) => {
        counters.dropped[sink.name]! += n;
        this.log.error({ sink: sink.name, instrument: batch.instrument, err: err.message }, 'sink write failed: batch dropped');
      },
    );
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.pending.set(sink, this.pending.get(sink)! - 1);
    });
  }

  /** A transition changes the retained state; every event also goes to sinks that record events. */
  private onCalEvent(event: CalEvent): void {
    if (event.kind === 'transition' && event.channel === undefined) {
      const prev = this.states.get(event.instrument);
      const cal = this.calibration.statusOf(event.instrument);
      const state: InstrumentState = prev ? { ...prev, cal } : { instrument: event.instrument, online: false, since: event.ts, cal };
      this.states.set(event.instrument, state);
      for (const sink of this.sinks) sink.state?.(state);
    }
    for (const sink of this.sinks) sink.event?.(event);
  }
}
