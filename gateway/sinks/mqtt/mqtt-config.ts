/** The config of the edge broker sink, `mqtt:` (schema composed into config/schema.ts), and its check. */
import { Type, type Static } from '@sinclair/typebox';
import { TopicPrefix } from '../../../config/common.js';
import type { PathProblem } from '../../../config/problem.js';
import { checkConnection } from '../check-connection.js';

export const MqttSchema = Type.Object(
  {
    url: Type.String({ pattern: '^(mqtts?|wss?|tcp)://', description: 'mqtt://host:port or mqtts://host:port' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String()),
    topicPrefix: TopicPrefix,
    qos: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { default: 1 }),
    /** Publishes awaiting PUBACK at once; beyond it the pipeline waits (backpressure). */
    maxInFlight: Type.Integer({ minimum: 1, maximum: 65535, default: 256 }),
    /**
     * A data batch or calibration event the broker acknowledges with reason 16 (no matching
     * subscribers) reached nobody: with this on it stays in the spool and is sent again later.
     */
    requireSubscribers: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export type MqttConfig = Static<typeof MqttSchema>;

/** What the schema cannot say; paths are relative to `mqtt`. */
export function checkMqttConfig(mqtt: MqttConfig): PathProblem[] {
  return checkConnection(mqtt);
}
