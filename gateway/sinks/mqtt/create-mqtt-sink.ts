import type { Logger } from '../../log.js';
import type { DeliveryTarget } from '../../spool/spool-delivery.js';
import type { MqttConfig } from './mqtt-config.js';
import { MqttSink } from './mqtt-sink.js';

export interface MqttDeps {
  mqtt: MqttConfig | undefined;
  site: string;
  gateway: string;
  instruments: readonly { id: string }[];
  log: Logger;
}

/**
 * The edge broker sink when the config has an `mqtt` section, else null. Its window is
 * mqtt.maxInFlight; live data may overtake a replay (dashboards stay live during an outage).
 */
export function createMqttTarget(deps: MqttDeps): DeliveryTarget | null {
  const { mqtt, site, gateway, instruments, log } = deps;
  if (!mqtt) return null;
  const sink = new MqttSink({ site, gateway, instruments: instruments.map((i) => i.id), mqtt, log });
  return { sink, maxInFlight: mqtt.maxInFlight, inOrder: false };
}
