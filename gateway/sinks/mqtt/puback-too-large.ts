import { createRequire } from 'node:module';
import { ErrorWithReasonCode } from 'mqtt';
import { RejectedBatchError } from '../sink-errors.js';

/** MQTT 5 reason code 0x95, Packet too large. */
export const PACKET_TOO_LARGE = 149;

/** mqtt-packet's table of the reason codes its parser accepts in a PUBACK or PUBREC. */
interface AckCodeTable {
  MQTT5_PUBACK_PUBREC_CODES?: Record<number, string>;
}

/**
 * Mosquitto answers a QoS 1 or 2 PUBLISH over its `message_size_limit` (which it does not state
 * in CONNACK, unlike `max_packet_size`) with PUBACK or PUBREC reason 149, a code MQTT 5 does not
 * list for those packets. mqtt-packet's parser refuses it ("Invalid puback reason code", a client
 * 'error' event carrying no packet id) and throws away the rest of that socket read: the
 * publish's callback is never called, nor that of any publish whose PUBACK came in the same read,
 * and each hangs until the connection drops (then mqtt.js sends it again). mqtt.js offers no
 * option or event for an acknowledgement its parser refused, so the code is added to the
 * parser's own table, found from mqtt's location so that it is the copy mqtt.js loads. mqtt.js
 * then fails that one publish with ErrorWithReasonCode 149, as it does every refusal in the spec's
 * list. Throws at load when the table is gone, so an mqtt upgrade cannot undo this silently
 * (test/unit/puback-too-large.test.ts parses such a PUBACK with mqtt.js's own parser).
 */
function acceptPacketTooLarge(): void {
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
  const codes = (fromMqtt('mqtt-packet/constants.js') as AckCodeTable).MQTT5_PUBACK_PUBREC_CODES;
  if (!codes) throw new Error('mqtt-packet has no MQTT5_PUBACK_PUBREC_CODES: see gateway/sinks/mqtt/puback-too-large.ts for this mqtt version');
  codes[PACKET_TOO_LARGE] ??= 'Packet too large';
}
acceptPacketTooLarge();

/**
 * The broker's PUBACK 149 to a publish as the refused batch it is (the spool drops and counts it;
 * sending it again cannot help); any other error as it came.
 */
export function refusalOfTooLarge(err: unknown, topic: string, payload: string | Buffer): unknown {
  if (!(err instanceof ErrorWithReasonCode) || err.code !== PACKET_TOO_LARGE) return err;
  const bytes = Buffer.byteLength(payload);
  return new RejectedBatchError(
    `the broker refused the ${bytes}-byte message to ${topic} as too large (PUBACK reason 149, Packet too large: a limit such as Mosquitto's message_size_limit)`,
  );
}
