/**
 * Every message besides the reading batch (gateway/contract/reading.ts): calibration event,
 * instrument status, gateway state and statistics, last seqs, resend request and answer, the
 * HTTPS cloud batch. One TypeBox schema each; the types are derived, the published JSON Schemas
 * in gateway/schemas/ are generated from them (gateway/contract/documents.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { CalStatusSchema, CalTagFields, CalTagSchema, IdSchema, MAX_SAFE_INTEGER, ReadingBatchSchema, timestamp } from './reading.js';
import { nullable, oneOf, ref, version } from './schema-kit.js';

/** Every message but the roster is at version 1. */
export const MESSAGE_VERSION = 1;

const count = (description?: string) => Type.Integer({ minimum: 0, maximum: MAX_SAFE_INTEGER, ...(description !== undefined && { description }) });

export const CAL_EVENT_KINDS = ['transition', 'suspect', 'impact_report', 'check'] as const;

/** What a `check` event carries of an intermediate check's result (gateway/checks/check-result.ts). */
export const CheckEventResultSchema = Type.Object(
  {
    kind: oneOf(['standard', 'redundancy'] as const),
    n: Type.Integer({ minimum: 1, maximum: MAX_SAFE_INTEGER, description: 'result number in the series' }),
    measured: Type.Number({ description: "the instrument's indication (redundancy: the first channel)" }),
    reference: Type.Number({ description: "the check standard's value, the reference channel's or the second channel's reading" }),
    referenceU: Type.Number({ minimum: 0, description: 'expanded uncertainty of the reference' }),
    U: nullable<number>('number', { description: 'expanded uncertainty of the indication, null when unknown' }),
    difference: Type.Number({ description: 'measured − reference: what the control chart plots' }),
    rule: oneOf(['En', 'MPE', 'redundancy'] as const),
    score: Type.Number({ description: 'En, |E| or |x1 − x2|' }),
    limit: Type.Number({ description: '1 for En, the MPE, or k·√(u1² + u2²)' }),
    verdict: oneOf(['pass', 'fail', 'pending'] as const, { description: 'pending: a redundancy difference over its limit for less than the minimum duration' }),
    z: nullable<number>('number', { description: "(difference − centre)/σ; null while the chart's limits are collected" }),
    centre: nullable<number>('number'),
    sigma: nullable<number>('number'),
    cusumHigh: Type.Number({ minimum: 0 }),
    cusumLow: Type.Number({ minimum: 0 }),
    tripped: Type.Array(oneOf(['fail', 'WE1', 'WE2', 'WE3', 'WE4', 'TREND', 'CUSUM'] as const), { maxItems: 8 }),
    passed: Type.Boolean({ description: 'passed with the chart in control: an impact period starts after the last such result' }),
    quarantined: Type.Boolean({ description: 'this result quarantined the instrument' }),
  },
  { additionalProperties: false, description: 'check: the result, as stored in <checks.dir>/<id>.jsonl' },
);
export type CheckEventResult = Static<typeof CheckEventResultSchema>;

/** A calibration event's fields after site and gateway (in memory, CalEvent adds site; the sink adds gateway). */
export const CalEventFields = {
  instrument: IdSchema,
  channel: Type.Optional(ref(IdSchema, { description: 'absent when the event concerns the whole instrument' })),
  kind: oneOf(CAL_EVENT_KINDS),
  ts: timestamp('when it happened, ms since epoch (a calendar transition: its boundary)'),
  from: Type.Unsafe<Static<typeof CalStatusSchema> | null>({ oneOf: [CalStatusSchema, { type: 'null' }] }),
  to: CalStatusSchema,
  certificate: nullable<string>('string', { maxLength: 256 }),
  due: nullable<string>('string', { pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  reason: Type.String({ maxLength: 1024 }),
  suspectFrom: Type.Optional(timestamp('suspect: start of the period, ms since epoch (the previous calibration)')),
  suspectTo: Type.Optional(timestamp('suspect: end of the period, ms since epoch (this calibration)')),
  asFoundError: Type.Optional(Type.Number({ description: "suspect: the largest as-found error, in the channel's unit" })),
  mpe: Type.Optional(Type.Number({ description: 'suspect: the maximum permissible error it broke' })),
  reportFile: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 4096,
      description: "impact_report: the report's path (.md; a .json beside it) on the gateway that published the event",
    }),
  ),
  readingsAffected: Type.Optional(
    count('impact_report: readings stored in InfluxDB for the suspect period when the report was written; absent when the gateway could not count them'),
  ),
  check: Type.Optional(
    ref(IdSchema, { description: "check, and suspect or impact_report found by an intermediate check: the check's id (config checks.series[].id)" }),
  ),
  result: Type.Optional(CheckEventResultSchema),
};
export const CalEventSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    site: IdSchema,
    gateway: IdSchema,
    ...CalEventFields,
  },
  { additionalProperties: false },
);
export type WireCalEvent = Static<typeof CalEventSchema>;
/** A calibration event in the gateway (gateway/calibration/cal-event.ts): the message without v and gateway. */
export type CalEvent = Omit<WireCalEvent, 'v' | 'gateway'>;

/**
 * The cal-event message of one event as every sink sends it (edge MQTT, cloud MQTT JSON, the
 * HTTPS uplink's POST <url>/events): typed here once, so no sink can send another shape.
 */
export function calEventMessage(event: CalEvent, gateway: string): WireCalEvent {
  const { site, ...rest } = event;
  return { v: MESSAGE_VERSION, site, gateway, ...rest };
}

/** One channel's own calibration in an instrument status (and in the API's views). */
export const ChannelCalSchema = Type.Object(
  {
    channel: IdSchema,
    hasRecord: Type.Boolean({
      description: "a record (the channel's own or an instrument-wide one) covers this channel; channels without one do not count in the summary",
    }),
    ...CalTagFields,
  },
  { additionalProperties: false },
);

export const InstrumentStatusSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    site: IdSchema,
    gateway: IdSchema,
    instrument: IdSchema,
    online: Type.Boolean({ description: 'the gateway is talking to the device' }),
    since: timestamp('ms since epoch of the last online/offline change'),
    error: Type.Optional(Type.String({ maxLength: 1024, description: 'last error while offline' })),
    removed: Type.Optional(
      Type.Literal(true, {
        description:
          'the instrument was removed from the config by a reload: no longer polled nor live (its readings and events stay). Published once, not retained; the retained status is then cleared',
      }),
    ),
    ts: timestamp('when this status was published, ms since epoch'),
    cal: ref(CalTagSchema, { description: 'the instrument summary: worst of the channels that have a record' }),
    channels: Type.Array(ChannelCalSchema, {
      maxItems: 10000,
      description: 'every configured channel, in config order, with the calibration in force for it now',
    }),
  },
  { additionalProperties: false },
);
export type WireInstrumentStatus = Static<typeof InstrumentStatusSchema>;

/** Gateway statistics as a gateway collects them (site and gateway: the sink adds them). */
export const GatewayStatsFields = {
  ts: timestamp(),
  polled: count('readings produced by the drivers'),
  published: count(
    'readings acknowledged on their way to storage: by the MQTT broker (PUBACK) when the gateway has an MQTT sink, else by InfluxDB through the direct sink (influx.sink, 204: stored); never both added up',
  ),
  errors: count(),
  timeouts: count(),
  skippedCycles: count(),
  spoolDepth: Type.Optional(count('readings waiting in the spool, when there is one')),
  rssMB: Type.Number({ minimum: 0 }),
  cpuShare: Type.Number({ minimum: 0, description: 'CPU seconds per second since the last stats message' }),
};
export const GatewayStatsSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    site: IdSchema,
    gateway: IdSchema,
    ...GatewayStatsFields,
  },
  { additionalProperties: false },
);
export type WireGatewayStats = Static<typeof GatewayStatsSchema>;
/** Totals since start as the gateway collects them (gateway/sinks/sink.ts): the message without v, site and gateway. */
export type GatewayStats = Omit<WireGatewayStats, 'v' | 'site' | 'gateway'>;

export const GatewayStateSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    site: Type.String(),
    gateway: Type.String(),
    state: oneOf(['online', 'offline'] as const),
    ts: Type.Integer({ description: 'ms since epoch; for the last will, the time it was registered' }),
    version: Type.Optional(Type.String({ description: 'metrogate version' })),
    instruments: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type GatewayStateMessage = Static<typeof GatewayStateSchema>;

/** The gateway state message (retained, and the last will). */
export function gatewayStateMessage(
  site: string,
  gateway: string,
  state: 'online' | 'offline',
  version: string,
  instruments: readonly string[],
  ts = Date.now(),
): string {
  const message: GatewayStateMessage = { v: MESSAGE_VERSION, site, gateway, state, ts, version, instruments: [...instruments] };
  return JSON.stringify(message);
}

export const LastSeqsSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    site: Type.String({ minLength: 1 }),
    gateway: Type.String({ minLength: 1 }),
    epoch: Type.String({ minLength: 1, maxLength: 64, description: "the spool's stream epoch, as in the reading batches" }),
    ts: Type.Integer({ description: 'when the figures were read from the spool, ms since epoch' }),
    // Not Type.Record: that publishes patternProperties "^(.*)$" where additionalProperties says it plainly.
    lastSeq: Type.Unsafe<Record<string, number>>({
      type: 'object',
      description: 'instrument id → last accepted seq (0: nothing accepted yet)',
      additionalProperties: { type: 'integer', minimum: 0 },
    }),
  },
  { additionalProperties: false },
);

export const ResendRequestSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    instrument: Type.String({ minLength: 1 }),
    epoch: Type.String({ minLength: 1, description: 'the stream epoch the seqs belong to; another epoch is refused' }),
    from: Type.Integer({ minimum: 1 }),
    to: Type.Integer({ minimum: 1, description: 'inclusive; ≥ from' }),
    requestId: Type.String({ minLength: 1, maxLength: 256, description: 'echoed in the answer' }),
  },
  { additionalProperties: false },
);

export const ResendResultSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    site: Type.String(),
    gateway: Type.String(),
    requestId: Type.String(),
    instrument: Type.String(),
    epoch: Type.String(),
    from: Type.Integer({ minimum: 1 }),
    to: Type.Integer({ minimum: 1, description: "the end served: the request's, or from + 9,999 for a longer one" }),
    resent: Type.Integer({ minimum: 0, description: 'readings published again' }),
    unavailable: Type.Array(
      Type.Unsafe<[number, number]>({ type: 'array', prefixItems: [{ type: 'integer' }, { type: 'integer' }], minItems: 2, maxItems: 2 }),
      { description: '[from, to] seq ranges the spool no longer holds (removed after retention or by the quota)' },
    ),
    refused: Type.Optional(Type.String({ description: 'why nothing was sent: another epoch, a duplicate, too many queued' })),
  },
  { additionalProperties: false },
);

export const CloudBatchSchema = Type.Object(
  {
    v: version(MESSAGE_VERSION),
    site: Type.String({ minLength: 1 }),
    gateway: Type.String({ minLength: 1 }),
    batches: Type.Array(ReadingBatchSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
