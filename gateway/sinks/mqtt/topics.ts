/**
 * Topic layout. Site and instrument ids are restricted by the config schema to characters that
 * are safe in topic levels (no `/`, `+`, `#`), so they are used as they are.
 *   <prefix>/<site>/<instrument>/data     one JSON batch per poll cycle (QoS 1)
 *   <prefix>/<site>/<instrument>/status   retained: online/offline and calibration state
 *   <prefix>/<site>/<instrument>/event    calibration events (QoS 1)
 *   <prefix>/<site>/gateway/state          retained, with last will (`gateway` is reserved)
 *   <prefix>/<site>/gateway/stats          gateway statistics every statsIntervalMs
 */
export const dataTopic = (prefix: string, site: string, instrument: string): string =>
  `${prefix}/${site}/${instrument}/data`;

export const statusTopic = (prefix: string, site: string, instrument: string): string =>
  `${prefix}/${site}/${instrument}/status`;

export const gatewayStateTopic = (prefix: string, site: string): string => `${prefix}/${site}/gateway/state`;

/** Calibration events of one instrument (QoS 1, not retained). */
export const eventTopic = (prefix: string, site: string, instrument: string): string =>
  `${prefix}/${site}/${instrument}/event`;

/** Periodic statistics of one gateway. */
export const gatewayStatsTopic = (prefix: string, site: string): string => `${prefix}/${site}/gateway/stats`;

/** Subscription for the ingest role: data of every instrument of the given site (`+` = all). */
export const dataSubscription = (prefix: string, site: string): string => `${prefix}/${site}/+/data`;

/** Parses a data topic back into site and instrument; null when it is not one. */
export function parseDataTopic(prefix: string, topic: string): { site: string; instrument: string } | null {
  if (!topic.startsWith(prefix + '/')) return null;
  const rest = topic.slice(prefix.length + 1).split('/');
  if (rest.length !== 3 || rest[2] !== 'data' || !rest[0] || !rest[1]) return null;
  return { site: rest[0], instrument: rest[1] };
}
