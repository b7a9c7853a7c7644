/**
 * JSON Schemas of the API's requests and responses (TypeBox: one definition gives the types, the
 * validator, the serialiser and the OpenAPI document).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Id } from '../../config/common.js';
import { CalibrationRecordSchema, recordFields } from '../calibration/record-schema.js';
import { CAL_STATUSES, QUALITIES } from '../contract/reading.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ValueSchema = Type.Union([Type.Number(), Type.Boolean(), Type.String(), Type.Null()]);

export const CalTagSchema = Type.Object({
  status: Type.Union(CAL_STATUSES.map((s) => Type.Literal(s))),
  certificate: Nullable(Type.String()),
  laboratory: Type.Optional(Nullable(Type.String({ description: 'issuer of the certificate' }))),
  due: Nullable(Type.String({ description: 'YYYY-MM-DD, local date' })),
  daysToDue: Nullable(Type.Integer({ description: 'negative once expired' })),
  traceable: Type.Boolean(),
  reason: Type.Optional(Type.String({ description: 'why not traceable: outside the range, …; for quarantined/out_of_service, why it was taken out of use' })),
});

/** One channel's own calibration (instrument views carry the summary beside it). */
export const ChannelCalSchema = Type.Object({
  ...CalTagSchema.properties,
  hasRecord: Type.Boolean({
    description: "a record (the channel's own or an instrument-wide one) covers it; channels without one do not count in the instrument summary",
  }),
});

export const ChannelCalListSchema = Type.Array(Type.Object({ channel: Type.String(), ...ChannelCalSchema.properties }), {
  description: "every configured channel's own calibration, in config order",
});

export const LatestReadingSchema = Type.Object({
  value: ValueSchema,
  raw: ValueSchema,
  rawUnit: Nullable(
    Type.String({ description: 'the unit of raw when the channel reads its sensor in another quantity (characteristic: Ω, mV, mA); null when raw is in unit' }),
  ),
  unit: Type.String(),
  u: Nullable(Type.Number({ description: 'combined standard uncertainty, in unit' })),
  k: Nullable(Type.Number({ description: 'coverage factor: U = k·u' })),
  quality: Type.Union(QUALITIES.map((q) => Type.Literal(q))),
  reason: Nullable(Type.String()),
  ts: Type.Integer({ description: 'source timestamp, ms since the epoch' }),
  seq: Type.Integer(),
});

export const ChannelViewSchema = Type.Object({
  id: Type.String(),
  quantity: Type.String(),
  unit: Type.String(),
  latest: Nullable(LatestReadingSchema),
  trend: Type.Array(Type.Number(), { description: 'the last numeric values, oldest first' }),
  calibration: ChannelCalSchema,
});

export const InstrumentViewSchema = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  lab: Nullable(Type.String()),
  protocol: Type.String(),
  online: Nullable(Type.Boolean({ description: 'null until the driver first reached (or failed to reach) the device' })),
  since: Nullable(Type.Integer({ description: 'ms since the epoch of the last online/offline change' })),
  error: Nullable(Type.String()),
  calibration: Type.Object(CalTagSchema.properties, {
    description: 'the instrument summary: the worst of its channels that have a record; uncalibrated only when none has one',
  }),
  channels: Type.Array(ChannelViewSchema),
});
export type InstrumentView = Static<typeof InstrumentViewSchema>;

export const InstrumentListSchema = Type.Object({
  site: Type.String(),
  gateway: Type.String(),
  instruments: Type.Array(InstrumentViewSchema),
});

export const InstrumentParams = Type.Object({ id: Id });
export type InstrumentParams = Static<typeof InstrumentParams>;

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
});

export const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
});

export const ReadinessSchema = Type.Object({
  ready: Type.Boolean(),
  phase: Type.Union([Type.Literal('starting'), Type.Literal('running'), Type.Literal('stopping')]),
  components: Type.Array(
    Type.Object({
      name: Type.String({ description: 'config, drivers, sink:<name>, ingest' }),
      ready: Type.Boolean(),
      detail: Type.String(),
    }),
  ),
});
export type Readiness = Static<typeof ReadinessSchema>;

/** A record as posted: the API sets `source` itself. */
export const RecordBodySchema = Type.Object(recordFields, { additionalProperties: false });
export type RecordBody = Static<typeof RecordBodySchema>;

export const RecordSchema = CalibrationRecordSchema;

export const CalibrationListSchema = Type.Object({
  instruments: Type.Array(
    Type.Object({
      instrument: Type.String(),
      name: Nullable(Type.String()),
      lab: Nullable(Type.String()),
      calibration: Type.Object(CalTagSchema.properties, { description: 'the instrument summary: the worst of its channels that have a record' }),
      channels: ChannelCalListSchema,
    }),
  ),
  records: Type.Array(RecordSchema),
});

export const CalibrationQuery = Type.Object({ instrument: Type.Optional(Id) }, { additionalProperties: false });
export type CalibrationQuery = Static<typeof CalibrationQuery>;

export const QuarantineBodySchema = Type.Object(
  {
    reason: Type.String({ minLength: 1 }),
    status: Type.Optional(Type.Union([Type.Literal('quarantined'), Type.Literal('out_of_service')], { default: 'quarantined' })),
    by: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type QuarantineBody = Static<typeof QuarantineBodySchema>;

export const ReleaseBodySchema = Type.Object(
  { reason: Type.String({ minLength: 1 }), by: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: false },
);
export type ReleaseBody = Static<typeof ReleaseBodySchema>;

export const StatusChangeSchema = Type.Object({ instrument: Type.String(), calibration: CalTagSchema });

export const StreamQuery = Type.Object(
  { instrument: Type.Optional(Type.String({ description: 'comma-separated instrument ids; absent: every instrument' })) },
  { additionalProperties: false },
);
export type StreamQuery = Static<typeof StreamQuery>;

export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorSchema]));
