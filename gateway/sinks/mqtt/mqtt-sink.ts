import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { InstrumentConfig, MqttConfig } from '../../../config/schema.js';
import type { Logger } from '../../log.js';
import type { ReadingBatch } from '../../reading.js';
import type { CalEvent } from '../../calibration/cal-event.js';
import type { GatewayStats, InstrumentState, Sink } from '../sink.js';
import { InFlightLimit } from './in-flight-limit.js';
import { PAYLOAD_VERSION, serialiseBatch } from './payload.js';
import { dataTopic, eventTopic, gatewayStateTopic, gatewayStatsTopic, statusTopic } from './topics.js';
import { VERSION } from '../../version.js';
import { MQTT_CLIENT_DEFAULTS } from './client-defaults.js';

export interface MqttSinkOptions {
  site: string;
  gateway: string;
  instruments: string[];
  mqtt: MqttConfig;
  log: Logger;
}

/** Publishes reading batches (QoS from config), retained instrument states and the gateway state with last will. */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  private client: MqttClient | null = null;
  private readonly limit: InFlightLimit;
  private readonly prefix: string;

  constructor(private readonly opts: MqttSinkOptions) {
    this.limit = new InFlightLimit(opts.mqtt.maxInFlight);
    this.prefix = opts.mqtt.topicPrefix;
  }

  async start(): Promise<void> {
    const { mqtt, site, gateway, log } = this.opts;
    const stateTopic = gatewayStateTopic(this.prefix, site, gateway);
    const options: IClientOptions = {
      ...MQTT_CLIENT_DEFAULTS,
      clientId: mqtt.clientId ?? `metrogate-${site}-${gateway}`,
      username: mqtt.username,
      password: mqtt.password,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: {
        topic: stateTopic,
        payload: Buffer.from(this.gatewayState('offline')),
        qos: 1,
        retain: true,
      },
    };
    const client = connect(mqtt.url, options);
    this.client = client;
    client.on('connect', () => {
      log.info({ url: mqtt.url }, 'mqtt connected');
      client.publish(stateTopic, this.gatewayState('online'), { qos: 1, retain: true });
    });
    client.on('offline', () => log.warn({ url: mqtt.url }, 'mqtt offline; publishes queue until it is back'));
    client.on('error', (err) => log.warn({ url: mqtt.url, err: err.message }, 'mqtt error'));
    // Resolve on the first connection, but never block start on a broker that is down: the
    // gateway keeps polling and mqtt.js keeps the publishes until the broker is back.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  connected(): boolean {
    return this.client?.connected === true;
  }

  async write(batch: ReadingBatch): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('mqtt sink not started');
    const wait = this.limit.acquire();
    if (wait) await wait;
    try {
      await client.publishAsync(
        dataTopic(this.prefix, batch.site, this.opts.gateway, batch.instrument),
        serialiseBatch(batch, this.opts.gateway),
        { qos: this.opts.mqtt.qos },
      );
    } finally {
      this.limit.release();
    }
  }

  state(state: InstrumentState): void {
    const payload = JSON.stringify({
      v: PAYLOAD_VERSION,
      site: this.opts.site,
      gateway: this.opts.gateway,
      instrument: state.instrument,
      online: state.online,
      since: state.since,
      ...(state.error !== undefined ? { error: state.error } : {}),
      ts: Date.now(),
      cal: state.cal,
    });
    this.client?.publish(statusTopic(this.prefix, this.opts.site, this.opts.gateway, state.instrument), payload, { qos: 1, retain: true });
  }

  event(event: CalEvent): void {
    const { site, ...rest } = event;
    const payload = JSON.stringify({ v: PAYLOAD_VERSION, site, gateway: this.opts.gateway, ...rest });
    this.client?.publish(eventTopic(this.prefix, site, this.opts.gateway, event.instrument), payload, { qos: 1 });
  }

  stats(stats: GatewayStats): void {
    const payload = JSON.stringify({ v: PAYLOAD_VERSION, site: this.opts.site, gateway: this.opts.gateway, ...stats });
    this.client?.publish(gatewayStatsTopic(this.prefix, this.opts.site, this.opts.gateway), payload, { qos: 0 });
  }

  /** A hot reload: the retained gateway state lists the instruments, so it is published again. */
  setInstruments(instruments: readonly InstrumentConfig[]): void {
    this.opts.instruments = instruments.map((i) => i.id);
    const { site, gateway } = this.opts;
    this.client?.publish(gatewayStateTopic(this.prefix, site, gateway), this.gatewayState('online'), { qos: 1, retain: true });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    if (client.connected) {
      await client
        .publishAsync(gatewayStateTopic(this.prefix, this.opts.site, this.opts.gateway), this.gatewayState('offline'), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    // With the broker gone, a graceful end would wait forever for acknowledgements that cannot
    // come; what was not acknowledged is still in the spool for the next start.
    await Promise.race([client.endAsync(!client.connected), new Promise((r) => setTimeout(r, 5000).unref())]);
    if (!client.disconnected) await client.endAsync(true).catch(() => undefined);
  }

  private gatewayState(state: 'online' | 'offline'): string {
    return JSON.stringify({
      v: PAYLOAD_VERSION,
      site: this.opts.site,
      gateway: this.opts.gateway,
      state,
      ts: Date.now(),
      version: VERSION,
      instruments: this.opts.instruments,
    });
  }
}
