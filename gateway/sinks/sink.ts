import type { InstrumentConfig } from '../../config/schema.js';
import type { DeviceStatus } from '../../drivers/driver.js';
import type { CalEvent } from '../calibration/cal-event.js';
import type { ChannelCalStatus } from '../calibration/instrument-summary.js';
import type { CalTag, ReadingBatch } from '../reading.js';

/** Totals since start, published periodically: the contract's (gateway/contract/messages.ts). */
import type { GatewayStats } from '../contract/messages.js';
export type { GatewayStats };

/** What the gateway tells the world about one instrument: connection plus calibration state. */
export interface InstrumentState extends DeviceStatus {
  /** The instrument summary: the worst of the channels that have a record. */
  cal: CalTag;
  /** Each configured channel's own calibration. */
  channels?: ChannelCalStatus[];
  /** A reload removed the instrument: the last word about it (sinks retract what they hold for it). */
  removed?: true;
}

/**
 * A destination for what the spool holds. Every implementation keeps this contract, checked
 * against each on its real destination by test/integration/sink-conformance.test.ts:
 * - write() resolves only once the destination acknowledged the batch (MQTT PUBACK, InfluxDB 204,
 *   HTTP 2xx), so a durable spool can advance its cursor on resolution.
 * - write() rejects when the batch was not taken: with RejectedBatchError when the destination
 *   refuses the batch itself (retrying cannot help: the spool drops and counts it), RetryLaterError
 *   when it asked for a pause, any other error otherwise (the spool keeps it and retries).
 * - While the destination is down, write() rejects within 5 s instead of queueing in memory (the
 *   spool holds the batch), and connected() is false. A write already sent when the connection
 *   dropped may instead resolve once the destination acknowledges it after its return.
 * - start() waits at most 5 s for a down destination and does not throw for it: the sink connects
 *   once it is back. It throws only for what no retry fixes (e.g. an unreadable certificate).
 * - stop() returns within 5 s, whatever the destination does.
 * - writeEvent() and writeStats() keep the same contract for calibration events and gateway stats,
 *   which come from the spool too, in order with the readings; a sink without one does not store
 *   that kind, and the spool acknowledges such records for it at once.
 */
export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  write(batch: ReadingBatch): Promise<void>;
  /** A calibration event (transition, suspect period, impact report) from the spool; optional. */
  writeEvent?(event: CalEvent): Promise<void>;
  /** The gateway's periodic statistics from the spool; optional. */
  writeStats?(stats: GatewayStats): Promise<void>;
  /**
   * Instrument state changes; optional. Not spooled: the state is a latest value (retained on
   * MQTT, re-sent on every connection and on every change), so a newer state replaces a lost one.
   */
  state?(state: InstrumentState): void;
  /** A hot reload changed the instruments (what the sink announces about them); optional. */
  setInstruments?(instruments: readonly InstrumentConfig[]): void;
  /** Deliveries the destination took but passed to nobody (MQTT PUBACK reason 16), retried; optional. */
  refusedNoSubscribers?(): number;
  /** True while the destination is reachable (for readiness). */
  connected(): boolean;
  stop(): Promise<void>;
}
