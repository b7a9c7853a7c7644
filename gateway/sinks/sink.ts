import type { InstrumentConfig } from '../../config/schema.js';
import type { DeviceStatus } from '../../drivers/driver.js';
import type { CalEvent } from '../calibration/cal-event.js';
import type { ChannelCalStatus } from '../calibration/instrument-summary.js';
import type { CalTag, ReadingBatch } from '../reading.js';

/** Totals since start, published periodically (gateway/schemas/gateway-stats.schema.json). */
export interface GatewayStats {
  ts: number;
  polled: number;
  published: number;
  errors: number;
  timeouts: number;
  skippedCycles: number;
  spoolDepth?: number;
  rssMB: number;
  cpuShare: number;
}

/** What the gateway tells the world about one instrument: connection plus calibration state. */
export interface InstrumentState extends DeviceStatus {
  /** The instrument summary: the worst of the channels that have a record. */
  cal: CalTag;
  /** Each configured channel's own calibration. */
  channels?: ChannelCalStatus[];
}

/**
 * A destination for readings. write() resolves only once the destination acknowledged the batch
 * (MQTT PUBACK, InfluxDB 204), so a durable spool can advance its cursor on resolution; it
 * rejects when the batch was not taken, and the caller decides whether to retry.
 */
export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  write(batch: ReadingBatch): Promise<void>;
  /** Instrument state changes; optional for sinks that only store data. */
  state?(state: InstrumentState): void;
  /** Calibration events (transitions, suspect periods); optional. */
  event?(event: CalEvent): void;
  /** Periodic gateway statistics; optional. */
  stats?(stats: GatewayStats): void;
  /** A hot reload changed the instruments (what the sink announces about them); optional. */
  setInstruments?(instruments: readonly InstrumentConfig[]): void;
  /** Deliveries the destination took but passed to nobody (MQTT PUBACK reason 16), retried; optional. */
  refusedNoSubscribers?(): number;
  /** True while the destination is reachable (for readiness). */
  connected(): boolean;
  stop(): Promise<void>;
}
