import { connect } from 'mqtt';
import type { MqttConfig } from '../../config/schema.js';
import { MQTT_CLIENT_DEFAULTS } from '../sinks/mqtt/client-defaults.js';
import { seqsSubscription } from '../sinks/mqtt/topics.js';
import { streamKey, type StreamId } from './published-seqs.js';
import { parseLastSeqs } from './repair-messages.js';

/** How long after the subscription the broker has sent its retained messages. */
const QUIET_MS = 500;

/**
 * Every gateway's retained last seqs as the broker holds them now, per stream. Retained messages
 * come right after the SUBACK; collection ends once none came for QUIET_MS (or at timeoutMs).
 * Rejects when the broker cannot be reached within timeoutMs.
 */
export async function readRetainedSeqs(mqtt: MqttConfig, timeoutMs = 5000): Promise<Map<string, { id: StreamId; last: number }>> {
  const client = connect(mqtt.url, {
    ...MQTT_CLIENT_DEFAULTS,
    username: mqtt.username,
    password: mqtt.password,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
  const out = new Map<string, { id: StreamId; last: number }>();
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`broker ${mqtt.url} did not answer within ${timeoutMs} ms`)), timeoutMs);
      client.once('error', (err) => (clearTimeout(deadline), reject(err)));
      client.once('connect', () => clearTimeout(deadline));
      let quiet: NodeJS.Timeout | undefined;
      client.on('message', (_topic, payload) => {
        const doc = parseLastSeqs(payload);
        if (typeof doc !== 'string') {
          for (const [instrument, last] of Object.entries(doc.lastSeq)) {
            const id = { site: doc.site, gateway: doc.gateway, instrument, epoch: doc.epoch };
            out.set(streamKey(id), { id, last });
          }
        }
        quiet?.refresh();
      });
      client.once('connect', () => {
        client.subscribeAsync(seqsSubscription(mqtt.topicPrefix, '+'), { qos: 1 }).then(() => {
          quiet = setTimeout(resolve, QUIET_MS);
        }, reject);
      });
    });
    return out;
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}
