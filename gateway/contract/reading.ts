/**
 * The Reading: the one data contract from driver to sink, defined here once. The TypeBox schemas
 * below are the wire form (gateway/schemas/reading-batch.schema.json is generated from them); the
 * in-memory types are derived from them.
 *
 * Drivers make an UntaggedReading (`newReading`: `value === raw`, cal = UNTAGGED); the pipeline's
 * calibration tagging fills `value`, `u`, `k` and `cal` in place (no copy on the hot path) and from
 * then on the same object is a Reading. Only Readings reach the spool and the sinks: an
 * UntaggedReading is not assignable to a Reading, so the compiler refuses one at a sink.
 *
 * Adding an optional field (e.g. `rawUnit`): add it to ReadingFieldsSchema (the schema and the type
 * follow), to the serialisers (gateway/sinks/mqtt/payload.ts, the spool's batch codec), then
 * `npm run build && npm run schema`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { def, nullable, oneOf, ref, version } from './schema-kit.js';

export const QUALITIES = ['good', 'uncertain', 'bad'] as const;
export type Quality = (typeof QUALITIES)[number];

/** Every calibration status, in the order the contract lists them (not a severity order). */
export const CAL_STATUSES = ['valid', 'due_soon', 'expired', 'out_of_tolerance', 'limited', 'out_of_service', 'quarantined', 'uncalibrated'] as const;
export type CalStatus = (typeof CAL_STATUSES)[number];

export const MAX_SAFE_INTEGER = 9007199254740991;

export const IdSchema = def(
  'id',
  Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
    description: 'an id as the config allows it (config/common.ts Id): up to 64 letters, digits, _ . -, starting with a letter or digit',
  }),
);
export const LabelSchema = def(
  'label',
  Type.String({
    maxLength: 128,
    pattern: '^[^\\u0000-\\u001f\\u007f\\\\]*$',
    description: 'a tag value: no control characters and no backslash (InfluxDB 1.x line protocol cannot carry every one of them in a tag)',
  }),
);
export const ValueSchema = def('value', Type.Unsafe<number | boolean | string | null>({ type: ['number', 'boolean', 'string', 'null'], maxLength: 4096 }));
export type ReadingValue = Static<typeof ValueSchema>;

/** ms since the Unix epoch, as JSON numbers carry them exactly. */
export const timestamp = (description?: string) => Type.Integer({ minimum: 0, maximum: MAX_SAFE_INTEGER, ...(description !== undefined && { description }) });

export const CalStatusSchema = def('status', oneOf(CAL_STATUSES));
export const QualitySchema = oneOf(QUALITIES);

export const CertificateSchema = nullable<string>('string', { maxLength: 256, description: 'certificate valid at ts' });
export const LaboratorySchema = nullable<string>('string', {
  maxLength: 256,
  description: "laboratory that issued that certificate (null: the record names none); with certificate, the reference to resolve in the roster's certificates",
});
export const DueSchema = nullable<string>('string', {
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'due date of that certificate (YYYY-MM-DD, local date)',
});
export const NotTraceableReasonSchema = Type.String({
  maxLength: 512,
  description:
    "why this reading is not traceable: for quarantined and out_of_service, the reason it was taken out of use; otherwise why although its status is: outside the validity range, no certificate uncertainty at this value, another unit than the record's, not a number, a flag or text, a record with neither range nor table",
});

/** The calibration tag of a reading (and of an instrument or channel in its status). */
export const CalTagFields = {
  status: CalStatusSchema,
  certificate: CertificateSchema,
  laboratory: Type.Optional(LaboratorySchema),
  due: DueSchema,
  daysToDue: nullable<number>('integer', { minimum: -1000000, maximum: 1000000, description: 'calendar days from ts to the due date; negative once expired' }),
  traceable: Type.Boolean({ description: 'false when expired, out of tolerance, uncalibrated, out of service or outside the calibrated range' }),
  reason: Type.Optional(NotTraceableReasonSchema),
};
export const CalTagSchema = def('cal', Type.Object(CalTagFields, { additionalProperties: false }));

/** A reading as the data message carries it (site, gateway and instrument are the batch's). */
export const ReadingFieldsSchema = {
  channel: IdSchema,
  quantity: ref(LabelSchema, { minLength: 1, description: 'e.g. temperature, pressure, mass, voltage' }),
  unit: ref(LabelSchema, { description: 'unit of value and u (and of raw unless rawUnit says otherwise), e.g. °C, kPa, g, V' }),
  rawUnit: Type.Optional(
    ref(LabelSchema, {
      minLength: 1,
      description:
        "unit of raw when the sensor is read in another quantity than the measurand (a PRT in Ω, a thermocouple in mV, a transmitter in mA: the channel's characteristic turns raw into value); absent when raw is in unit",
    }),
  ),
  ts: timestamp('source timestamp, ms since the Unix epoch (gateway receive time for devices without a clock)'),
  seq: Type.Integer({ minimum: 1, maximum: MAX_SAFE_INTEGER, description: 'per-instrument sequence number, +1 per reading; gaps mean lost readings' }),
  raw: ValueSchema,
  value: ValueSchema,
  quality: QualitySchema,
  reason: Type.Optional(
    Type.String({ maxLength: 1024, description: 'why quality is not good: timeout, exception:2 (illegal data address), disconnected, ...' }),
  ),
  u: Type.Optional(nullable<number>('number', { minimum: 0, description: 'combined standard uncertainty, in unit; null when it could not be computed (NaN)' })),
  k: Type.Optional(
    nullable<number>('number', { exclusiveMinimum: 0, description: 'coverage factor; expanded uncertainty U = k·u; null when not a finite number' }),
  ),
  cal: CalTagSchema,
};
export const ReadingSchema = def(
  'reading',
  Type.Object(ReadingFieldsSchema, {
    additionalProperties: false,
    allOf: [
      {
        if: { properties: { quality: { const: 'bad' } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, a schema that is never awaited
        then: { required: ['reason'], properties: { value: { type: 'null' }, raw: { type: 'null' } } },
      },
    ],
  }),
);

export const READING_BATCH_VERSION = 1;
export const ReadingBatchSchema = Type.Object(
  {
    v: version(READING_BATCH_VERSION, { description: 'payload version' }),
    site: IdSchema,
    gateway: ref(IdSchema, { description: 'id of the gateway that produced the batch' }),
    instrument: IdSchema,
    epoch: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description:
          "the stream epoch: a random id the gateway's spool got when it was created. A replaced spool numbers seq from 1 again under a new epoch, so a reading is identified by (site, gateway, instrument, epoch, seq): deduplicate and look for gaps on that key. Absent only from a gateway without a spool (no sinks).",
      }),
    ),
    readings: Type.Array(ReadingSchema, { minItems: 1, maxItems: 10000 }),
  },
  { additionalProperties: false },
);

/** The parsed form of a data message, as consumers (the ingest role) see it. */
export type WireBatch = Static<typeof ReadingBatchSchema>;
export type WireReading = Static<typeof ReadingSchema>;

/**
 * Present only on the placeholder tag (a phantom: no such property exists at run time), so that
 * an UntaggedReading is not a Reading. `declare`: a type, never a value.
 */
declare const untagged: unique symbol;

export type CalTag = Static<typeof CalTagSchema> & { readonly [untagged]?: never };
/** The placeholder a reading carries from the driver until the tagger runs. */
export type UntaggedCal = Omit<CalTag, typeof untagged> & { readonly [untagged]: true };

/** A reading in memory: the wire reading with its batch's ids, numbers where the wire has null for NaN. */
export interface ReadingCore extends Omit<WireReading, 'u' | 'k' | 'cal'> {
  site: string;
  instrument: string;
  /** Combined standard uncertainty, in `unit`. */
  u?: number;
  /** Coverage factor: expanded uncertainty U = k·u. */
  k?: number;
}

/** A tagged reading: what the spool stores and sinks serialise. */
export interface Reading extends ReadingCore {
  cal: CalTag;
}

/** What a driver produces: not yet tagged with its calibration; never reaches a sink. */
export interface UntaggedReading extends ReadingCore {
  cal: UntaggedCal;
}

/** Placeholder carried from the driver until the tagger runs; never leaves the pipeline. */
export const UNTAGGED = Object.freeze({
  status: 'uncalibrated',
  certificate: null,
  due: null,
  daysToDue: null,
  traceable: false,
}) as unknown as UntaggedCal;

/** One poll cycle (or one subscription delivery) of one instrument, tagged. */
export interface ReadingBatch {
  site: string;
  instrument: string;
  readings: Reading[];
  /** The spool's stream epoch (spool.ts): with site, gateway and instrument, what a seq counts in. */
  epoch?: string;
}

/** What a driver knows of the channel a reading comes from. */
export interface ChannelIdentity {
  id: string;
  quantity: string;
  unit: string;
}

/**
 * A fresh reading as every driver produces it: `value === raw`, untagged, `seq` 0 (the driver
 * numbers a cycle's readings once they are all made, the pipeline continues the numbering).
 */
export function newReading(
  site: string,
  instrument: string,
  ch: ChannelIdentity,
  ts: number,
  raw: ReadingValue,
  quality: Quality,
  reason?: string,
): UntaggedReading {
  const r: UntaggedReading = { site, instrument, channel: ch.id, quantity: ch.quantity, unit: ch.unit, ts, seq: 0, raw, value: raw, quality, cal: UNTAGGED };
  if (reason !== undefined) r.reason = reason;
  return r;
}
