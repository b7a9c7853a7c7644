/**
 * Topic layout: everything a gateway publishes lives under its own `<prefix>/<site>/<gateway>`,
 * so a broker ACL can confine each gateway to its prefix (config/deploy/mosquitto.acl). Site,
 * gateway and instrument ids are restricted by the config schema to characters that are safe
 * in topic levels (no `/`, `+`, `#`).
 *   <prefix>/<site>/<gateway>/<instrument>/data     one JSON batch per poll cycle (QoS 1)
 *   <prefix>/<site>/<gateway>/<instrument>/status   retained: online/offline and calibration state
 *   <prefix>/<site>/<gateway>/<instrument>/event    calibration events (QoS 1)
 *   <prefix>/<site>/<gateway>/state                 retained, with last will
 *   <prefix>/<site>/<gateway>/stats                 gateway statistics every statsIntervalMs
 *   <prefix>/<site>/<gateway>/seqs                  retained: per instrument, the last seq the spool accepted
 *   <prefix>/<site>/<gateway>/control/resend        to the gateway: re-send a seq range (gateway/repair/)
 *   <prefix>/<site>/<gateway>/control/resent        from the gateway: what a resend request got
 *   <prefix>/<site>/<gateway>/roster                cloud uplink only: retained roster (site-roster schema)
 * Gateway topics have one level fewer than instrument topics, so no id can collide with them.
 */
export const dataTopic = (prefix: string, site: string, gateway: string, instrument: string): string => `${prefix}/${site}/${gateway}/${instrument}/data`;

export const statusTopic = (prefix: string, site: string, gateway: string, instrument: string): string => `${prefix}/${site}/${gateway}/${instrument}/status`;

export const eventTopic = (prefix: string, site: string, gateway: string, instrument: string): string => `${prefix}/${site}/${gateway}/${instrument}/event`;

export const gatewayStateTopic = (prefix: string, site: string, gateway: string): string => `${prefix}/${site}/${gateway}/state`;

export const gatewayStatsTopic = (prefix: string, site: string, gateway: string): string => `${prefix}/${site}/${gateway}/stats`;

export const gatewaySeqsTopic = (prefix: string, site: string, gateway: string): string => `${prefix}/${site}/${gateway}/seqs`;

export const rosterTopic = (prefix: string, site: string, gateway: string): string => `${prefix}/${site}/${gateway}/roster`;

export const resendTopic = (prefix: string, site: string, gateway: string): string => `${prefix}/${site}/${gateway}/control/resend`;

export const resentTopic = (prefix: string, site: string, gateway: string): string => `${prefix}/${site}/${gateway}/control/resent`;

/** Every gateway's last seqs for one site (`+` = every site): not shared, every ingester needs all. */
export const seqsSubscription = (prefix: string, site: string): string => `${prefix}/${site}/+/seqs`;

/** The ingest role's subscriptions for one site (`+` = every site). */
export const dataSubscription = (prefix: string, site: string): string => `${prefix}/${site}/+/+/data`;
export const eventSubscription = (prefix: string, site: string): string => `${prefix}/${site}/+/+/event`;
export const statsSubscription = (prefix: string, site: string): string => `${prefix}/${site}/+/stats`;
export const statusSubscription = (prefix: string, site: string): string => `${prefix}/${site}/+/+/status`;

/** An MQTT 5 shared subscription: the broker gives each message to one member of the group. */
export const shared = (group: string | undefined, filter: string): string => (group ? `$share/${group}/${filter}` : filter);

/** Parses a data topic back into its ids; null when it is not one. */
export function parseDataTopic(prefix: string, topic: string): { site: string; gateway: string; instrument: string } | null {
  if (!topic.startsWith(prefix + '/')) return null;
  const rest = topic.slice(prefix.length + 1).split('/');
  if (rest.length !== 4 || rest[3] !== 'data' || !rest[0] || !rest[1] || !rest[2]) return null;
  return { site: rest[0], gateway: rest[1], instrument: rest[2] };
}

/** What a message on one of the ingest's topics is; see topicIds(). */
export type IngestTopicKind = 'data' | 'event' | 'status' | 'stats';

export interface TopicIds {
  kind: IngestTopicKind;
  site: string;
  gateway: string;
  instrument?: string;
}

/**
 * The ids a topic the ingest subscribes to names: `<prefix>/<site>/<gateway>/<instrument>/data|event|status`
 * and `<prefix>/<site>/<gateway>/stats`. Read from the end, because a prefix may hold `/` itself.
 */
export function topicIds(topic: string): TopicIds | null {
  const parts = topic.split('/');
  const n = parts.length;
  const last = parts[n - 1];
  if ((last === 'data' || last === 'event' || last === 'status') && n >= 5)
    return { kind: last, site: parts[n - 4]!, gateway: parts[n - 3]!, instrument: parts[n - 2]! };
  if (last === 'stats' && n >= 4) return { kind: 'stats', site: parts[n - 3]!, gateway: parts[n - 2]! };
  return null;
}
