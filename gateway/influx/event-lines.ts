import type { CheckEventResult, WireCalEvent, WireGatewayStats, WireInstrumentStatus } from '../contract/messages.js';
import { floatField, intField, NS_PER_MS, stringField, tagSet, timestamp } from './line-protocol-escape.js';

/** The event, stats and status messages as they arrive: the contract's (gateway/contract/messages.ts). */
export type { WireCalEvent, WireGatewayStats, WireInstrumentStatus };

/**
 * Where in its millisecond a `cal_event` of each kind sits: in a slot of its own, so events of one
 * moment keep the order in which they follow from one another (a suspect finding, the transition
 * it comes with, the impact report written for it) whatever their content.
 */
const KIND_SLOT: Record<WireCalEvent['kind'], number> = { suspect: 0, transition: 1, impact_report: 2, check: 3 };
const SLOT_NS = NS_PER_MS / 5;

/**
 * One `cal_event` point; `text` is the sentence a Grafana annotation shows. Every field is
 * rendered by its type (the decoder checked the types; this is the second line of defence).
 * Two events of one series (instrument, channel, kind, from, to) in one millisecond (two
 * certificates taken in one scan, each raising its suspect period and its impact report) would
 * be one point: each sits in its kind's slot at an offset hashed from its content (contentHash),
 * so they stay two, while the same event delivered again (at least once, from the spool or the
 * broker) lands on its own point.
 */
export function calEventLine(e: WireCalEvent): string {
  if (e.kind === 'check' && e.result) return checkResultLine(e, e.result);
  const t = tagSet([
    ['channel', e.channel],
    ['from_status', e.from],
    ['instrument', e.instrument],
    ['kind', e.kind],
    ['site', e.site],
    ['to_status', e.to],
  ]);
  const who = e.channel ? `${e.instrument}.${e.channel}` : e.instrument;
  const text =
    e.kind === 'suspect'
      ? `${who}: readings suspect (${e.reason})`
      : e.kind === 'impact_report'
        ? `${who}: impact report on gateway ${e.gateway}: ${e.reportFile ?? 'unknown file'} (${e.readingsAffected ?? 'uncounted'} readings)`
        : `${who}: ${e.from ?? 'none'} → ${e.to} (${e.reason})`;
  let f = `certificate=${stringField(e.certificate ?? '')},due=${stringField(e.due ?? '')},reason=${stringField(e.reason)},text=${stringField(text)}`;
  if (e.asFoundError !== undefined) f += `,as_found_error=${floatField(e.asFoundError)}`;
  if (e.mpe !== undefined) f += `,mpe=${floatField(e.mpe)}`;
  if (e.suspectFrom !== undefined) f += `,suspect_from=${intField(e.suspectFrom)}`;
  if (e.suspectTo !== undefined) f += `,suspect_to=${intField(e.suspectTo)}`;
  if (e.reportFile !== undefined) f += `,report_file=${stringField(e.reportFile)}`;
  if (e.readingsAffected !== undefined) f += `,readings_affected=${intField(e.readingsAffected)}`;
  if (e.check !== undefined) f += `,check=${stringField(e.check)}`;
  const body = `cal_event,${t} ${f}`;
  return `${body} ${timestamp(e.ts, KIND_SLOT[e.kind] * SLOT_NS + (contentHash(body) % SLOT_NS))}`;
}

/**
 * One `check_result` point per intermediate check result: Grafana charts `difference` against
 * `centre` ± 3·`sigma` and the CUSUM sums; `verdict` and `check` are tags (few values each).
 * Results of one series within a millisecond (an operator's entries, two charts judged on one
 * reading) are told apart by their result number: result n sits n mod 10⁶ ns into its ms, so
 * each is its own point, in the order of n, and a result delivered again lands on itself.
 */
function checkResultLine(e: WireCalEvent, r: CheckEventResult): string {
  const t = tagSet([
    ['channel', e.channel],
    ['check', e.check],
    ['instrument', e.instrument],
    ['kind', r.kind],
    ['rule', r.rule],
    ['site', e.site],
    ['verdict', r.verdict],
  ]);
  let f =
    `n=${intField(r.n)},measured=${floatField(r.measured)},reference=${floatField(r.reference)},reference_u=${floatField(r.referenceU)}` +
    `,difference=${floatField(r.difference)},score=${floatField(r.score)},limit=${floatField(r.limit)},cusum_high=${floatField(r.cusumHigh)},cusum_low=${floatField(r.cusumLow)}` +
    `,tripped=${stringField(r.tripped.join(','))},passed=${floatField(r.passed ? 1 : 0)},quarantined=${floatField(r.quarantined ? 1 : 0)},reason=${stringField(e.reason)}`;
  if (r.U !== null) f += `,u_expanded=${floatField(r.U)}`;
  if (r.z !== null) f += `,z=${floatField(r.z)}`;
  if (r.centre !== null) f += `,centre=${floatField(r.centre)}`;
  if (r.sigma !== null) f += `,sigma=${floatField(r.sigma)}`;
  return `check_result,${t} ${f} ${timestamp(e.ts, r.n % NS_PER_MS)}`;
}

/**
 * The text's FNV-1a hash (32 bits): the same event always gets the same offset, two different
 * ones of one series and millisecond the same with a chance of one in 200,000, and no state is
 * needed, so the direct sink and any number of ingest processes (shared subscriptions) agree.
 */
function contentHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The summary's `status` once a reload removed the instrument: the status panel leaves it out from then on. */
export const REMOVED_STATUS = 'removed';

/**
 * `instrument_cal` points from a retained status: the instrument summary (scope=instrument) and each
 * channel's own calibration (scope=channel), so Grafana shows both without MQTT. A removed
 * instrument's last word is a summary with status `removed`: its earlier points (history) stay,
 * but the panel's latest row for it no longer says it is live.
 */
export function instrumentStatusLines(s: WireInstrumentStatus): string[] {
  const fields = (c: { status: string; certificate: string | null; due: string | null; traceable: boolean }) =>
    `status=${stringField(c.status)},certificate=${stringField(c.certificate ?? '')},due=${stringField(c.due ?? '')},traceable=${floatField(c.traceable ? 1 : 0)}`;
  const summary = `instrument_cal,${tagSet([
    ['instrument', s.instrument],
    ['scope', 'instrument'],
    ['site', s.site],
  ])} ${fields(s.removed ? { ...s.cal, status: REMOVED_STATUS } : s.cal)},online=${floatField(s.online ? 1 : 0)} ${timestamp(s.ts)}`;
  const channels = s.channels.map(
    (c) =>
      `instrument_cal,${tagSet([
        ['channel', c.channel],
        ['instrument', s.instrument],
        ['scope', 'channel'],
        ['site', s.site],
      ])} ${fields(c)},has_record=${floatField(c.hasRecord ? 1 : 0)} ${timestamp(s.ts)}`,
  );
  return [summary, ...channels];
}

export function gatewayStatsLine(s: WireGatewayStats): string {
  let f =
    `polled=${intField(s.polled)},published=${intField(s.published)},errors=${intField(s.errors)},timeouts=${intField(s.timeouts)}` +
    `,skipped_cycles=${intField(s.skippedCycles)},rss_mb=${floatField(s.rssMB)},cpu_share=${floatField(s.cpuShare)}`;
  if (s.spoolDepth !== undefined) f += `,spool_depth=${intField(s.spoolDepth)}`;
  return `gateway_stats,${tagSet([
    ['gateway', s.gateway],
    ['site', s.site],
  ])} ${f} ${timestamp(s.ts)}`;
}
