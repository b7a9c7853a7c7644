import { escape } from 'influx';
import type { CalEvent } from '../calibration/cal-event.js';
import type { GatewayStats } from '../sinks/sink.js';

/** A calibration event as it arrives on the event topic (gateway/schemas/cal-event.schema.json). */
export type WireCalEvent = CalEvent & { v: number; gateway: string };

/** Gateway statistics as they arrive on the stats topic (gateway/schemas/gateway-stats.schema.json). */
export type WireGatewayStats = GatewayStats & { v: number; site: string; gateway: string };

function tags(pairs: [string, string | undefined | null][]): string {
  return pairs
    .filter((p): p is [string, string] => typeof p[1] === 'string' && p[1] !== '')
    .map(([k, v]) => `${k}=${escape.tag(v)}`)
    .join(',');
}

export function isCalEvent(doc: unknown): doc is WireCalEvent {
  const e = doc as Partial<WireCalEvent> | null;
  return !!e && e.v === 1 && typeof e.site === 'string' && typeof e.instrument === 'string' &&
    (e.kind === 'transition' || e.kind === 'suspect') && Number.isInteger(e.ts) && typeof e.to === 'string' && typeof e.reason === 'string';
}

export function isGatewayStats(doc: unknown): doc is WireGatewayStats {
  const s = doc as Partial<WireGatewayStats> | null;
  return !!s && s.v === 1 && typeof s.site === 'string' && typeof s.gateway === 'string' && Number.isInteger(s.ts) &&
    typeof s.polled === 'number' && typeof s.published === 'number';
}

/** One `cal_event` point; `text` is the sentence a Grafana annotation shows. */
export function calEventLine(e: WireCalEvent): string {
  const t = tags([
    ['channel', e.channel], ['from_status', e.from], ['instrument', e.instrument], ['kind', e.kind], ['site', e.site], ['to_status', e.to],
  ]);
  const who = e.channel ? `${e.instrument}.${e.channel}` : e.instrument;
  const text = e.kind === 'suspect'
    ? `${who}: readings suspect (${e.reason})`
    : `${who}: ${e.from ?? 'none'} → ${e.to} (${e.reason})`;
  let f = `certificate=${escape.quoted(e.certificate ?? '')},due=${escape.quoted(e.due ?? '')},reason=${escape.quoted(e.reason)},text=${escape.quoted(text)}`;
  if (e.asFoundError !== undefined) f += `,as_found_error=${e.asFoundError}`;
  if (e.mpe !== undefined) f += `,mpe=${e.mpe}`;
  if (e.suspectFrom !== undefined) f += `,suspect_from=${e.suspectFrom}i`;
  if (e.suspectTo !== undefined) f += `,suspect_to=${e.suspectTo}i`;
  return `cal_event,${t} ${f} ${e.ts}`;
}

export function gatewayStatsLine(s: WireGatewayStats): string {
  let f = `polled=${s.polled}i,published=${s.published}i,errors=${s.errors}i,timeouts=${s.timeouts}i,skipped_cycles=${s.skippedCycles}i,rss_mb=${s.rssMB},cpu_share=${s.cpuShare}`;
  if (s.spoolDepth !== undefined) f += `,spool_depth=${s.spoolDepth}i`;
  return `gateway_stats,${tags([['gateway', s.gateway], ['site', s.site]])} ${f} ${s.ts}`;
}
