import type { DeviceStatus } from '../../drivers/driver.js';
import type { ReadingBatch } from '../reading.js';

/**
 * A destination for readings. write() resolves only once the destination acknowledged the batch
 * (MQTT PUBACK, InfluxDB 204), so a durable spool can advance its cursor on resolution.
 */
export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  write(batch: ReadingBatch): Promise<void>;
  /** Device connection and calibration state changes; optional for sinks that only store data. */
  status?(status: DeviceStatus): void;
  stop(): Promise<void>;
}
