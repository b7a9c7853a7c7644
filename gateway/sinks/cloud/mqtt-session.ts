import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../log.js';
import type { CloudConfig } from './cloud-config.js';
import { explainConnectError, type TlsMaterial } from './tls-files.js';
import type { UplinkMessage } from './uplink-format.js';
import { MQTT_CLIENT_DEFAULTS } from '../mqtt/client-defaults.js';
import { checkPacketSize } from '../mqtt/packet-size.js';
import { refusalOfTooLarge } from '../mqtt/puback-too-large.js';

export interface MqttSessionOptions {
  cloud: CloudConfig;
  tls: TlsMaterial;
  clientId: string;
  log: Logger;
  /** The last will of each new connection. */
  will(): UplinkMessage;
  subscriptions: string[];
  /** Runs once connected, before the session counts as ready (births, retained state). */
  onConnect(send: (msg: UplinkMessage) => Promise<void>): Promise<void>;
  onMessage(topic: string, payload: Buffer): void;
}

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 10_000;

/**
 * One MQTT 5 connection to the cloud broker at a time, each with a fresh clean session: when a
 * connection drops, every publish awaiting its PUBACK is failed at once (the spool sends them
 * again, in order, after the next connection's births) instead of mqtt.js resending them ahead
 * of the births. Reconnects with a backoff of 1 to 10 s; refusals (TLS trust, credentials) are
 * logged in words a user can act on and kept as lastError.
 */
export class MqttSession {
  private client: MqttClient | null = null;
  private isReady = false;
  private stopping = false;
  private backoffMs = RECONNECT_MIN_MS;
  private timer: NodeJS.Timeout | null = null;
  private loggedError: string | null = null;
  private closes = 0;
  lastError: string | null = null;

  constructor(private readonly o: MqttSessionOptions) {}

  get ready(): boolean {
    return this.isReady;
  }

  /**
   * Starts connecting; resolves once the first attempt connected or failed (at most `waitMs`):
   * the gateway never waits for an outage to end before it polls.
   */
  async start(waitMs = 5000): Promise<void> {
    this.connect();
    const deadline = Date.now() + waitMs;
    while (!this.isReady && this.closes === 0 && Date.now() < deadline && !this.stopping) await new Promise((r) => setTimeout(r, 25));
  }

  /** Resolves on the broker's PUBACK; rejects at once when not connected or larger than the broker takes. */
  publish(msg: UplinkMessage): Promise<void> {
    const client = this.client;
    if (!client || !this.isReady) return Promise.reject(new Error(this.lastError ?? `not connected to ${this.o.cloud.url}`));
    try {
      checkPacketSize(client, msg.topic, msg.payload);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.send(client, msg);
  }

  async stop(goodbye?: UplinkMessage): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    if (!client) return;
    if (this.isReady && goodbye) await this.send(client, goodbye).catch(() => undefined);
    this.isReady = false;
    await client.endAsync(true).catch(() => undefined);
  }

  private send(client: MqttClient, msg: UplinkMessage): Promise<void> {
    return client.publishAsync(msg.topic, msg.payload, { qos: 1, retain: msg.retain }).then(
      () => undefined,
      (err: unknown) => Promise.reject(refusalOfTooLarge(err, msg.topic, msg.payload)),
    );
  }

  private connect(): void {
    if (this.stopping) return;
    const { cloud, tls } = this.o;
    const will = this.o.will();
    const options: IClientOptions = {
      ...MQTT_CLIENT_DEFAULTS,
      clientId: this.o.clientId,
      username: cloud.username,
      password: cloud.password,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: cloud.timeoutMs,
      keepalive: 30,
      rejectUnauthorized: true,
      ...tls,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: will.retain },
    };
    const client = connect(cloud.url, options);
    this.client = client;
    client.on('connect', () => void this.connected(client));
    client.on('message', (topic, payload) => this.o.onMessage(topic, payload));
    client.on('error', (err) => this.noteError(err));
    client.on('close', () => this.closed(client));
  }

  private async connected(client: MqttClient): Promise<void> {
    try {
      if (this.o.subscriptions.length > 0) await client.subscribeAsync(this.o.subscriptions, { qos: 1 });
      await this.o.onConnect((msg) => this.send(client, msg));
    } catch (err) {
      this.noteError(err as Error);
      return;
    }
    if (this.client !== client || !client.connected) return;
    this.isReady = true;
    this.backoffMs = RECONNECT_MIN_MS;
    this.lastError = null;
    this.loggedError = null;
    this.o.log.info({ url: this.o.cloud.url }, 'cloud uplink connected');
  }

  private closed(client: MqttClient): void {
    if (this.client !== client) return;
    this.closes++;
    const wasReady = this.isReady;
    this.isReady = false;
    this.client = null;
    // Forced end with a clean session and no auto-reconnect fails every pending publish now.
    client.end(true);
    if (this.stopping) return;
    if (wasReady) this.o.log.warn({ url: this.o.cloud.url, retryInMs: this.backoffMs }, 'cloud uplink lost; readings wait in the spool');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
  }

  private noteError(err: Error): void {
    const message = explainConnectError(err, this.o.cloud);
    this.lastError = message;
    if (message !== this.loggedError) {
      this.loggedError = message;
      this.o.log.error({ url: this.o.cloud.url, err: message }, 'cloud uplink refused or failed; readings wait in the spool');
    }
  }
}
