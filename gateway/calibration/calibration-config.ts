/** The config schema of an instrument's calibration record (composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate } from '../../config/common.js';

export const CalibrationSchema = Type.Object(
  {
    certificate: Type.String({ minLength: 1 }),
    calibrated: IsoDate,
    due: Type.Optional(IsoDate),
    intervalMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
    laboratory: Type.Optional(Type.String()),
    /** Share of the interval after which the status turns due_soon (0.9 = last 10 %). */
    dueSoonShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    /** Or: this many days before the due date. When both are set, whichever comes first. */
    dueSoonDays: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export type CalibrationConfig = Static<typeof CalibrationSchema>;

/** Site-wide calibration settings: where records (imported DCCs, API additions) are kept. */
export const CalibrationSettingsSchema = Type.Object(
  {
    recordsDir: Type.String({ default: './calibration-records', description: 'one JSON file per record, <instrument>/<certificate>.json' }),
  },
  { additionalProperties: false },
);

export type CalibrationSettings = Static<typeof CalibrationSettingsSchema>;
