import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalEvent } from '../../calibration/cal-event.js';
import type { ReadingBatch } from '../../reading.js';
import { VERSION } from '../../version.js';
import { calEventMessage, gatewayStateMessage } from '../../contract/messages.js';
import { serialiseBatch } from '../mqtt/payload.js';
import type { InstrumentState } from '../sink.js';
import type { Roster } from './roster.js';
import { cloudTopics, type UplinkFormat, type UplinkMessage } from './uplink-format.js';

export interface JsonFormatOptions {
  prefix: string;
  site: string;
  gateway: string;
  instruments: string[];
}

/**
 * The JSON uplink: reading batches and calibration events as on the edge broker (reading-batch,
 * cal-event schemas), the roster
 * retained (site-roster schema), the gateway state retained with a last will (gateway-state).
 */
export class JsonFormat implements UplinkFormat {
  constructor(private readonly o: JsonFormatOptions) {}

  will(): UplinkMessage {
    return this.gatewayState('offline');
  }

  births(): UplinkMessage[] {
    return [this.gatewayState('online')];
  }

  data(batch: ReadingBatch): UplinkMessage {
    return {
      topic: cloudTopics.data(this.o.prefix, batch.site, this.o.gateway, batch.instrument),
      payload: serialiseBatch(batch, this.o.gateway),
      retain: false,
    };
  }

  event(event: CalEvent): UplinkMessage {
    const payload = JSON.stringify(calEventMessage(event, this.o.gateway));
    return { topic: cloudTopics.event(this.o.prefix, event.site, this.o.gateway, event.instrument), payload, retain: false };
  }

  state(_state: InstrumentState): UplinkMessage[] {
    return []; // carried by the roster
  }

  roster(roster: Roster): UplinkMessage {
    return { topic: cloudTopics.roster(this.o.prefix, this.o.site, this.o.gateway), payload: JSON.stringify(roster), retain: true };
  }

  setInstruments(instruments: readonly InstrumentConfig[]): UplinkMessage[] {
    this.o.instruments = instruments.map((i) => i.id);
    return [this.gatewayState('online')];
  }

  goodbye(): UplinkMessage {
    return this.gatewayState('offline');
  }

  subscriptions(): string[] {
    return [];
  }

  command(): UplinkMessage[] {
    return [];
  }

  private gatewayState(state: 'online' | 'offline'): UplinkMessage {
    const payload = gatewayStateMessage(this.o.site, this.o.gateway, state, VERSION, this.o.instruments);
    return { topic: cloudTopics.state(this.o.prefix, this.o.site, this.o.gateway), payload, retain: true };
  }
}
