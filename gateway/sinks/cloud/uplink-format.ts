import { dataTopic, eventTopic, gatewayStateTopic, rosterTopic } from '../../contract/topics.js';
import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalEvent } from '../../calibration/cal-event.js';
import type { ReadingBatch } from '../../reading.js';
import type { InstrumentState } from '../sink.js';
import type { Roster } from './roster.js';

export interface UplinkMessage {
  topic: string;
  payload: string | Buffer;
  retain: boolean;
}

/**
 * What goes on the wire of the MQTT uplink, per payload format (json-format.ts,
 * ../sparkplug/sparkplug-format.ts); the session and the spool handling are shared.
 */
export interface UplinkFormat {
  /** The last will of the next connection (asked once per connection attempt). */
  will(): UplinkMessage;
  /** Published right after connecting, in order, before any data. */
  births(): UplinkMessage[];
  data(batch: ReadingBatch): UplinkMessage;
  /** A calibration event from the spool; absent when the format has no place for one. */
  event?(event: CalEvent): UplinkMessage;
  /** A changed instrument state (connection, calibration); [] when the format has nothing to say. */
  state(state: InstrumentState): UplinkMessage[];
  roster(roster: Roster): UplinkMessage;
  /**
   * A hot reload changed the instruments; returns what to publish now if connected (the next
   * connection's births carry the new list anyway).
   */
  setInstruments(instruments: readonly InstrumentConfig[]): UplinkMessage[];
  /** Published on a clean stop: what the will would have said. */
  goodbye(): UplinkMessage;
  /** Topics to subscribe to after connecting. */
  subscriptions(): string[];
  /** An incoming message on one of them; returns what to publish in answer. */
  command(topic: string, payload: Buffer): UplinkMessage[];
}

/** Topic layout of the JSON uplink: the edge broker's (gateway/contract/topics.ts), plus the roster. */
export const cloudTopics = { data: dataTopic, event: eventTopic, roster: rosterTopic, state: gatewayStateTopic };
