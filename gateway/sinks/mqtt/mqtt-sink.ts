import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { InstrumentConfig } from '../../../config/schema.js';
import type { MqttConfig } from './mqtt-config.js';
import type { Logger } from '../../log.js';
import type { ReadingBatch } from '../../reading.js';
import type { CalEvent } from '../../calibration/cal-event.js';
import type { GatewayStats, InstrumentState, Sink } from '../sink.js';
import { calEventMessage, gatewayStateMessage } from '../../contract/messages.js';
import { InFlightLimit } from './in-flight-limit.js';
import { PAYLOAD_VERSION, serialiseBatch } from './payload.js';
import { dataTopic, eventTopic, gatewaySeqsTopic, gatewayStateTopic, gatewayStatsTopic, resendTopic, resentTopic, statusTopic } from './topics.js';
import { parseResendRequest, type LastSeqs, type ResendRequest, type ResendResult } from '../../repair/repair-messages.js';
import { VERSION } from '../../version.js';
import { MQTT_CLIENT_DEFAULTS } from './client-defaults.js';
import { checkPacketSize } from './packet-size.js';
import { NoSubscribersError, PubackReasons } from './puback-reasons.js';
import { refusalOfTooLarge } from './puback-too-large.js';
import { instrumentStatusMessage } from '../status-message.js';

export interface MqttSinkOptions {
  site: string;
  gateway: string;
  instruments: string[];
  mqtt: MqttConfig;
  log: Logger;
}

/**
 * Publishes reading batches (QoS from config), calibration events and gateway stats (QoS 1), each
 * from the spool and acknowledged to it on PUBACK; retained instrument states and the gateway
 * state with last will.
 */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  private client: MqttClient | null = null;
  private readonly limit: InFlightLimit;
  private readonly prefix: string;
  private reasons: PubackReasons | null = null;
  /** PUBACK reason 16 unless mqtt.requireSubscribers is off: the spool keeps what nobody received. */
  private readonly requireSubscribers: boolean;
  private noSubscribers = 0;
  private lastSeqs: string | null = null;
  private control: ((req: ResendRequest) => void) | null = null;

  constructor(private readonly opts: MqttSinkOptions) {
    this.limit = new InFlightLimit(opts.mqtt.maxInFlight);
    this.prefix = opts.mqtt.topicPrefix;
    this.requireSubscribers = opts.mqtt.requireSubscribers ?? true;
  }

  /** Publishes (data and events) the broker answered with "no matching subscribers"; retried. */
  refusedNoSubscribers(): number {
    return this.noSubscribers;
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
    this.reasons = new PubackReasons(client);
    client.on('connect', () => {
      log.info({ url: mqtt.url }, 'mqtt connected');
      client.publish(stateTopic, this.gatewayState('online'), { qos: 1, retain: true });
      // A broker restarted without persistence forgot both: say them again on every connect.
      if (this.lastSeqs) client.publish(gatewaySeqsTopic(this.prefix, site, gateway), this.lastSeqs, { qos: 1, retain: true });
      if (this.control) this.subscribeControl(client);
    });
    client.on('message', (topic, payload) => this.receiveControl(topic, payload));
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

  write(batch: ReadingBatch): Promise<void> {
    const topic = dataTopic(this.prefix, batch.site, this.opts.gateway, batch.instrument);
    return this.publishAcked(topic, serialiseBatch(batch, this.opts.gateway), this.opts.mqtt.qos, this.requireSubscribers);
  }

  /** Resolves on PUBACK; a nobody-received event (reason 16) stays in the spool and is sent again, as readings are. */
  writeEvent(event: CalEvent): Promise<void> {
    const payload = JSON.stringify(calEventMessage(event, this.opts.gateway));
    return this.publishAcked(eventTopic(this.prefix, event.site, this.opts.gateway, event.instrument), payload, 1, this.requireSubscribers);
  }

  /**
   * Resolves on PUBACK. Stats nobody subscribed to are taken all the same: they are totals, the
   * next ones supersede them, and holding them would hold back every reading behind them.
   */
  writeStats(stats: GatewayStats): Promise<void> {
    const payload = JSON.stringify({ v: PAYLOAD_VERSION, site: this.opts.site, gateway: this.opts.gateway, ...stats });
    return this.publishAcked(gatewayStatsTopic(this.prefix, this.opts.site, this.opts.gateway), payload, 1, false);
  }

  private async publishAcked(topic: string, payload: string, qos: 0 | 1 | 2, needsSubscriber: boolean): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('mqtt sink not started');
    // Not queued in mqtt.js while the broker is away: the spool holds the entry and retries (Sink contract).
    if (!client.connected) throw new Error(`not connected to the broker at ${this.opts.mqtt.url}`);
    checkPacketSize(client, topic, payload);
    const wait = this.limit.acquire();
    if (wait) await wait;
    try {
      const sent = await client.publishAsync(topic, payload, { qos }).catch((err: unknown) => Promise.reject(refusalOfTooLarge(err, topic, payload)));
      // Delivered means a subscriber (the ingest) has it: a broker without one drops it at once.
      if (needsSubscriber && this.reasons?.reachedNobody(sent?.messageId)) {
        this.noSubscribers++;
        throw new NoSubscribersError(topic);
      }
    } finally {
      this.limit.release();
    }
  }

  /**
   * Retained, so a new subscriber learns each instrument's state. A removed instrument's last
   * status goes to those listening now (the ingest writes it: the status panel drops the
   * instrument), then its retained status is cleared (an empty retained message), so no later
   * subscriber takes it for a live instrument.
   */
  state(state: InstrumentState): void {
    const topic = statusTopic(this.prefix, this.opts.site, this.opts.gateway, state.instrument);
    const payload = JSON.stringify(instrumentStatusMessage(state, this.opts.site, this.opts.gateway, Date.now()));
    this.client?.publish(topic, payload, { qos: 1, retain: !state.removed });
    if (state.removed) this.client?.publish(topic, '', { qos: 1, retain: true });
  }

  /** A hot reload: the retained gateway state lists the instruments, so it is published again. */
  setInstruments(instruments: readonly InstrumentConfig[]): void {
    this.opts.instruments = instruments.map((i) => i.id);
    const { site, gateway } = this.opts;
    this.client?.publish(gatewayStateTopic(this.prefix, site, gateway), this.gatewayState('online'), { qos: 1, retain: true });
  }

  /** Retained: what the spool accepted per instrument, the truth gap repair and the audit compare with. */
  seqs(doc: LastSeqs): void {
    this.lastSeqs = JSON.stringify(doc);
    if (this.client?.connected) {
      this.client.publish(gatewaySeqsTopic(this.prefix, this.opts.site, this.opts.gateway), this.lastSeqs, { qos: 1, retain: true });
    }
  }

  /** Takes resend requests from `<prefix>/<site>/<gateway>/control/resend` (subscribed on every connect). */
  onResendRequest(handler: (req: ResendRequest) => void): void {
    this.control = handler;
    if (this.client?.connected) this.subscribeControl(this.client);
  }

  answerResend(result: ResendResult): void {
    this.client?.publish(resentTopic(this.prefix, this.opts.site, this.opts.gateway), JSON.stringify(result), { qos: 1 });
  }

  private subscribeControl(client: MqttClient): void {
    const topic = resendTopic(this.prefix, this.opts.site, this.opts.gateway);
    client.subscribeAsync(topic, { qos: 1 }).then(
      (granted) => {
        const refused = granted.filter((g) => g.qos > 2);
        if (refused.length > 0)
          this.opts.log.error({ topic, reasonCode: refused[0]!.qos }, 'broker refused the resend control subscription: gaps cannot be repaired');
      },
      (err: Error) => this.opts.log.warn({ topic, err: err.message }, 'resend control subscription failed; retried at the next connect'),
    );
  }

  private receiveControl(topic: string, payload: Buffer): void {
    if (!this.control || topic !== resendTopic(this.prefix, this.opts.site, this.opts.gateway)) return;
    const req = parseResendRequest(payload);
    if (typeof req === 'string') {
      this.opts.log.warn({ topic, problem: req }, 'ignored a resend request that is not one');
      return;
    }
    this.control(req);
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
    return gatewayStateMessage(this.opts.site, this.opts.gateway, state, VERSION, this.opts.instruments);
  }
}
