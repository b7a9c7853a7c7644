/**
 * The site roster and capability catalogue (cloud uplink, version 2): per instrument its
 * connection and a calibration summary, per channel the quantity and unit in machine-readable
 * form, which clock `ts` is, its own calibration and its capability, and every certificate the
 * gateway holds. gateway/sinks/cloud/roster.ts builds it typed by these schemas;
 * gateway/schemas/site-roster.schema.json is generated from them (documents.ts).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CalTagFields } from './reading.js';
import { def, nullable, oneOf, version } from './schema-kit.js';

export const ROSTER_VERSION = 2;

/** 校准 calibration (reports errors) or 检定 verification (legal: pass/fail against MPE). */
const LEGAL_KINDS = ['calibration', 'verification'] as const;
type LegalKind = (typeof LEGAL_KINDS)[number];

/** Which clock a reading's `ts` is: the device's, an OPC UA server's, or the gateway's receive time. */
export const TIME_SOURCES = ['device', 'server', 'gateway'] as const;
export type TimeSource = (typeof TIME_SOURCES)[number];

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const SHA256 = '^[0-9a-f]{64}$';
const name = () => Type.String({ minLength: 1 });
/** `oneOf: [null, schema]`, as the roster has always written a nullable object. */
const orNull = <T extends TSchema>(schema: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<Static<T> | null>({ ...options, oneOf: [{ type: 'null' }, schema] });
const range = (options: Record<string, unknown> = {}) => Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false, ...options });

/** A reading's calibration tag (status, certificate, due, daysToDue, traceable, reason) and the certificate's particulars. */
const RosterCalibrationFields = {
  ...CalTagFields,
  laboratory: nullable<string>('string', { description: 'laboratory that issued the certificate; with certificate, the key into certificates' }),
  calibrated: nullable<string>('string', { pattern: DATE, description: 'calibration date of the certificate in force (local date in timeZone)' }),
  kind: Type.Unsafe<LegalKind | null>({ enum: [...LEGAL_KINDS, null], description: '校准 calibration or 检定 verification' }),
  sha256: nullable<string>('string', {
    pattern: SHA256,
    description: 'SHA-256 of the imported certificate file (DCC imports, as its signature check hashed it); null for config and API records',
  }),
};
export const RosterCalibrationSchema = def('calibration', Type.Object(RosterCalibrationFields, { additionalProperties: false }));
export type RosterCalibration = Static<typeof RosterCalibrationSchema>;

export const InstrumentCalibrationSchema = def(
  'instrumentCalibration',
  Type.Object(
    { ...RosterCalibrationFields, channel: nullable<string>('string', { description: "channel the summary comes from; null: the instrument's own state" }) },
    {
      additionalProperties: false,
      description:
        "summary: the worst state among the channels with a record (and the instrument's own state when it has one, e.g. a quarantine); uncalibrated only when none has a record",
    },
  ),
);
export type InstrumentCalibration = Static<typeof InstrumentCalibrationSchema>;

export const CapabilitySchema = Type.Object(
  {
    range: range({ description: "measuring range covered: the certificate's validity range, else its calibration points' span" }),
    U: Type.Number({
      minimum: 0,
      description: 'expanded uncertainty over the range (the point with the largest u), rounded up to two significant digits (GUM 7.2.6), in unit',
    }),
    k: Type.Number({ exclusiveMinimum: 0 }),
    u: Type.Number({ minimum: 0, description: 'U/k, rounded up to two significant digits' }),
    method: oneOf(['calibration certificate error table', 'verification certificate error table'] as const),
    certificate: Type.String(),
    laboratory: nullable<string>('string'),
  },
  { additionalProperties: false },
);
export type Capability = Static<typeof CapabilitySchema>;

export const RosterChannelSchema = def(
  'channel',
  Type.Object(
    {
      id: name(),
      quantity: Type.String({ minLength: 1, description: "from the contract's quantity vocabulary (gateway/contract/quantities.ts)" }),
      unit: Type.String({ description: "display symbol, as in each reading's unit" }),
      unitCode: nullable<string>('string', {
        description: "UCUM case-sensitive code of unit ('1' dimensionless); null for a unit outside the contract's table",
      }),
      dsiUnit: nullable<string>('string', { description: 'the unit in D-SI form, as in Digital Calibration Certificates' }),
      timeSource: oneOf(TIME_SOURCES, {
        description: "which clock a reading's ts is: the device's own, the OPC UA server's, or the gateway's receive time",
      }),
      calibration: RosterCalibrationSchema,
      capability: orNull(CapabilitySchema, {
        description: 'capability catalogue entry from the certificate in force; changes only with the certificate; null when it states no uncertainty',
      }),
    },
    { additionalProperties: false },
  ),
);
export type RosterChannel = Static<typeof RosterChannelSchema>;

export const RosterInstrumentSchema = def(
  'instrument',
  Type.Object(
    {
      id: name(),
      name: nullable<string>('string'),
      lab: nullable<string>('string', { description: 'lab or bench' }),
      protocol: Type.String({ description: 'modbus-tcp, modbus-rtu, modbus-rtu-tcp, opcua' }),
      online: Type.Unsafe<boolean | null>({
        type: ['boolean', 'null'],
        description: 'the gateway talks to the device; null before the first connection attempt ended',
      }),
      since: nullable<number>('integer', { description: 'ms since epoch of the last online/offline change' }),
      calibration: InstrumentCalibrationSchema,
      channels: Type.Array(RosterChannelSchema),
    },
    { additionalProperties: false },
  ),
);
export type RosterInstrument = Static<typeof RosterInstrumentSchema>;

export const RosterCertificateSchema = def(
  'certificate',
  Type.Object(
    {
      laboratory: nullable<string>('string', { description: 'issuing laboratory; (laboratory, certificate) identifies the certificate' }),
      certificate: name(),
      instrument: name(),
      channel: nullable<string>('string', { description: 'null: covers every channel of the instrument' }),
      kind: oneOf(LEGAL_KINDS),
      calibrated: Type.String({ pattern: DATE }),
      issued: nullable<string>('string', { pattern: DATE }),
      due: Type.String({ pattern: DATE }),
      unit: Type.String(),
      unitCode: nullable<string>('string'),
      dsiUnit: nullable<string>('string'),
      range: orNull(range()),
      sha256: nullable<string>('string', { pattern: SHA256 }),
      source: oneOf(['config', 'dcc', 'api'] as const),
    },
    { additionalProperties: false },
  ),
);
export type RosterCertificate = Static<typeof RosterCertificateSchema>;

export const RosterSchema = Type.Object(
  {
    v: version(ROSTER_VERSION),
    site: name(),
    gateway: name(),
    gatewayVersion: Type.String({ minLength: 1, description: 'metrogate version of the gateway' }),
    timeZone: Type.String({
      minLength: 1,
      description: 'IANA time zone; every date (calibrated, issued, due) is a local date there, and a certificate expires at local midnight',
    }),
    ts: Type.Integer({ description: 'when the roster was built, ms since epoch' }),
    instruments: Type.Array(RosterInstrumentSchema),
    certificates: Type.Array(RosterCertificateSchema, {
      description: 'every calibration record the gateway holds for its instruments (also superseded ones, which older readings reference)',
    }),
  },
  { additionalProperties: false },
);
export type Roster = Static<typeof RosterSchema>;
