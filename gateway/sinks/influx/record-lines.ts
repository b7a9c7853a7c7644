import type { CalEvent } from '../../calibration/cal-event.js';
import { calEventMessage } from '../../contract/messages.js';
import { calEventLine, gatewayStatsLine } from '../../influx/event-lines.js';
import { PAYLOAD_VERSION } from '../mqtt/payload.js';
import type { GatewayStats } from '../sink.js';

/**
 * A spooled event or stats record as the line the ingest role writes for the same message on the
 * broker (`cal_event`, `gateway_stats`): rendered by the ingest's own renderers from the wire form
 * the MQTT sink would publish, so Grafana's annotations and the health dashboard read the same
 * points whichever path wrote them.
 */
export function eventLine(event: CalEvent, gateway: string): string {
  return calEventLine(calEventMessage(event, gateway));
}

export function statsLine(stats: GatewayStats, site: string, gateway: string): string {
  return gatewayStatsLine({ ...stats, v: PAYLOAD_VERSION, site, gateway });
}
