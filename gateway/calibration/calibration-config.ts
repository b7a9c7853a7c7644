/** The config schema of calibration records and settings (composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate } from '../../config/common.js';

const ErrorPoint = Type.Object(
  {
    reference: Type.Number({ description: 'value of the reference standard' }),
    indication: Type.Number({ description: 'what the instrument indicated' }),
    error: Type.Optional(Type.Number({ description: 'indication − reference; computed when left out' })),
    U: Type.Optional(Type.Number({ minimum: 0, description: 'expanded uncertainty, in the channel unit' })),
    k: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 2 })),
  },
  { additionalProperties: false },
);

const Range = Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false });

export const CalibrationSchema = Type.Object(
  {
    certificate: Type.String({ minLength: 1 }),
    /** Only this channel; default: every channel of the instrument. */
    channel: Type.Optional(Type.String({ minLength: 1 })),
    kind: Type.Optional(Type.Union([Type.Literal('calibration'), Type.Literal('verification')], { default: 'calibration' })),
    calibrated: IsoDate,
    issued: Type.Optional(IsoDate),
    due: Type.Optional(IsoDate),
    intervalMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
    laboratory: Type.Optional(Type.String()),
    /** Share of the interval after which the status turns due_soon (0.9 = last 10 %). */
    dueSoonShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    /** Or: this many days before the due date. When both are set, whichever comes first. */
    dueSoonDays: Type.Optional(Type.Integer({ minimum: 0 })),
    range: Type.Optional(Range),
    errorTable: Type.Optional(Type.Array(ErrorPoint)),
    asFound: Type.Optional(Type.Array(ErrorPoint)),
    mpe: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'maximum permissible error' })),
    conformity: Type.Optional(Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('not_stated')])),
    limitedTo: Type.Optional(Type.Array(Range, { minItems: 1, description: '准用: the ranges it may still be used in' })),
    resolution: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'last digit of the indication' })),
    extraUncertainty: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), u: Type.Number({ minimum: 0 }) }, { additionalProperties: false })),
    ),
    traceability: Type.Optional(
      Type.Array(
        Type.Object(
          { standard: Type.String({ minLength: 1 }), certificate: Type.String({ minLength: 1 }), laboratory: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export type CalibrationConfig = Static<typeof CalibrationSchema>;

/** Site-wide calibration settings. */
export const CalibrationSettingsSchema = Type.Object(
  {
    recordsDir: Type.String({ default: './calibration-records', description: 'one JSON file per record, <instrument>/<certificate>.json' }),
    /** Where impact reports of suspect readings are written (by the ingest role). */
    reportsDir: Type.String({ default: './calibration-reports' }),
    /** Folder of trusted root and intermediate certificates for signed DCCs (PEM or DER). */
    trust: Type.Optional(Type.String({ minLength: 1, description: 'folder of root and intermediate certificates that may sign DCCs' })),
    /** Refuse DCCs without a valid signature (a signature that fails is always refused). */
    requireSignature: Type.Optional(Type.Boolean({ default: false })),
    /** Site default when a record sets neither: due_soon this many days before due. */
    dueSoonDays: Type.Optional(Type.Integer({ minimum: 0 })),
    dueSoonShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
  },
  { additionalProperties: false },
);

export type CalibrationSettings = Static<typeof CalibrationSettingsSchema>;
