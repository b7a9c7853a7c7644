import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import type { InfluxConfig, IngestConfig, MqttConfig } from '../../config/schema.js';
import type { Logger } from '../log.js';
import { GapRepair } from '../repair/gap-repair.js';
import { DEFAULT_REPAIR } from '../repair/repair-config.js';
import { MQTT_CLIENT_DEFAULTS } from '../sinks/mqtt/client-defaults.js';
import { reconnectWithBackoff, type ReconnectBackoff } from '../sinks/mqtt/reconnect-backoff.js';
import { DeferredPubacks } from './deferred-pubacks.js';
import { IngestListening } from './listening.js';
import { SharePersistenceProbe } from './share-probe.js';

/** How many unacknowledged messages we let the broker send us (MQTT 5 Receive Maximum). */
export const RECEIVE_MAXIMUM = 1000;
/** start() waits this long for the broker, then lets the process run on while it keeps trying. */
const FIRST_CONNECT_WAIT_MS = 5000;

export interface ConnectionOptions {
  mqtt: MqttConfig;
  influx: InfluxConfig;
  ingest: IngestConfig;
  log: Logger;
  clientId: string;
  /** A message that is neither a subscription check nor gap repair's: to be stored. */
  receive(packet: IPublishPacket): void;
}

/** The ingest's parts on the broker side, each ended by IngestConnection.end(). */
export interface IngestConnection {
  client: MqttClient;
  acks: DeferredPubacks;
  listening: IngestListening;
  probe: SharePersistenceProbe | null;
  repair: GapRepair | null;
  reconnects: ReconnectBackoff;
}

/**
 * Connects the ingest to the broker with a persistent session (what arrives while it is away
 * waits there) and PUBACKs held until the points are stored; subscribes on every connection,
 * probes shared-subscription persistence in a group and starts gap repair when enabled.
 */
export function connectIngest(o: ConnectionOptions): IngestConnection {
  const { mqtt, ingest, log } = o;
  const client = connect(mqtt.url, {
    ...MQTT_CLIENT_DEFAULTS,
    clientId: o.clientId,
    username: mqtt.username,
    password: mqtt.password,
    clean: false,
    properties: { sessionExpiryInterval: ingest.sessionExpirySeconds, receiveMaximum: RECEIVE_MAXIMUM },
    // IngestListening subscribes on every connection itself; reconnectWithBackoff retries.
    resubscribe: false,
    reconnectPeriod: 0,
  });
  const acks = new DeferredPubacks(client);
  const reconnects = reconnectWithBackoff(client, log);
  const listening = new IngestListening(client, { prefix: mqtt.topicPrefix, sites: ingest.sites, group: ingest.group, log });
  const repairConfig = { ...DEFAULT_REPAIR, ...ingest.repair };
  const repair = repairConfig.enabled
    ? new GapRepair({
        client,
        prefix: mqtt.topicPrefix,
        sites: ingest.sites,
        influx: o.influx,
        config: repairConfig,
        clientId: o.clientId,
        log: log.child({ part: 'gap-repair' }),
      })
    : null;
  client.handleMessage = (packet, callback) => {
    if (packet.qos > 0 && packet.messageId !== undefined) acks.received(packet.messageId);
    if (!listening.observe(packet)) o.receive(packet);
    callback();
  };
  // While disconnected, reconnectWithBackoff reports the failed attempts (and fewer of them).
  client.on('error', (err) => (client.connected ? log.warn : log.debug).call(log, { err: err.message }, 'ingest mqtt error'));
  let probe: SharePersistenceProbe | null = null;
  if (ingest.group) {
    const p = new SharePersistenceProbe({
      url: mqtt.url,
      username: mqtt.username,
      password: mqtt.password,
      clientId: o.clientId,
      prefix: mqtt.topicPrefix,
      sessionExpirySeconds: ingest.sessionExpirySeconds,
      log,
    });
    client.on('connect', () => void p.run());
    probe = p;
  }
  repair?.start();
  const topics = listening.topics;
  listening.subscriptions.onRound((ok) => {
    if (ok) log.info({ topics, database: o.influx.database }, 'ingest subscribed');
  });
  return { client, acks, listening, probe, repair, reconnects };
}

/** Resolves once the first subscription round is done; warns (and resolves) when the broker is not there yet. */
export async function firstSubscription(c: IngestConnection, url: string, log: Logger): Promise<void> {
  const first = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), FIRST_CONNECT_WAIT_MS);
    c.listening.subscriptions.onRound(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
  if (!first) log.warn({ url }, 'ingest not subscribed yet (broker unreachable?); it subscribes as soon as it connects');
}

/** Stops gap repair and reconnecting, and disconnects (the session stays at the broker). */
export async function endIngestConnection(c: IngestConnection): Promise<void> {
  await c.repair?.stop();
  c.reconnects.stop();
  await c.client.endAsync(!c.client.connected);
}
