/**
 * The published documents of the platform contract: gateway/schemas/<file>, generated from the
 * contract's schemas by `npm run build && npm run schema` (write-schemas.ts). A unit test
 * (test/unit/contract-schemas.test.ts) fails while a committed file differs from its source here.
 */
import { document, type ContractDocument } from './schema-kit.js';
import {
  CalEventSchema,
  CloudBatchSchema,
  GatewayStateSchema,
  GatewayStatsSchema,
  InstrumentStatusSchema,
  LastSeqsSchema,
  ResendRequestSchema,
  ResendResultSchema,
} from './messages.js';
import { ComparisonResultSchema } from '../checks/comparison-result.js';
import { ReadingBatchSchema } from './reading.js';
import { RosterSchema } from './roster.js';

export const CONTRACT_DOCUMENTS: readonly ContractDocument[] = [
  document({
    file: 'reading-batch.schema.json',
    id: 'reading-batch.v1.json',
    title: 'metrogate reading batch (topic <prefix>/<site>/<gateway>/<instrument>/data)',
    description:
      'The readings of one instrument from one poll cycle or one subscription delivery. Values are after calibration correction (`value`) and as decoded after register scaling (`raw`). A reading with quality `bad` has null values and a `reason`; it is kept so that gaps are visible.',
    schema: ReadingBatchSchema,
  }),
  document({
    file: 'cloud-batch.schema.json',
    id: 'cloud-batch.v1.json',
    title: 'metrogate readings for the cloud platform (HTTPS uplink: POST <url>/readings, gzip)',
    description:
      'Reading batches in the order the gateway produced them (per instrument, seq increases), each one a reading-batch. Sent with Content-Encoding: gzip and Authorization: Bearer <token>. Any 2xx acknowledges the whole request. 5xx, 408, 429 (Retry-After is honoured), 401, 403, 404 and 405 (about the endpoint or the token, not the content) are retried with backoff while the readings wait in the spool. Any other 4xx (400, 413, 422, ...) marks the content as malformed: the gateway then sends the batches of that request one by one, and a batch refused alone is logged, counted and not sent again. Delivery is at least once: after a crash or a lost answer a batch can come again, so the platform deduplicates on (site, gateway, instrument, epoch, seq): seq continues across gateway restarts and starts again at 1 only with a new spool, which has a new epoch.',
    schema: CloudBatchSchema,
  }),
  document({
    file: 'cal-event.schema.json',
    id: 'cal-event.v1.json',
    title: 'metrogate calibration event (topic <prefix>/<site>/<gateway>/<instrument>/event; HTTPS uplink: POST <url>/events, gzip)',
    description:
      "A calibration status transition (by the calendar, a new record, or by hand), a finding that past readings are suspect (a new certificate's as-found data failed), where the gateway that owns the instrument wrote the impact report of such a finding (impact_report), or an intermediate check's result (check; a failed check or a tripped control-chart rule quarantines the instrument and raises a suspect event with `check`). QoS 1, not retained; the ingest role writes it to InfluxDB as measurement cal_event for Grafana annotations (kind check: measurement check_result). The HTTPS uplink POSTs each event alone to <url>/events, gzip, with the bearer token, in order with the readings (a reading batch spooled before the event is posted before it, one spooled after it after it); its answers are treated as for POST <url>/readings (cloud-batch.v1.json): a 2xx acknowledges, retryable answers keep the event in the spool, a content 4xx drops it, logged by the gateway and not sent again. Delivery is at least once: an event sent again after a crash or a lost answer has the same fields and values, so deduplicate on the whole message.",
    schema: CalEventSchema,
  }),
  document({
    file: 'instrument-status.schema.json',
    id: 'instrument-status.v1.json',
    title: 'metrogate instrument status (retained, topic <prefix>/<site>/<gateway>/<instrument>/status)',
    description:
      "Published retained whenever the instrument's connection or calibration status changes (a transition of the instrument or of any channel, or a new record). `cal` is the instrument summary: the worst status of the channels that have a record (out_of_service, quarantined, out_of_tolerance, expired, uncalibrated, limited, due_soon, valid, worst first), `uncalibrated` only when no channel has one; `channels` gives each configured channel's own calibration.",
    schema: InstrumentStatusSchema,
  }),
  document({
    file: 'gateway-state.schema.json',
    id: 'gateway-state.v1.json',
    title: 'metrogate gateway state (retained, topic <prefix>/<site>/<gateway>/state)',
    description: 'online when the gateway connects; offline when it stops cleanly or, as the MQTT last will, when the broker loses it.',
    schema: GatewayStateSchema,
  }),
  document({
    file: 'gateway-stats.schema.json',
    id: 'gateway-stats.v1.json',
    title: 'metrogate gateway statistics (topic <prefix>/<site>/<gateway>/stats)',
    description:
      'Published every statsIntervalMs by a gateway that polls instruments; the ingest role (or the direct InfluxDB sink) writes it to InfluxDB as measurement gateway_stats (the Grafana gateway health dashboard). Counters are totals since the gateway started.',
    schema: GatewayStatsSchema,
  }),
  document({
    file: 'gateway-seqs.schema.json',
    id: 'gateway-seqs.v1.json',
    title: 'metrogate last accepted seqs (retained, topic <prefix>/<site>/<gateway>/seqs)',
    description:
      "Per instrument, the highest seq the gateway's spool accepted (on disk). Every seq from 1 to it exists under (site, gateway, instrument, epoch): the ingest's gap repair and `metrogate audit` compare storage with it. Published on every connect and whenever it changed, at most every gateway.statsIntervalMs; retained so that every ingester and the audit see it, also while the gateway is offline.",
    schema: LastSeqsSchema,
  }),
  document({
    file: 'resend-request.schema.json',
    id: 'resend-request.v1.json',
    title: 'metrogate resend request (QoS 1, topic <prefix>/<site>/<gateway>/control/resend)',
    description:
      "Asks the gateway to publish again, on the instrument's data topic, every stored batch holding a seq in from..to (acknowledged batches are kept for spool.retainAckedHours). The gateway serves at most 10,000 readings per request, one request at a time, a repeat of the same range within 5 s once, and answers on control/resent. Sent by the ingest's gap repair with an MQTT 5 message expiry, so a request for an offline gateway does not pile up.",
    schema: ResendRequestSchema,
  }),
  document({
    file: 'resend-result.schema.json',
    id: 'resend-result.v1.json',
    title: 'metrogate resend answer (QoS 1, topic <prefix>/<site>/<gateway>/control/resent)',
    description: 'What became of one resend request: readings published again, ranges the spool no longer holds (lost for good), or why it was not served.',
    schema: ResendResultSchema,
  }),
  document({
    file: 'site-roster.schema.json',
    id: 'site-roster.v2.json',
    title: 'metrogate site roster and capability catalogue (cloud uplink), version 2',
    description:
      "Every instrument of one gateway with its connection and calibration, per channel the quantity (from the contract's vocabulary), the unit as UCUM code and D-SI string, which clock ts is, its calibration and its capability catalogue entry, and every certificate the gateway holds. MQTT uplink: retained on <prefix>/<site>/<gateway>/roster, republished on every change. HTTPS uplink: PUT <url>/roster on every change. The newest roster replaces the previous one. Meaning of every field: gateway/schemas/README.md.",
    schema: RosterSchema,
  }),
  // Its schema lives beside the code that makes the result (issue 15's comparisons); published from here.
  document({
    file: 'comparison-result.schema.json',
    id: 'comparison-result.v1.json',
    title:
      'metrogate comparison result (QoS 1, retained, topic <prefix>/<site>/<gateway>/comparison/<comparison>/<nominal>; HTTPS POST <url>/comparison/<comparison>/<nominal>)',
    description:
      "One participant laboratory's result for one point of an inter-laboratory comparison, made by `metrogate comparison record` from the readings it stored: the mean of the good, traceable readings in the window, U = k·√(u_cal² + s²/n) with u_cal the mean of the readings' own standard uncertainty (a systematic component, not reduced by averaging). The coordinator merges it into the comparison with `metrogate comparison evaluate FILE --results RESULT.json`.",
    schema: ComparisonResultSchema,
  }),
];
