import { connect, type IConnackPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import { MQTT_CLIENT_DEFAULTS } from '../sinks/mqtt/client-defaults.js';
import { PubackReasons } from '../sinks/mqtt/puback-reasons.js';

/**
 * What the last probe saw: the broker kept our session and its `$share` subscription, kept the
 * session but lost the subscription, kept no session, or we could not tell (first run, refused).
 */
export type ShareProbeResult = 'kept' | 'subscription-lost' | 'session-lost' | 'unknown';

export interface ShareProbeOptions {
  url: string;
  username?: string;
  password?: string;
  /** The ingester's client id; the probe uses its own session beside it. */
  clientId: string;
  prefix: string;
  sessionExpirySeconds: number;
  log: Logger;
}

/**
 * Asks the broker, cheaply and honestly, whether a `$share` subscription of a persistent
 * session survived since the last look. The probe keeps a session of its own holding one shared
 * subscription on a probe topic; on every ingest connection (a reconnection follows a broker
 * restart) it reconnects that session and publishes one QoS 1 message to the topic: PUBACK
 * reason 0 means the subscription is still there, 16 means the broker restored the session
 * without it (Mosquitto 2.0). It cannot predict the first restart, only report each one after
 * it happened; then it subscribes again so the next one is seen too.
 */
export class SharePersistenceProbe {
  private last: ShareProbeResult = 'unknown';
  private running: Promise<ShareProbeResult> | null = null;
  /** This process has left the probe subscription at the broker, so a missing session means a loss. */
  private armed = false;

  constructor(private readonly opts: ShareProbeOptions) {}

  result(): ShareProbeResult {
    return this.last;
  }

  run(): Promise<ShareProbeResult> {
    this.running ??= this.look().finally(() => (this.running = null));
    return this.running;
  }

  private async look(): Promise<ShareProbeResult> {
    const { url, username, password, clientId, prefix, sessionExpirySeconds, log } = this.opts;
    const topic = `${prefix}/_probe/${clientId}`;
    let client: MqttClient | null = null;
    try {
      const probe = connect(url, {
        ...MQTT_CLIENT_DEFAULTS,
        clientId: `${clientId}-share-probe`,
        username,
        password,
        clean: false,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        resubscribe: false,
        properties: { sessionExpiryInterval: Math.max(sessionExpirySeconds, 86_400) },
      });
      client = probe;
      probe.on('error', () => undefined);
      const reasons = new PubackReasons(probe);
      const connack = await new Promise<IConnackPacket>((resolve, reject) => {
        probe.once('connect', resolve);
        probe.once('error', reject);
        probe.once('close', () => reject(new Error('connection closed')));
      });
      const hadSession = connack.sessionPresent;
      let seen: ShareProbeResult = 'unknown';
      if (hadSession) {
        const sent = await client.publishAsync(topic, 'probe', { qos: 1 });
        seen = reasons.reachedNobody(sent?.messageId) ? 'subscription-lost' : 'kept';
      } else if (this.armed) {
        seen = 'session-lost';
      }
      await client.subscribeAsync(`$share/metrogate-probe/${topic}`, { qos: 1 });
      this.armed = true;
      this.report(seen);
      return seen;
    } catch (err) {
      log.info({ err: (err as Error).message }, 'could not check whether the broker keeps shared subscriptions across a restart');
      return 'unknown';
    } finally {
      await client?.endAsync().catch(() => undefined);
    }
  }

  private report(seen: ShareProbeResult): void {
    const { log } = this.opts;
    if (seen === 'subscription-lost') {
      log.warn(
        { broker: this.opts.url },
        'the broker restarted and restored persistent sessions WITHOUT their $share subscriptions (Mosquitto 2.0 does this): until the ingesters subscribe again, what gateways publish goes to nobody (PUBACK reason 16) and is kept only by gateways with mqtt.requireSubscribers on',
      );
    } else if (seen === 'session-lost') {
      log.warn(
        { broker: this.opts.url },
        'the broker kept no session across its restart (persistence off?): messages queued for the ingesters were lost with it',
      );
    }
    // A first look says nothing about the broker: keep what was seen before.
    if (seen !== 'unknown') this.last = seen;
  }
}
