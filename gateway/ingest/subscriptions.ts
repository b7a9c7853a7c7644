import type { MqttClient } from 'mqtt';
import type { ISubackPacket } from 'mqtt-packet';
import type { Logger } from '../log.js';

/** One subscription the ingest asks for: the topic filter, and its MQTT 5 subscription identifier. */
export interface WantedSubscription {
  filter: string;
  qos: 0 | 1;
  /** Set on subscriptions whose messages must be told apart from others on the same topic. */
  identifier?: number;
}

/** A filter the broker refused (SUBACK reason ≥ 0x80) or granted at a lower QoS than asked. */
export interface SubscriptionProblem {
  filter: string;
  reasonCode: number;
  problem: 'refused' | 'downgraded';
}

export interface SubscriptionHealth {
  /** Every wanted filter granted as asked on the current connection. */
  subscribed: boolean;
  problems: SubscriptionProblem[];
  /** SUBSCRIBE rounds sent (one per connection). */
  rounds: number;
  /** Reconnections on which the broker no longer had our session (persistence off, or it expired). */
  sessionsLost: number;
}

/**
 * Subscribes on EVERY connection, whatever the broker says about the session. A broker can keep
 * a persistent session yet lose part of it: Mosquitto 2.0 restores a session's plain
 * subscriptions after a restart but not its `$share/...` ones, and mqtt.js does not subscribe
 * again when the CONNACK says the session is present, so the ingester sat connected and deaf.
 * Subscribing to a filter we already hold replaces it (MQTT 5 §3.8.4): nothing is lost or doubled.
 */
export class IngestSubscriptions {
  private state: SubscriptionHealth = { subscribed: false, problems: [], rounds: 0, sessionsLost: 0 };
  private connectedBefore = false;
  private readonly listeners: ((ok: boolean) => void)[] = [];

  constructor(
    private readonly client: MqttClient,
    private readonly wanted: readonly WantedSubscription[],
    private readonly log: Logger,
  ) {
    client.on('connect', (connack) => this.connected(connack.sessionPresent));
    client.on('close', () => (this.state.subscribed = false));
  }

  health(): SubscriptionHealth {
    return { ...this.state, problems: [...this.state.problems] };
  }

  /** Called after each SUBSCRIBE round with whether every filter was granted as asked. */
  onRound(listener: (ok: boolean) => void): void {
    this.listeners.push(listener);
  }

  private connected(sessionPresent: boolean): void {
    if (this.connectedBefore && !sessionPresent) {
      this.state.sessionsLost++;
      this.log.warn(
        { lost: this.state.sessionsLost },
        'the broker no longer had our session: what was queued for this ingester while it was away is gone (broker restarted without persistence, or the session expired)',
      );
    }
    this.connectedBefore = true;
    this.state.rounds++;
    // One SUBSCRIBE per identifier: MQTT 5 gives a SUBSCRIBE one identifier for all its filters.
    const groups = new Map<number | undefined, WantedSubscription[]>();
    for (const w of this.wanted) groups.set(w.identifier, [...(groups.get(w.identifier) ?? []), w]);
    const rounds = [...groups].map(([identifier, subs]) => this.subscribe(subs, identifier));
    void Promise.all(rounds).then((problems) => this.settle(problems.flat()));
  }

  private subscribe(subs: WantedSubscription[], identifier: number | undefined): Promise<SubscriptionProblem[]> {
    const map = Object.fromEntries(subs.map((s) => [s.filter, { qos: s.qos }]));
    const properties = identifier === undefined ? undefined : { properties: { subscriptionIdentifier: identifier } };
    return new Promise((resolve) => {
      this.client.subscribe(map, properties ?? {}, (err, _subs, packet?: ISubackPacket) => {
        const granted = packet?.granted;
        if (!granted) {
          // No SUBACK at all: the connection went away; the next connection subscribes again.
          resolve(subs.map((s) => ({ filter: s.filter, reasonCode: -1, problem: 'refused' as const })));
          if (err) this.log.warn({ err: err.message }, 'subscribe failed; retrying on the next connection');
          return;
        }
        resolve(
          subs.flatMap((s, i): SubscriptionProblem[] => {
            const code = typeof granted[i] === 'number' ? (granted[i] as number) : (granted[i] as { qos: number }).qos;
            if (code >= 0x80) return [{ filter: s.filter, reasonCode: code, problem: 'refused' }];
            if (code < s.qos) return [{ filter: s.filter, reasonCode: code, problem: 'downgraded' }];
            return [];
          }),
        );
      });
    });
  }

  private settle(problems: SubscriptionProblem[]): void {
    this.state.problems = problems;
    this.state.subscribed = problems.length === 0 && this.client.connected;
    for (const p of problems) {
      if (p.reasonCode === -1) continue;
      this.log.error(
        { filter: p.filter, reasonCode: p.reasonCode },
        p.problem === 'refused'
          ? 'the broker refused a subscription: the ingest does not receive these messages (check the broker ACL and shared-subscription support)'
          : 'the broker granted a subscription below QoS 1: its messages may be lost on the way (check the broker maximum QoS)',
      );
    }
    for (const l of this.listeners) l(this.state.subscribed);
  }
}
