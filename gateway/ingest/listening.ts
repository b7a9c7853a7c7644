import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import { dataSubscription, eventSubscription, shared, statsSubscription, statusSubscription } from '../contract/topics.js';
import { DeafDetector, type DeafHealth } from './deaf-detector.js';
import { IngestSubscriptions, type SubscriptionHealth, type WantedSubscription } from './subscriptions.js';

/**
 * MQTT 5 subscription identifiers, set in a group only: the plain statistics subscription that
 * feeds the deaf detector, and the shared ones whose messages are stored. A message matching
 * both comes as two copies or as one carrying both identifiers; either way each is used once.
 */
const STORE_IDENTIFIER = 1;
const WATCH_IDENTIFIER = 7;

export interface ListeningHealth extends SubscriptionHealth, DeafHealth {
  /** Subscribed as asked and not deaf: the ingest receives what the gateways send. */
  ready: boolean;
}

export interface ListeningOptions {
  prefix: string;
  sites: readonly string[];
  group: string | undefined;
  log: Logger;
}

/** What the ingest subscribes to, for a group or alone. */
export function wantedSubscriptions(opts: Omit<ListeningOptions, 'log'>): WantedSubscription[] {
  const wanted: WantedSubscription[] = opts.sites.flatMap((site) =>
    [dataSubscription, eventSubscription, statsSubscription, statusSubscription].map(
      (f): WantedSubscription => ({
        filter: shared(opts.group, f(opts.prefix, site)),
        qos: 1,
        ...(opts.group ? { identifier: STORE_IDENTIFIER } : {}),
      }),
    ),
  );
  // In a group, the statistics come to one member only, and through the very subscription whose
  // loss we want to notice: every member also watches them on a plain subscription, which a
  // broker restores with the session (and we renew on every connection anyway).
  if (opts.group) {
    for (const site of opts.sites) wanted.push({ filter: statsSubscription(opts.prefix, site), qos: 0, identifier: WATCH_IDENTIFIER });
  }
  return wanted;
}

/**
 * The ingest's ears: its subscriptions, renewed on every connection and checked, and the
 * detector that notices when they still do not bring any data.
 */
export class IngestListening {
  readonly subscriptions: IngestSubscriptions;
  private readonly deaf: DeafDetector;
  private readonly watching: boolean;

  constructor(
    client: MqttClient,
    private readonly opts: ListeningOptions,
  ) {
    this.watching = opts.group !== undefined;
    this.subscriptions = new IngestSubscriptions(client, wantedSubscriptions(opts), opts.log);
    this.deaf = new DeafDetector(opts.log);
    client.on('connect', () => this.deaf.reset());
  }

  get topics(): string[] {
    return wantedSubscriptions(this.opts).map((w) => w.filter);
  }

  /**
   * Sees every incoming message first. True when it was only for listening (the plain statistics
   * copy in a group): the ingest must not store it, and it needs no acknowledgement (QoS 0).
   */
  observe(packet: IPublishPacket): boolean {
    const raw = packet.properties?.subscriptionIdentifier;
    // A broker without subscription identifiers sends none: then every copy is stored (InfluxDB
    // keeps one point per series and time) and every statistics message is watched.
    const ids = raw === undefined ? null : Array.isArray(raw) ? raw : [raw];
    const watched = !this.watching || ids === null || ids.includes(WATCH_IDENTIFIER);
    const stored = !this.watching || ids === null || ids.includes(STORE_IDENTIFIER);
    if (packet.topic.endsWith('/data')) {
      if (stored) this.deaf.data();
    } else if (packet.topic.endsWith('/stats') && watched) {
      this.noteStats(packet);
    }
    return !stored;
  }

  health(): ListeningHealth {
    const subs = this.subscriptions.health();
    const deaf = this.deaf.health();
    return { ...subs, ...deaf, ready: subs.subscribed && !deaf.deaf };
  }

  private noteStats(packet: IPublishPacket): void {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(packet.payload).toString('utf8'));
    } catch {
      return;
    }
    // Only what the detector needs; the statistics themselves are checked by the decoder when stored.
    const s = doc as { site?: unknown; gateway?: unknown; polled?: unknown } | null;
    if (s && typeof s.site === 'string' && typeof s.gateway === 'string' && typeof s.polled === 'number' && Number.isFinite(s.polled)) {
      this.deaf.gatewayStats(`${s.site}/${s.gateway}`, s.polled);
    }
  }
}
