import type { DeviceStatus, DriverOutput } from '../../drivers/driver.js';
import type { UntaggedReading } from '../../gateway/reading.js';
import { until } from './until.js';

export interface CollectedBatch {
  instrument: string;
  at: number;
  readings: UntaggedReading[];
}

/** A DriverOutput that records what a driver delivered, for assertions. */
export class CollectOutput implements DriverOutput {
  readonly batches: CollectedBatch[] = [];
  readonly statuses: DeviceStatus[] = [];

  readings(instrument: string, readings: UntaggedReading[]): void {
    this.batches.push({ instrument, at: Date.now(), readings });
  }

  status(status: DeviceStatus): void {
    this.statuses.push(status);
  }

  of(instrument: string): CollectedBatch[] {
    return this.batches.filter((b) => b.instrument === instrument);
  }

  /** Waits until `predicate` holds; fails after timeoutMs naming `what` and the batches seen. */
  until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return until(predicate, what, { timeoutMs, intervalMs: 20, observe: () => `${this.batches.length} batches` });
  }
}
