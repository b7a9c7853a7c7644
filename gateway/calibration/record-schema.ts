/**
 * The one schema of a CalibrationRecord (record.ts), shared by the record store (files on disk)
 * and the API (posted records), so a record the API accepts can always be stored and loaded again.
 */
import { Type } from '@sinclair/typebox';
import { Id, IsoDate } from '../../config/common.js';
import { ConformitySchema, DecisionRuleSchema, Limits, MpeSchema } from './calibration-config.js';

const Point = Type.Object(
  {
    reference: Type.Number(),
    indication: Type.Number(),
    error: Type.Number(),
    U: Type.Optional(Type.Number({ minimum: 0 })),
    k: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    tolerance: Type.Optional(Limits),
    acceptance: Type.Optional(Limits),
  },
  { additionalProperties: false },
);
const Range = Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false });

/** Every field but `source` and `sourceFile`, which the importer or the API set. */
export const recordFields = {
  certificate: Type.String({ minLength: 1 }),
  instrument: Id,
  channel: Type.Optional(Id),
  kind: Type.Union([Type.Literal('calibration'), Type.Literal('verification')]),
  calibrated: IsoDate,
  issued: Type.Optional(IsoDate),
  due: IsoDate,
  laboratory: Type.Optional(Type.String()),
  unit: Type.String(),
  range: Type.Optional(Range),
  errorTable: Type.Array(Point),
  asFound: Type.Optional(Type.Array(Point)),
  mpe: Type.Optional(MpeSchema),
  decisionRule: Type.Optional(DecisionRuleSchema),
  conformity: Type.Optional(ConformitySchema),
  asFoundConformity: Type.Optional(ConformitySchema),
  limitedTo: Type.Optional(Type.Array(Range)),
  resolution: Type.Optional(Type.Number({ minimum: 0 })),
  traceability: Type.Array(
    Type.Object(
      // Some PTB DCCs name the standard used but not its certificate: '' is kept, not invented.
      { standard: Type.String({ minLength: 1 }), certificate: Type.String(), laboratory: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
  ),
  dueSoonDays: Type.Optional(Type.Integer({ minimum: 0 })),
  dueSoonShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
  extraUncertainty: Type.Optional(
    Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), u: Type.Number({ minimum: 0 }) }, { additionalProperties: false }), {
      description: 'further standard uncertainty components (GUM type B), in the unit',
    }),
  ),
};

export const CalibrationRecordSchema = Type.Object(
  {
    ...recordFields,
    source: Type.Union([Type.Literal('config'), Type.Literal('dcc'), Type.Literal('api')]),
    sourceFile: Type.Optional(Type.String()),
    signature: Type.Optional(
      Type.Object(
        {
          status: Type.Union([Type.Literal('verified'), Type.Literal('intact'), Type.Literal('unsigned')]),
          sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
          signer: Type.Optional(Type.String()),
          subject: Type.Optional(Type.String()),
          signingTime: Type.Optional(Type.String()),
          chain: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
