import type { InstrumentConfig } from '../config/schema.js';
import type { Driver } from '../drivers/driver.js';
import { createDriverUnits } from '../drivers/registry.js';
import type { CalibrationEngine } from './calibration/calibration-engine.js';
import type { Logger } from './log.js';
import type { Pipeline } from './pipeline.js';
import type { ReloadPlan } from './reload-plan.js';
import type { Sink } from './sinks/sink.js';

export interface InstrumentHolders {
  site: string;
  calibration: CalibrationEngine;
  pipeline: Pipeline;
  sinks: readonly Sink[];
  log: Logger;
}

export type InstrumentsListener = (instruments: readonly InstrumentConfig[]) => void;

/**
 * Owns the running gateway's instrument list and hands every change to each part that keeps a
 * copy: the drivers (restarted per unit: one instrument, or one RTU line), the calibration
 * engine, the pipeline's counters and sequence numbers, each sink (retained gateway state, cloud
 * roster, Sparkplug births) and listeners such as the HTTP API (/api/instruments, /metrics).
 */
export class InstrumentReloader {
  /** Every running driver; changed in place, so readers holding the array see reloads. */
  readonly drivers: Driver[] = [];
  private readonly units = new Map<string, Driver>();
  private readonly listeners = new Set<InstrumentsListener>();
  private list: readonly InstrumentConfig[];

  constructor(
    private readonly h: InstrumentHolders,
    instruments: readonly InstrumentConfig[],
  ) {
    this.list = instruments;
    for (const u of createDriverUnits(h.site, instruments, h.log)) this.add(u.key, u.driver);
  }

  /** The instruments polled now: a new array after each reload. */
  instruments(): readonly InstrumentConfig[] {
    return this.list;
  }

  onInstruments(listener: InstrumentsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies a plan made against the current list; returns the ids of the instruments (re)started. */
  async apply(next: readonly InstrumentConfig[], plan: ReloadPlan): Promise<string[]> {
    const { calibration, pipeline, sinks, site, log } = this.h;
    const stopping = plan.units.stop.flatMap((k) => this.units.get(k) ?? []);
    await Promise.all(stopping.map((d) => d.stop()));
    for (const key of plan.units.stop) this.remove(key);
    this.list = [...next];
    calibration.setInstruments(this.list);
    const removed = pipeline.setInstruments(this.list.map((i) => i.id));
    for (const sink of sinks) sink.setInstruments?.(this.list);
    pipeline.announceRemoved(removed);
    const started = createDriverUnits(site, this.list, log, new Set(plan.units.start));
    const ids = started.flatMap((u) => u.instruments);
    // A restarted poller numbers from 1 again: its readings continue the instrument's seqs.
    for (const id of ids) pipeline.rebase(id);
    for (const u of started) {
      this.add(u.key, u.driver);
      u.driver.start(pipeline);
    }
    for (const l of this.listeners) l(this.list);
    return ids;
  }

  private add(key: string, driver: Driver): void {
    this.units.set(key, driver);
    this.drivers.push(driver);
  }

  private remove(key: string): void {
    const driver = this.units.get(key);
    if (!driver) return;
    this.units.delete(key);
    this.drivers.splice(this.drivers.indexOf(driver), 1);
  }
}
