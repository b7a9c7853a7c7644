/** The config of the cloud platform uplink, `cloud:` (schema composed into config/schema.ts), and its check. */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Millis, TopicPrefix } from '../../../config/common.js';
import type { PathProblem } from '../../../config/problem.js';
import { checkConnection } from '../check-connection.js';

export const CloudSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    url: Type.String({
      pattern: '^(mqtts|mqtt|https)://',
      description:
        'mqtts://host:8883 (MQTT 5 over TLS), https://host/path (POST of gzip JSON), or mqtt://host:1883 (no TLS: only to a bridge on the same host)',
    }),
    /** Payload format of the MQTT uplink; the HTTPS uplink always posts JSON. */
    format: Type.Union([Type.Literal('json'), Type.Literal('sparkplug')], { default: 'json' }),
    topicPrefix: TopicPrefix,
    clientId: Type.Optional(Type.String({ minLength: 1 })),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    token: Type.Optional(Type.String({ minLength: 1, description: 'bearer token of the HTTPS uplink' })),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM file with the CA certificate(s) the server must chain to; default: the system CAs' })),
    cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM file with the client certificate (with key)' })),
    key: Type.Optional(Type.String({ minLength: 1, description: 'PEM file with the client private key (with cert)' })),
    inOrder: Type.Boolean({ default: true, description: 'deliver strictly oldest first, so each instrument arrives in order' }),
    maxInFlight: Type.Integer({ minimum: 1, maximum: 65535, default: 64, description: 'batches awaiting acknowledgement at once' }),
    batchMaxReadings: Type.Integer({ minimum: 1, maximum: 100_000, default: 5000, description: 'readings per HTTPS request at most' }),
    timeoutMs: Millis(30_000),
    events: Type.Optional(
      Type.Boolean({
        description:
          'send the calibration events from the spool (cal-event schema; HTTPS: POST <url>/events, MQTT JSON: …/<instrument>/event), acknowledged and retried like the readings and in order with them; default: true for https:// and format json, false for sparkplug, which cannot carry them',
      }),
    ),
    sparkplug: Type.Optional(
      Type.Object(
        {
          groupId: Type.Optional(Id),
          edgeNodeId: Type.Optional(Id),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type CloudConfig = Static<typeof CloudSchema>;

/** What the schema cannot say: a usable URL, options that belong together. Paths are relative to `cloud`. */
export function checkCloudConfig(cloud: CloudConfig): PathProblem[] {
  const problems = checkConnection(cloud);
  const https = cloud.url.startsWith('https://');
  if (cloud.format === 'sparkplug' && https) problems.push({ at: ['format'], message: 'sparkplug needs an MQTT url (mqtts://…), not https://' });
  if (cloud.format === 'sparkplug' && cloud.events === true) {
    problems.push({
      at: ['events'],
      message:
        'Sparkplug B carries no calibration events (its Calibration/* metrics give each instrument its current state); use format json or an https:// url to receive them, or leave events out',
    });
  }
  if (https && cloud.token === undefined) problems.push({ at: ['token'], message: 'the HTTPS uplink needs a bearer token (e.g. token: ${CLOUD_TOKEN})' });
  if ((cloud.cert === undefined) !== (cloud.key === undefined)) {
    problems.push({ at: [cloud.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs both cert and key' });
  }
  if (cloud.url.startsWith('mqtt://') && (cloud.ca !== undefined || cloud.cert !== undefined)) {
    problems.push({ at: ['url'], message: 'ca, cert and key take effect only with TLS: use mqtts://' });
  }
  return problems;
}

/** Whether the uplink sends calibration events: cloud.events, else every format that can carry them. */
export function sendsEvents(cloud: CloudConfig): boolean {
  return cloud.events ?? cloud.format !== 'sparkplug';
}
