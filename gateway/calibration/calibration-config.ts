/** The config schema of calibration records and settings (composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate } from '../../config/common.js';

export const Limits = Type.Object(
  { lower: Type.Number(), upper: Type.Number() },
  { additionalProperties: false, description: 'lower and upper limit of the error at this point' },
);

const ErrorPoint = Type.Object(
  {
    reference: Type.Number({ description: 'value of the reference standard' }),
    indication: Type.Number({ description: 'what the instrument indicated' }),
    error: Type.Optional(Type.Number({ description: 'indication − reference (not the correction); computed when left out' })),
    U: Type.Optional(Type.Number({ minimum: 0, description: 'expanded uncertainty, in the channel unit' })),
    k: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 2 })),
    tolerance: Type.Optional(Limits),
    acceptance: Type.Optional(Limits),
  },
  { additionalProperties: false },
);

/** ±mpe, or ±(constant + proportional·|x|) with x the measurand. */
export const MpeSchema = Type.Union(
  [
    Type.Number({ exclusiveMinimum: 0 }),
    Type.Object(
      { constant: Type.Number({ minimum: 0 }), proportional: Type.Number({ minimum: 0 }) },
      { additionalProperties: false, description: '±(constant + proportional·|x|), x the measurand' },
    ),
  ],
  { description: 'maximum permissible error' },
);

/** ILAC-G8:09/2019 decision rules. */
export const DecisionRuleSchema = Type.Object(
  {
    rule: Type.Union([Type.Literal('simple'), Type.Literal('guarded')]),
    r: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'guarded acceptance: guard band w = r·U (default 1)' })),
  },
  { additionalProperties: false },
);

export const ConformitySchema = Type.Union([
  Type.Literal('pass'),
  Type.Literal('fail'),
  Type.Literal('conditionalPass'),
  Type.Literal('conditionalFail'),
  Type.Literal('not_stated'),
]);

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
    mpe: Type.Optional(MpeSchema),
    decisionRule: Type.Optional(DecisionRuleSchema),
    /** The certificate's statement for the instrument as left; asFoundConformity before adjustment. */
    conformity: Type.Optional(ConformitySchema),
    asFoundConformity: Type.Optional(ConformitySchema),
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

/** A channel's uncertainty budget, on top of any record (imported or not): standard uncertainties. */
export const UncertaintyBudgetSchema = Type.Object(
  {
    /** Absent: every channel of the instrument. */
    channel: Type.Optional(Type.String({ minLength: 1 })),
    driftPerYear: Type.Optional(Type.Number({ minimum: 0, description: 'standard uncertainty of drift per year since the calibration date' })),
    resolution: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "last digit; replaces the record's resolution" })),
    components: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), u: Type.Number({ minimum: 0 }) }, { additionalProperties: false }), {
        description: 'further standard uncertainties, in the channel unit',
      }),
    ),
  },
  { additionalProperties: false },
);

export type UncertaintyBudgetConfig = Static<typeof UncertaintyBudgetSchema>;

/** Site-wide calibration settings. */
export const CalibrationSettingsSchema = Type.Object(
  {
    recordsDir: Type.String({
      default: './calibration-records',
      description: 'one JSON file per record, <instrument>/<certificate>.json; watched while the gateway runs',
    }),
    /** Where impact reports of suspect readings are written (by the gateway that owns the instrument). */
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
