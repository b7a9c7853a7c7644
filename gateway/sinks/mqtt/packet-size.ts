import type { MqttClient } from 'mqtt';
import { RejectedBatchError } from '../sink-errors.js';

/**
 * Throws RejectedBatchError when a QoS 1 PUBLISH of this topic and payload exceeds the Maximum
 * Packet Size the broker stated in its CONNACK (MQTT 5). mqtt.js does not enforce it: a larger
 * PUBLISH makes the broker disconnect the client, and mqtt.js sends it again after every
 * reconnect, so one oversized batch would cut the gateway off its broker for good. Costs nothing
 * when the broker states no limit (Mosquitto's default).
 */
export function checkPacketSize(client: MqttClient, topic: string, payload: string | Buffer): void {
  const max = client.serverProperties?.maximumPacketSize;
  if (max === undefined) return;
  const size = publishPacketSize(topic, payload);
  if (size > max) throw new RejectedBatchError(`${size}-byte message to ${topic} exceeds the broker's Maximum Packet Size of ${max} bytes`);
}

/** Bytes of a QoS 1 PUBLISH without properties: fixed header, topic, packet id, property length, payload. */
export function publishPacketSize(topic: string, payload: string | Buffer): number {
  const remaining = 2 + Buffer.byteLength(topic) + 2 + 1 + (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  return 1 + lengthBytes + remaining;
}
