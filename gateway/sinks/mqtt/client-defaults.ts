import type { IClientOptions } from 'mqtt';
// Every client built with these defaults takes Mosquitto's PUBACK 149 (see the module).
import './puback-too-large.js';

/**
 * Options every metrogate MQTT client shares. writeCache off: mqtt-packet otherwise builds 65,536
 * two-byte Buffers for message ids at the first publish, ~6 MB of heap that stays for the life
 * of the process; writing the two bytes when needed costs nothing measurable.
 */
export const MQTT_CLIENT_DEFAULTS = {
  protocolVersion: 5,
  writeCache: false,
} as const satisfies IClientOptions;
